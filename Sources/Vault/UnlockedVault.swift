import VaultCrypto
import VaultStore

/// A vault whose data key is known: records can be read and written.
public final class UnlockedVault {
    public let file: VaultFile
    let dataKey: SecretBytes
    let keys: VaultKeys
    /// The slot whose passphrase opened the vault (`nil` when opened from a session).
    public let slotLabel: String?
    /// The passphrase that opened the vault is not UTF-8: its slot was made by an earlier
    /// version, which decoded it with U+FFFD for each invalid sequence, so other invalid byte
    /// strings open the slot as well. The owner should choose a new passphrase.
    public internal(set) var passphraseIsNotUTF8 = false
    /// The key-encryption key of the passphrase slot that opened the vault (`slotLabel`), so a
    /// rekey can wrap the new data key for that passphrase without asking for it again; `nil`
    /// when the vault was opened from a session or through a member slot.
    var slotKey: SecretBytes?
    /// The identity (key pair) that opened the vault through its member slot, also when the
    /// vault was opened from an unlock session made that way (the session keeps it sealed like
    /// the data key). A later operation that meets a data key newly wrapped to this member —
    /// after someone else's rekey — opens it with this, without asking for the passphrase.
    /// `nil` when the vault was opened with a passphrase slot.
    public internal(set) var memberIdentity: Identity?

    /// Whether the vault was opened through a member slot.
    public var openedByMember: Bool { memberIdentity != nil }

    /// One line for the user when `passphraseIsNotUTF8`, else nil.
    public var passphraseWarning: String? {
        guard passphraseIsNotUTF8, let slotLabel else { return nil }
        return
            "the passphrase of slot '\(Names.printable(slotLabel))' is not valid UTF-8, and other byte strings open it too: run `twvault passwd` to choose a new one"
    }

    /// Up to this many records, a write recomputes the whole vault MAC before it writes
    /// (`Integrity.beginWrite`); above, it checks what it touches in O(1).
    var fullCheckLimit = Integrity.defaultFullCheckLimit

    init(file: VaultFile, dataKey: SecretBytes, slotLabel: String?) throws(VaultError) {
        self.file = file
        self.dataKey = dataKey
        self.slotLabel = slotLabel
        do { keys = try VaultKeys(vaultID: file.vaultID, dataKey: dataKey) } catch {
            throw .corrupt("the data key has the wrong size")
        }
    }

    var connection: Connection { file.connection }
    var path: String { file.path }

    /// Checks that the data key opens the vault MAC state (member unlocks: a slot sealed to a
    /// member by someone without the data key yields a key that opens nothing).
    func checkStateOpens() throws(VaultError) {
        try translating(path: path) {
            try connection.readTransaction {
                guard try Integrity.storedState(connection, keys: keys) != nil else {
                    throw VaultError.tampered(what: "a member slot is present in a vault whose MAC was never converted")
                }
            }
        }
    }

    // MARK: Reading

    /// The payload of one record, or `nil` when there is none. Reads one row only.
    public func payload(profile: String, kind: RecordKind) throws(VaultError) -> SecretBytes? {
        let sealed: [UInt8]? = try translating(path: path) {
            let statement = try connection.cached("SELECT sealed FROM record WHERE profile = ? AND kind = ?")
            // Rewound at once: a statement left on its row would hold a read snapshot open.
            defer { statement.reset() }
            try statement.bind(.text(profile), .text(kind.rawValue))
            guard try statement.step() else { return nil }
            return try statement.requireBlob(0)
        }
        guard let sealed else { return nil }
        return try keys.sealer.open(sealed, profile: profile, kind: kind)
    }

    /// A profile's credentials and settings; throws `profileNotFound` when absent.
    public func profile(_ name: String) throws(VaultError) -> ProfileRecord {
        guard let payload = try payload(profile: name, kind: .profile) else { throw .profileNotFound(name) }
        return try PayloadCoding.decodeProfile(payload) { "profile '\(Names.printable(name))'" }
    }

    /// A profile's cached access token, or `nil`; read as `record(CachedToken.self, …)` reads it,
    /// without `JSONDecoder` when the payload has the form this version writes.
    public func cachedToken(profile name: String) throws(VaultError) -> CachedToken? {
        guard let payload = try payload(profile: name, kind: .token) else { return nil }
        return try PayloadCoding.decodeToken(payload) {
            "record '\(Names.printable(RecordKind.token.rawValue))' of profile '\(Names.printable(name))'"
        }
    }

