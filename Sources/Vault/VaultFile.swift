import FoundationEssentials
import VaultCrypto
import VaultMigrations
import VaultStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An opened, still locked vault: names, slots and the vault id are readable; nothing sealed is.
public final class VaultFile {
    /// 'TWV1', the SQLite header's application_id of every vault.
    public static let applicationID: Int32 = 0x5457_5631
    public static let vaultIDLength = 16

    public let path: String
    public let vaultID: [UInt8]
    let connection: Connection

    static var migrator: Migrator {
        Migrator(VaultMigrations.all.map { Migration(id: $0.id, name: $0.name, sql: $0.sql) })
    }

    private init(path: String, connection: Connection, vaultID: [UInt8]) {
        self.path = path
        self.connection = connection
        self.vaultID = vaultID
    }

    /// The vault id as lowercase hex (names session files).
    public var vaultIDHex: String { ByteEncoding.hex(vaultID) }

    /// Opens an existing vault. Checks permissions, the file's magic and its schema version
    /// before anything is written; a vault of a newer format is left untouched.
    public static func open(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws(VaultError) -> VaultFile {
        try translating(path: path) {
            try SecureFiles.checkVaultDirectory(SecureFiles.directory(of: path))
            guard SecureFiles.exists(path) else { throw VaultError.vaultNotFound(path: path) }
            try SecureFiles.checkDatabaseFiles(path)
            let connection = try Connection(
                path: path, mode: .readWrite, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            guard try connection.applicationID() == applicationID else {
                throw VaultError.corrupt("\(path) is an SQLite file but not a twvault vault")
            }
            let migrator = migrator
            let pending = try migrator.hasPending(connection)
            try connection.enableWAL()
            if pending { try migrator.migrate(connection, now: Clock.now()) }
            // Again now that SQLite has opened (or made) the -wal and -shm: one that someone else
            // slipped in between the first check and the open is refused before the vault is used.
            try SecureFiles.checkDatabaseFiles(path)
            let statement = try connection.prepare("SELECT vault_id FROM vault WHERE singleton = 1")
            guard try statement.step() else { throw VaultError.corrupt("the vault row is missing") }
            let vaultID = try statement.requireBlob(0)
            guard vaultID.count == vaultIDLength else { throw VaultError.corrupt("the vault id has the wrong size") }
            return VaultFile(path: path, connection: connection, vaultID: vaultID)
        }
    }

    /// Opens a copy written by `UnlockedVault.backup` read-only, to check it before it takes
    /// its name: the same magic, no migration missing, a vault id. The directory is not
    /// checked (a backup may go anywhere), nor is anything written.
    static func openCopy(path: String) throws(VaultError) -> VaultFile {
        try translating(path: path) {
            let connection = try Connection(path: path, mode: .readOnly)
            guard try connection.applicationID() == applicationID else {
                throw VaultError.corrupt("the copy at \(path) is not a twvault vault")
            }
            guard try !migrator.hasPending(connection) else {
                throw VaultError.corrupt("the copy at \(path) lacks schema migrations the vault has")
            }
            let statement = try connection.prepare("SELECT vault_id FROM vault WHERE singleton = 1")
            guard try statement.step() else { throw VaultError.corrupt("the copy's vault row is missing") }
            let vaultID = try statement.requireBlob(0)
            statement.reset()
            return VaultFile(path: path, connection: connection, vaultID: vaultID)
        }
    }

    /// Creates a vault at `path` with one passphrase slot. The file is built under a temporary
    /// name and linked into place, so a crash leaves either no vault or a complete one, and an
    /// existing vault is never overwritten (73).
    public static func create(
        path: String, passphrase: SecretBytes, limits: KDFLimits = .moderate, slotLabel: String = "default",
        now: Int64 = Clock.now()
    ) throws(VaultError) -> UnlockedVault {
        try Passphrase.checkNew(passphrase)
        try limits.checkPolicy()
        try Names.validateSlotLabel(slotLabel)
        let dataKey = SecretBytes.random(count: PassphraseSlot.dataKeyLength)
        try translating(path: path) {
            try createNew(at: path) { temporary in
                try build(
                    temporary, dataKey: dataKey, passphrase: passphrase, limits: limits, label: slotLabel, now: now)
            }
        }
        let file = try open(path: path)
        return try UnlockedVault(file: file, dataKey: dataKey, slotLabel: slotLabel)
    }

    /// Makes a new vault file at `path`: `fill` writes a private temporary file, which then
    /// takes the name with a hard link — never over an existing file (73) — so readers see no
    /// file or a complete one. The temporary name and its SQLite side files are removed either way.
    static func createNew(at path: String, _ fill: (_ temporary: String) throws -> Void) throws {
        try SecureFiles.checkVaultDirectory(SecureFiles.directory(of: path), create: true)
        if SecureFiles.exists(path) { throw VaultError.vaultExists(path: path) }
        let temporary = "\(path).new-\(getpid())"
        SecureFiles.remove(temporary)
        try SecureFiles.createPrivateFile(temporary)
        defer {
            SecureFiles.remove(temporary)
            SecureFiles.remove(temporary + "-wal")
            SecureFiles.remove(temporary + "-shm")
        }
        try fill(temporary)
        guard link(temporary, path) == 0 else {
            let code = errno
            throw code == EEXIST
                ? VaultError.vaultExists(path: path)
                : VaultError.system("cannot create \(path): \(String(cString: strerror(code)))")
        }
    }

    private static func build(
        _ path: String, dataKey: SecretBytes, passphrase: SecretBytes, limits: KDFLimits,
        label: String, now: Int64
    ) throws {
        let connection = try Connection(path: path, mode: .readWrite)
        try connection.enableWAL()
        try migrator.migrate(connection, now: now)
        let vaultID = RandomBytes.make(vaultIDLength)
        let slot = try PassphraseSlot.make(
            label: label, passphrase: passphrase, limits: limits, vaultID: vaultID,
            dataKey: dataKey, now: now)
        let keys = try VaultKeys(vaultID: vaultID, dataKey: dataKey)
        try connection.writeTransaction {
            try connection.prepare(
                "INSERT INTO vault (singleton, vault_id, created_at, mac) VALUES (1, ?, ?, zeroblob(32))"
            )
            .bind(.blob(vaultID), .integer(now)).run()
            try SlotTable.insert(slot, into: connection)
            // A new vault starts with the format-3 MAC state (write 1); `mac` stays zero.
            try Integrity.finishWrite(
                IntegrityLedger(base: Integrity.fullState(connection, keys: keys), keys: keys), connection, keys: keys)
        }
        // Folds the log into the file so that only one file is linked into place.
        try connection.checkpoint()
    }

    /// Profile names in byte order. Needs no passphrase.
    public func profileNames() throws(VaultError) -> [String] {
        try translating(path: path) {
            let statement = try connection.cached("SELECT profile FROM record WHERE kind = 'profile' ORDER BY profile")
            var names: [String] = []
            while try statement.step() { names.append(try statement.requireText(0)) }
            return names
        }
    }

    /// Whether a profile of that name exists. Needs no passphrase.
    public func hasProfile(_ name: String) throws(VaultError) -> Bool {
        try translating(path: path) {
            let statement = try connection.cached("SELECT 1 FROM record WHERE profile = ? AND kind = 'profile'")
            defer { statement.reset() }
            try statement.bind(.text(name))
            return try statement.step()
        }
    }

    /// The passphrase slots (public parts only).
    public func slots() throws(VaultError) -> [PassphraseSlot] {
        try translating(path: path) { try SlotTable.all(in: connection) }
    }

    /// Unlocks with a passphrase: one Argon2id run per slot tried. The number of slots and
    /// every slot's limits are checked against the policy before any KDF runs. A slot whose
    /// limits this machine cannot run (not enough memory) is passed over, so a slot planted
    /// at the memory cap does not lock everyone out; when no other slot opens, that is the
    /// error (78).
    public func unlock(passphrase: SecretBytes) throws(VaultError) -> UnlockedVault {
        let slots = try slots()
        guard !slots.isEmpty else { throw .corrupt("the vault has no passphrase slots") }
        for slot in slots { try slot.checkStructure() }
        var unrunnable: VaultError?
        // Member slots open with an identity (`unlock(identity:)`), never with a passphrase.
        for slot in slots where slot.kind == .passphrase {
            let opened: (dataKey: SecretBytes, kek: SecretBytes)?
            do { opened = try slot.unwrapKeepingKey(passphrase: passphrase, vaultID: vaultID) } catch {
                guard case .kdfOutsidePolicy = error else { throw error }
                unrunnable = unrunnable ?? error
                continue
            }
            if let opened {
                let vault = try UnlockedVault(file: self, dataKey: opened.dataKey, slotLabel: slot.label)
                vault.slotKey = opened.kek
                vault.passphraseIsNotUTF8 = !Passphrase.isValidUTF8(passphrase)
                return vault
            }
        }
        throw unrunnable ?? .wrongPassphrase
    }

    /// The member slot sealed to `publicKey`, if the vault has one. Needs no passphrase.
    public func memberSlot(publicKey: [UInt8]) throws(VaultError) -> PassphraseSlot? {
        try slots().first { $0.kind == .member && $0.publicKey == publicKey }
    }

    /// Unlocks with the identity a member slot is sealed to (no KDF: the identity was opened
    /// with the passphrase already). The data key the slot yields must open the vault MAC
    /// state, which covers every slot's kind and public key: a slot sealed to this identity by
    /// someone without the data key opens nothing. `wrongPassphrase` when no slot is this
    /// identity's.
    public func unlock(identity: Identity) throws(VaultError) -> UnlockedVault {
        let slots = try slots()
        for slot in slots { try slot.checkStructure() }
        guard let slot = slots.first(where: { $0.kind == .member && $0.publicKey == identity.publicKey }),
            let dataKey = try MemberSlot.unwrap(slot, identity: identity, vaultID: vaultID)
        else { throw .wrongPassphrase }
        let vault = try UnlockedVault(file: self, dataKey: dataKey, slotLabel: slot.label)
        try vault.checkStateOpens()
        vault.memberIdentity = identity
        return vault
    }

    /// Unlocks with a data key recovered from an unlock session.
    func unlock(dataKey: SecretBytes, identity: Identity? = nil) throws(VaultError) -> UnlockedVault {
        let vault = try UnlockedVault(file: self, dataKey: dataKey, slotLabel: nil)
        vault.memberIdentity = identity
        return vault
    }

    /// The lock generation (docs/FORMAT.md, "Unlock sessions"): raised by every `lock`; an
    /// unlock session made under a lower value is over.
    public func lockGeneration() throws(VaultError) -> UInt64 {
        try translating(path: path) {
            let statement = try connection.cached("SELECT lock_generation FROM vault WHERE singleton = 1")
            defer { statement.reset() }
            guard try statement.step() else { throw VaultError.corrupt("the vault row is missing") }
            let generation = try statement.requireInt(0)
            guard generation >= 0 else { throw VaultError.corrupt("the lock generation is negative") }
            return UInt64(generation)
        }
    }

    /// Raises the lock generation by one and returns the new value, so that every unlock
    /// session made before ends, wherever its file is. Needs no passphrase, like `lock`: the
    /// value is outside the vault MAC, and lowering it again brings back only sessions whose
    /// token and file an attacker already holds.
    @discardableResult
    public func advanceLockGeneration() throws(VaultError) -> UInt64 {
        try translating(path: path) {
            try connection.writeTransaction {
                let statement = try connection.prepare(
                    """
                    UPDATE vault SET lock_generation = lock_generation + 1
                    WHERE singleton = 1 AND lock_generation >= 0 AND lock_generation < 9223372036854775807
                    RETURNING lock_generation
                    """)
                guard try statement.step() else {
                    throw VaultError.corrupt("the vault row is missing or its lock generation is out of range")
                }
                let generation = UInt64(statement.columnInt(0))
                statement.reset()
                return generation
            }
        }
    }

    /// Folds the write-ahead log into the file and empties it (best effort while others read).
    public func checkpoint() {
        try? connection.checkpoint()
    }
}

@available(*, unavailable)
extension VaultFile: Sendable {}

/// Reading and writing slot rows.
enum SlotTable {
    /// The most slots a vault holds. A file with more was not written by twvault; refusing
    /// it before reading on keeps a planted table from costing memory or one KDF run per row.
    static let maximumCount = 64

    static func all(in connection: Connection) throws -> [PassphraseSlot] {
        let statement = try connection.cached(
            """
            SELECT label, algorithm, ops_limit, mem_limit, salt, wrapped_key, created_at, kind, public_key
            FROM slot ORDER BY label LIMIT ?
            """
        )
        defer { statement.reset() }
        try statement.bind(.integer(Int64(maximumCount + 1)))
        var slots: [PassphraseSlot] = []
        while try statement.step() {
            guard slots.count < maximumCount else {
                throw VaultError.corrupt("the vault has more than \(maximumCount) passphrase slots")
            }
            // A negative limit is read as the huge unsigned value it would be in C, which the
            // policy check refuses (78) like any other limit outside it.
            let ops = UInt64(bitPattern: try statement.requireInt(2))
            let mem = UInt64(bitPattern: try statement.requireInt(3))
            slots.append(
                PassphraseSlot(
                    label: try statement.requireText(0), algorithm: Int(try statement.requireInt(1)),
                    limits: KDFLimits(opsLimit: ops, memLimit: mem),
                    salt: try statement.requireBlob(4), wrappedKey: try statement.requireBlob(5),
                    createdAt: try statement.requireInt(6), kind: SlotKind(rawValue: try statement.requireText(7)),
                    publicKey: statement.columnType(8) == "NULL" ? nil : try statement.requireBlob(8)))
        }
        return slots
    }

    static func insert(_ slot: PassphraseSlot, into connection: Connection) throws {
        guard slot.kind != .passphrase || slot.publicKey != nil else {
            // The columns every format has (a passphrase slot is the default kind since format 4).
            try connection.prepare(
                """
                INSERT INTO slot (label, algorithm, ops_limit, mem_limit, salt, wrapped_key, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
            )
            .bind(
                .text(slot.label), .integer(Int64(slot.algorithm)), .integer(Int64(slot.limits.opsLimit)),
                .integer(Int64(slot.limits.memLimit)), .blob(slot.salt), .blob(slot.wrappedKey),
                .integer(slot.createdAt)
            )
            .run()
            return
        }
        try connection.prepare(
            """
            INSERT INTO slot (label, algorithm, ops_limit, mem_limit, salt, wrapped_key, created_at, kind, public_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        )
        .bind(
            .text(slot.label), .integer(Int64(slot.algorithm)), .integer(Int64(slot.limits.opsLimit)),
            .integer(Int64(slot.limits.memLimit)), .blob(slot.salt), .blob(slot.wrappedKey), .integer(slot.createdAt),
            .text(slot.kind.rawValue), slot.publicKey.map { .blob($0) } ?? .null
        )
        .run()
    }
}

/// Wall-clock seconds; one place so that tests and the format agree on the unit.
public enum Clock {
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
