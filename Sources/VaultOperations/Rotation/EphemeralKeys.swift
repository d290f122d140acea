import FoundationEssentials
import TwilioAuth
import Vault

/// API keys made for one command (`exec --ephemeral-key`) and deleted when it ends.
///
/// Each key is entered in the profile's `ephemeral` record before it is created and removed
/// from it once deleted. While its command runs, the owning twvault holds a lock named after
/// the entry; an entry whose lock is free is a leftover (a crash, a failed delete) that any
/// later `export`, `exec` or `rotate` deletes at Twilio.
public enum EphemeralKeys {
    /// A key that exists at Twilio and is recorded in the vault.
    public struct Issued {
        public let entry: EphemeralKeyLedger.Entry
        public let key: NewAPIKey
        /// Held while the key is in use: tells other processes it is not a leftover.
        public let lock: ProfileLock
    }

    public static func lockName(_ entry: EphemeralKeyLedger.Entry) -> String { "ephemeral:" + entry.id }

    /// Records an entry, then creates the key.
    public static func issue(profile: String, record: ProfileRecord, vault: UnlockedVault, access: VaultAccess)
        async throws
        -> Issued
    {
        let admin = try TwilioEndpoints(context: access.context).admin(
            record, profile: profile, purpose: "an ephemeral API key")
        let entry = EphemeralKeyLedger.Entry(id: RotationID.make(), createdAt: access.context.now())
        let lock = try ProfileLock(vaultPath: vault.file.path, profile: lockName(entry), timeoutMilliseconds: 2000)
        // Before the request: the key is made with the profile's auth token.
        try vault.checkIntegrity()
        try update(profile: profile, vault: vault, now: access.context.now()) { $0.keys.append(entry) }
        let key: NewAPIKey
        do {
            key = try await admin.createAPIKey(friendlyName: entry.friendlyName)
        } catch {
            let message = "could not create an ephemeral API key for '\(profile)' (\(RotationFailure.reason(error)))"
            if RotationRun.certainlyNothingCreated(error) {
                try update(profile: profile, vault: vault, now: access.context.now()) { ledger in
                    ledger.keys.removeAll { $0.id == entry.id }
                }
                throw RotationFailure(
                    message + "; nothing changed at Twilio", status: RotationFailure.status(causedBy: error))
            }
            // Twilio may have made it without the answer arriving: leave the entry for clean-up.
            throw RotationFailure(
                message + "; a key Twilio may have made will be deleted by the next twvault command",
                status: RotationFailure.status(causedBy: error))
        }
        CrashPoint.reached(.ephemeralCreate, access.context)
        var stored = entry
        stored.keySID = key.sid
        try update(profile: profile, vault: vault, now: access.context.now()) { ledger in
            if let index = ledger.keys.firstIndex(where: { $0.id == entry.id }) { ledger.keys[index] = stored }
        }
        return Issued(entry: stored, key: key, lock: lock)
    }

    /// Deletes the key of `issued` and its entry; warns (without failing) when Twilio cannot
    /// be reached, leaving the entry for the next command.
    public static func retire(
        _ issued: Issued, profile: String, record: ProfileRecord, vault: UnlockedVault,
        access: VaultAccess
    ) async {
        do {
            try await delete(issued.entry, profile: profile, record: record, vault: vault, access: access)
            access.context.output.note("deleted the ephemeral API key \(issued.key.sid)")
        } catch {
            access.context.output.warn(
                "the ephemeral API key \(issued.key.sid) of '\(profile)' could not be deleted (\(RotationFailure.reason(error))); the next `twvault export`, `exec` or `rotate` will delete it"
            )
        }
        withExtendedLifetime(issued.lock) {}
    }

    /// Deletes an entry's key at Twilio (by SID, or by FriendlyName when the SID never
    /// arrived), then the entry.
    nonisolated(nonsending) public static func delete(
        _ entry: EphemeralKeyLedger.Entry, profile: String, record: ProfileRecord, vault: UnlockedVault,
        access: VaultAccess
    ) async throws {
        let admin = try TwilioEndpoints(context: access.context).admin(
            record, profile: profile, purpose: "deleting an ephemeral API key")
        if let sid = entry.keySID {
            _ = try await admin.deleteAPIKey(sid: sid)
        } else {
            for key in try await admin.listAPIKeys() where key.friendlyName == entry.friendlyName {
                _ = try await admin.deleteAPIKey(sid: key.sid)
            }
        }
        try update(profile: profile, vault: vault, now: access.context.now()) { ledger in
            ledger.keys.removeAll { $0.id == entry.id }
        }
    }

    /// Deletes leftover ephemeral keys of any profile. Costs one index lookup when there are
    /// none, so commands on the hot path may call it. When there are some, the vault MAC is
    /// checked before any request, and a mismatch (`VaultError.tampered`) is the one failure
    /// it throws: a key that cannot be deleted yet only warns.
    nonisolated(nonsending) public static func cleanUpLeftovers(vault: UnlockedVault, access: VaultAccess)
        async throws(VaultError)
    {
        let profiles: [String]
        do {
            profiles = try vault.profiles(withRecord: .ephemeralKeys, limit: 8)
        } catch {
            return
        }
        guard !profiles.isEmpty else { return }
        try vault.checkIntegrity()
        for profile in profiles {
            do {
                guard let ledger = try vault.record(EphemeralKeyLedger.self, profile: profile, kind: .ephemeralKeys)
                else { continue }
                let record = try vault.profile(profile)
                for entry in ledger.keys {
                    // A held lock means its twvault is still running the command.
                    guard
                        let lock = try? ProfileLock(
                            vaultPath: vault.file.path, profile: lockName(entry),
                            timeoutMilliseconds: 0)
                    else { continue }
                    defer { withExtendedLifetime(lock) {} }
                    do {
                        try await delete(entry, profile: profile, record: record, vault: vault, access: access)
                        access.context.output.info(
                            "deleted the leftover ephemeral API key \(entry.keySID ?? entry.friendlyName) of '\(profile)'"
                        )
                    } catch {
                        access.context.output.warn(
                            "the leftover ephemeral API key \(entry.keySID ?? entry.friendlyName) of '\(profile)' could not be deleted yet (\(RotationFailure.reason(error)))"
                        )
                    }
                }
            } catch {
                access.context.output.note(
                    "could not check the ephemeral keys of '\(profile)': \(RotationFailure.reason(error))")
            }
        }
    }

    /// Read-modify-write of a profile's ledger in one transaction; an empty ledger is deleted.
    public static func update(
        profile: String, vault: UnlockedVault, now: Int64,
        _ change: @escaping (inout EphemeralKeyLedger) -> Void
    ) throws {
        try vault.write { transaction in
            var ledger =
                try transaction.record(EphemeralKeyLedger.self, profile: profile, kind: .ephemeralKeys)
                ?? EphemeralKeyLedger()
            change(&ledger)
            if ledger.keys.isEmpty {
                try transaction.delete(profile: profile, kind: .ephemeralKeys)
            } else {
                try transaction.put(ledger, profile: profile, kind: .ephemeralKeys, now: now)
            }
        }
    }
}