    /// A decoded record of any kind, or `nil`.
    public func record<T: Decodable>(_ type: T.Type, profile: String, kind: RecordKind) throws(VaultError) -> T? {
        guard let payload = try payload(profile: profile, kind: kind) else { return nil }
        return try PayloadCoding.decode(
            type, from: payload,
            what: "record '\(Names.printable(kind.rawValue))' of profile '\(Names.printable(profile))'")
    }

    // MARK: Writing

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`). The vault MAC is checked
    /// first, in O(1) (`Integrity.beginWrite`), so nothing is written on top of a damaged
    /// state; each row the write replaces must authenticate; the MAC state is updated last, in
    /// the same transaction as the writes, by the tags of the rows written and removed only.
    /// A vault that still has the format-1 MAC is checked with it and converted here.
    public func write<T>(_ body: (VaultTransaction) throws -> T) throws(VaultError) -> T {
        try translating(path: path) {
            try connection.writeTransaction {
                let ledger = try Integrity.beginWrite(connection, keys: keys, fullCheckLimit: fullCheckLimit)
                let result = try body(VaultTransaction(vault: self, ledger: ledger))
                try Integrity.finishWrite(ledger, connection, keys: keys)
                return result
            }
        }
    }

    /// Stores a new profile; throws `profileExists` unless `replace`.
    public func addProfile(_ name: String, _ record: ProfileRecord, replace: Bool = false, now: Int64 = Clock.now())
        throws(VaultError)
    {
        try Names.validateProfile(name)
        try write { transaction in
            if try transaction.exists(profile: name) {
                guard replace else { throw VaultError.profileExists(name) }
                try transaction.delete(profile: name)
            }
            try transaction.put(record, profile: name, kind: .profile, now: now)
        }
        if replace { file.checkpoint() }
    }

    /// Replaces the record of an existing profile.
    public func updateProfile(_ name: String, _ record: ProfileRecord, now: Int64 = Clock.now()) throws(VaultError) {
        try write { transaction in
            guard try transaction.exists(profile: name) else { throw VaultError.profileNotFound(name) }
            try transaction.put(record, profile: name, kind: .profile, now: now)
        }
    }

    /// Deletes a profile and all its records, then checkpoints so the old ciphertext leaves
    /// the file and its log.
    public func removeProfile(_ name: String) throws(VaultError) {
        try write { transaction in
            guard try transaction.exists(profile: name) else { throw VaultError.profileNotFound(name) }
            try transaction.delete(profile: name)
        }
        file.checkpoint()
    }

    /// Renames a profile: every record is re-sealed under the new name (the name is part of
    /// each record's key).
    public func renameProfile(_ old: String, to new: String, now: Int64 = Clock.now()) throws(VaultError) {
        try Names.validateProfile(new)
        try write { transaction in
            guard try transaction.exists(profile: old) else { throw VaultError.profileNotFound(old) }
            guard try !transaction.exists(profile: new) else { throw VaultError.profileExists(new) }
            try transaction.rename(profile: old, to: new, now: now)
        }
        file.checkpoint()
    }

    // MARK: Slots

    /// Adds a passphrase slot for a teammate.
    public func addSlot(label: String, passphrase: SecretBytes, limits: KDFLimits = .moderate, now: Int64 = Clock.now())
        throws(VaultError)
    {
        try Names.validateSlotLabel(label)
        // Refused before the KDF runs: a 65th slot would cost a key derivation for nothing.
        let count = try translating(path: path) { try connection.scalarInt("SELECT count(*) FROM slot") }
        guard count < SlotTable.maximumCount else { throw .tooManySlots }
        let slot = try PassphraseSlot.make(
            label: label, passphrase: passphrase, limits: limits,
            vaultID: file.vaultID, dataKey: dataKey, now: now)
        try write { _ in
            let slots = try SlotTable.all(in: connection)
            guard !slots.contains(where: { $0.label == label }) else { throw VaultError.slotExists(label) }
            guard slots.count < SlotTable.maximumCount else { throw VaultError.tooManySlots }
            try SlotTable.insert(slot, into: connection)
        }
    }

    /// Removes a slot; the last one cannot go.
    public func removeSlot(label: String) throws(VaultError) {
        try write { _ in
            let slots = try SlotTable.all(in: connection)
            guard slots.contains(where: { $0.label == label }) else { throw VaultError.slotNotFound(label) }
            guard slots.count > 1 else { throw VaultError.lastSlot }
            try connection.prepare("DELETE FROM slot WHERE label = ?").bind(.text(label)).run()
        }
        file.checkpoint()
    }

    /// Changes one slot's passphrase: only the wrapped data key changes; records stay
    /// byte-identical.
    public func changePassphrase(
        label: String, to passphrase: SecretBytes, limits: KDFLimits = .moderate,
        now: Int64 = Clock.now()
    ) throws(VaultError) {
        let slot = try PassphraseSlot.make(
            label: label, passphrase: passphrase, limits: limits,
            vaultID: file.vaultID, dataKey: dataKey, now: now)
        try write { _ in
            guard try SlotTable.all(in: connection).contains(where: { $0.label == label }) else {
                throw VaultError.slotNotFound(label)
            }
            try connection.prepare("DELETE FROM slot WHERE label = ?").bind(.text(label)).run()
            try SlotTable.insert(slot, into: connection)
        }
        file.checkpoint()
    }

    // MARK: Verification

    /// The vault MAC recomputed over every slot and record, in one read transaction: `verify`'s
    /// check of the whole vault without opening each record (a keyed hash per row). Throws
    /// `tampered` when a row was added, deleted, replaced or rolled back.
    ///
    /// Reads do not check it; commands about to make a request with a side effect at Twilio
    /// (rotating, deleting a key, refreshing a token) do, first: a rolled-back `rotation`
    /// record could otherwise make them delete the key that is current.
    public func checkIntegrity() throws(VaultError) {
        try translating(path: path) {
            try connection.readTransaction {
                let (count, sum) = try Integrity.sumAll(connection, keys: keys)
                try Integrity.verify(connection, keys: keys, count: count, sum: sum)
            }
        }
    }

    /// Checks every slot's structure, every record and the vault MAC, recomputed over every
    /// record in the same pass. Returns one line per failure; empty means the vault is intact.
    public func verify() -> [String] {
        var failures: [String] = []
        do {
            try connection.readTransaction {
                for slot in try SlotTable.all(in: connection) {
                    do { try slot.checkStructure() } catch let error as VaultError {
                        failures.append(error.description)
                    }
                }
                // One secret buffer for every record's key and plaintext.
                let scratch = SecretScratch()
                let (count, sum) = try Integrity.sumAll(connection, keys: keys) { profile, kindName, sealed in
                    guard Names.isValidProfile(profile) else {
                        failures.append("a record has an invalid profile name '\(Names.printable(profile))'")
                        return
                    }
                    let kind = RecordKind(rawValue: kindName)
                    if let failure = checkRecord(profile: profile, kind: kind, sealed: sealed, scratch: scratch) {
                        failures.append(failure)
                    }
                }
                let orphans = try connection.prepare(
                    """
                    SELECT DISTINCT profile FROM record r WHERE NOT EXISTS
                    (SELECT 1 FROM record p WHERE p.profile = r.profile AND p.kind = 'profile') ORDER BY profile
                    """)
                while try orphans.step() {
                    failures.append(
                        "records of '\(Names.printable(try orphans.requireText(0)))' exist without their profile record"
                    )
                }
                do { try Integrity.verify(connection, keys: keys, count: count, sum: sum) } catch let error
                    as VaultError
                {
                    failures.append(error.description)
                }
            }
        } catch let error as VaultError {
            failures.append(error.description)
        } catch let error as StoreError {
            failures.append(VaultError.from(error, path: path).description)
        } catch {
            failures.append("\(error)")
        }
        return failures
    }

    /// Opens one record and decodes the kinds this module knows; the failure, or `nil`.
    private func checkRecord(profile: String, kind: RecordKind, sealed: [UInt8], scratch: SecretScratch) -> String? {
        do {
            try keys.sealer.withOpened(sealed, profile: profile, kind: kind, scratch: scratch) {
                payload throws(VaultError) in
                if kind == .profile {
                    _ = try PayloadCoding.decode(
                        ProfileRecord.self, from: payload, what: "profile '\(Names.printable(profile))'")
                } else if kind == .token {
                    _ = try PayloadCoding.decode(
                        CachedToken.self, from: payload, what: "token of '\(Names.printable(profile))'")
                }
            }
            return nil
        } catch {
            return error.description
        }
    }
}

@available(*, unavailable)
extension UnlockedVault: Sendable {}

/// The writes allowed inside `UnlockedVault.write`.
public struct VaultTransaction {
    let vault: UnlockedVault
    /// Every row written or removed goes through it, so the vault MAC follows the table.
    let ledger: IntegrityLedger
    private var connection: Connection { vault.connection }

    public func exists(profile: String) throws -> Bool {
        let statement = try connection.cached("SELECT 1 FROM record WHERE profile = ? AND kind = 'profile'")
        try statement.bind(.text(profile))
        return try statement.step()
    }

    /// Reads a record as it is inside this transaction.
    public func record<T: Decodable>(_ type: T.Type, profile: String, kind: RecordKind) throws -> T? {
        try vault.record(type, profile: profile, kind: kind)
    }

    /// Seals and stores a record, replacing any record at (profile, kind).
    public func put<T: Encodable>(_ value: T, profile: String, kind: RecordKind, now: Int64 = Clock.now()) throws {
        let payload = try PayloadCoding.encode(value)
        try putPayload(payload, profile: profile, kind: kind, now: now)
    }

    func putPayload(_ payload: SecretBytes, profile: String, kind: RecordKind, now: Int64) throws {
        try Names.validateProfile(profile)
        guard !kind.rawValue.isEmpty, RecordSealer.fitsContext(profile: profile, kind: kind) else {
            throw VaultError.invalidName("a record kind must be 1-255 bytes long")
        }
        let sealed = try vault.keys.sealer.seal(payload, profile: profile, kind: kind)
        if let old = try sealedRow(profile: profile, kind: kind) {
            try ledger.removing(profile: profile, kind: kind, sealed: old)
        }
        try connection.cached(
            """
            INSERT INTO record (profile, kind, sealed, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (profile, kind) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at
            """
        )
        .bind(.text(profile), .text(kind.rawValue), .blob(sealed), .integer(now)).run()
        ledger.adding(profile: profile, kind: kind, sealed: sealed)
    }

    /// The sealed bytes at (profile, kind), or `nil`.
    private func sealedRow(profile: String, kind: RecordKind) throws -> [UInt8]? {
        let statement = try connection.cached("SELECT sealed FROM record WHERE profile = ? AND kind = ?")
        defer { statement.reset() }
        try statement.bind(.text(profile), .text(kind.rawValue))
        guard try statement.step() else { return nil }
        return try statement.requireBlob(0)
    }

    /// Deletes one record kind, or every record of the profile when `kind` is nil.
    public func delete(profile: String, kind: RecordKind? = nil) throws {
        if let kind {
            guard let old = try sealedRow(profile: profile, kind: kind) else { return }
            try ledger.removing(profile: profile, kind: kind, sealed: old)
            try connection.cached("DELETE FROM record WHERE profile = ? AND kind = ?")
                .bind(.text(profile), .text(kind.rawValue)).run()
        } else {
            let statement = try connection.cached("SELECT kind, sealed FROM record WHERE profile = ?")
            defer { statement.reset() }
            try statement.bind(.text(profile))
            while try statement.step() {
                let kind = RecordKind(rawValue: try statement.requireText(0))
                try ledger.removing(profile: profile, kind: kind, sealed: try statement.requireBlob(1))
            }
            statement.reset()
            try connection.cached("DELETE FROM record WHERE profile = ?").bind(.text(profile)).run()
        }
    }

    /// Re-seals every record of `old` under `new`.
    func rename(profile old: String, to new: String, now: Int64) throws {
        let statement = try connection.prepare("SELECT kind, sealed FROM record WHERE profile = ? ORDER BY kind")
        try statement.bind(.text(old))
        var moved: [(RecordKind, SecretBytes)] = []
        while try statement.step() {
            let kind = RecordKind(rawValue: try statement.requireText(0))
            moved.append((kind, try vault.keys.sealer.open(try statement.requireBlob(1), profile: old, kind: kind)))
        }
        try delete(profile: old)
        for (kind, payload) in moved { try putPayload(payload, profile: new, kind: kind, now: now) }
    }
}
