import VaultCrypto
import VaultStore

/// Members and rekeying (DESIGN §12; docs/FORMAT.md, "Member slots" and "Rekey").
extension UnlockedVault {
    /// Adds a member slot: the data key sealed to `publicKey` under the label `name`.
    public func addMember(name: String, publicKey: [UInt8], now: Int64 = Clock.now()) throws(VaultError) {
        try Names.validateSlotLabel(name)
        let slot = try MemberSlot.make(
            label: name, publicKey: publicKey, vaultID: file.vaultID, dataKey: dataKey, now: now)
        try write { _ in
            let slots = try SlotTable.all(in: connection)
            guard !slots.contains(where: { $0.label == name }) else { throw VaultError.slotExists(name) }
            if let same = slots.first(where: { $0.publicKey == publicKey }) {
                throw VaultError.invalidName(
                    "that public key is already member '\(Names.printable(same.label))': remove it first to rename it")
            }
            guard slots.count < SlotTable.maximumCount else { throw VaultError.tooManySlots }
            try SlotTable.insert(slot, into: connection)
        }
    }

    /// Replaces the data key (DESIGN §12). In one transaction: every record is opened with the
    /// old key and sealed with the new one; every member slot except `removing` is wrapped again
    /// to its public key; the slot that opened this vault is wrapped again (a passphrase slot with
    /// the key derived at unlock, a member slot to its public key); every other passphrase slot
    /// is removed (their passphrases are unknown), and so are the slots in `removing`; the vault
    /// MAC state is rebuilt under the new key; the lock generation rises, so every unlock
    /// session ends. Then the log is folded into the file with `secure_delete` on, so the old
    /// ciphertext leaves both. A crash before the commit leaves the old vault, after it the new
    /// one: SQLite's transaction is the only switch.
    ///
    /// Returns the vault unlocked with the new key, and the labels of the slots removed.
    /// `beforeCommit` runs inside the transaction after everything is written (crash tests).
    public func rekey(
        removing: Set<String> = [], now: Int64 = Clock.now(), beforeCommit: () -> Void = {}
    ) throws(VaultError) -> (vault: UnlockedVault, removed: [String]) {
        guard let own = slotLabel else {
            throw .invalidName("a rekey needs the vault opened with a passphrase, not from an unlock session")
        }
        guard !removing.contains(own) else {
            throw .invalidName(
                "cannot remove slot '\(Names.printable(own))': the vault is open with it (unlock with another slot first)"
            )
        }
        let newKey = SecretBytes.random(count: PassphraseSlot.dataKeyLength)
        let newKeys: VaultKeys
        do { newKeys = try VaultKeys(vaultID: file.vaultID, dataKey: newKey) } catch {
            throw .system("could not derive the new keys")
        }
        let vaultID = file.vaultID
        let removed: [String] = try translating(path: path) {
            try connection.writeTransaction {
                // Everything is checked with the old key first: a rekey never launders damage.
                let ledger = try Integrity.beginWrite(connection, keys: keys, fullCheckLimit: Int.max)
                let slots = try SlotTable.all(in: connection)
                for name in removing where !slots.contains(where: { $0.label == name }) {
                    throw VaultError.slotNotFound(name)
                }
                var kept: [PassphraseSlot] = []
                var removed: [String] = []
                for slot in slots {
                    if removing.contains(slot.label) {
                        removed.append(slot.label)
                    } else if slot.kind == .member, let publicKey = slot.publicKey {
                        kept.append(
                            try MemberSlot.make(
                                label: slot.label, publicKey: publicKey, vaultID: vaultID, dataKey: newKey,
                                now: slot.createdAt))
                    } else if slot.label == own, let slotKey {
                        kept.append(try slot.rewrapped(dataKey: newKey, kek: slotKey, vaultID: vaultID, now: now))
                    } else if slot.label == own {
                        throw VaultError.invalidName("a rekey needs the vault opened with its passphrase")
                    } else {
                        removed.append(slot.label)
                    }
                }
                guard kept.contains(where: { $0.label == own }) else { throw VaultError.slotNotFound(own) }
                // Every record, opened with the old key (it must authenticate where it is) and
                // sealed again under the new one, in place.
                let rows = try connection.prepare("SELECT profile, kind, sealed FROM record ORDER BY profile, kind")
                var resealed: [(String, String, [UInt8])] = []
                while try rows.step() {
                    let profile = try rows.requireText(0)
                    let kind = RecordKind(rawValue: try rows.requireText(1))
                    let payload = try keys.sealer.open(try rows.requireBlob(2), profile: profile, kind: kind)
                    resealed.append(
                        (profile, kind.rawValue, try newKeys.sealer.seal(payload, profile: profile, kind: kind)))
                }
                rows.reset()
                let update = try connection.prepare("UPDATE record SET sealed = ? WHERE profile = ? AND kind = ?")
                for (profile, kind, sealed) in resealed {
                    update.reset()
                    try update.bind(.blob(sealed), .text(profile), .text(kind)).run()
                }
                try connection.execute("DELETE FROM slot")
                for slot in kept { try SlotTable.insert(slot, into: connection) }
                var state = try Integrity.fullState(connection, keys: newKeys)
                state.writeCounter = ledger.state.writeCounter + 1
                try Integrity.store(state, in: connection, keys: newKeys)
                try connection.execute(
                    "UPDATE vault SET lock_generation = lock_generation + 1 WHERE singleton = 1 AND lock_generation >= 0"
                )
                beforeCommit()
                return removed
            }
        }
        let vault = try UnlockedVault(file: file, dataKey: newKey, slotLabel: own)
        vault.slotKey = slotKey
        vault.memberIdentity = memberIdentity
        vault.fullCheckLimit = fullCheckLimit
        return (vault, removed)
    }

    /// Folds the log into the file after a rekey (old ciphertext leaves both), then rebuilds
    /// the file so that no freed page keeps an old record.
    public func purgeOldCiphertext() {
        file.checkpoint()
        try? connection.execute("VACUUM")
        file.checkpoint()
    }
}
