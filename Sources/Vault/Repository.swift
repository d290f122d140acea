import FoundationEssentials
import VaultCrypto
import VaultStore

#if canImport(Glibc)
    import Glibc
#endif

/// One row of the record table as it travels through a repository: the sealed bytes are
/// the same in every copy of the vault (same vault id, same data key).
public struct RecordRow: Sendable, Equatable {
    public let profile: String
    public let kind: String
    public let sealed: [UInt8]
    public let updatedAt: Int64

    public init(profile: String, kind: String, sealed: [UInt8], updatedAt: Int64) {
        self.profile = profile
        self.kind = kind
        self.sealed = sealed
        self.updatedAt = updatedAt
    }
}

/// One file of the repository as the manifest knows it (docs/FORMAT.md, "Repository").
public struct ManifestEntry: Sendable, Equatable {
    public var version: UInt64
    public var updatedAt: Int64
    /// SHA-256 of the file's bytes.
    public var digest: [UInt8]

    public init(version: UInt64, updatedAt: Int64, digest: [UInt8]) {
        self.version = version
        self.updatedAt = updatedAt
        self.digest = digest
    }
}

/// The sealed manifest: every record and slot file with its version, and the write counter.
public struct RepositoryManifest: Sendable, Equatable {
    public var writeCounter: UInt64
    public var entries: [String: ManifestEntry]

    public init(writeCounter: UInt64, entries: [String: ManifestEntry]) {
        self.writeCounter = writeCounter
        self.entries = entries
    }

    static let label = Array("twvault-manifest-v1".utf8)
    /// Far more than a vault holds; a bigger manifest is refused before it is parsed.
    static let maximumEntries = 1_000_000
}

/// The keys of a repository, derived from the data key: the manifest key and the key id that
/// names the data key's generation in the header without revealing anything of it.
public struct RepositoryKeys: Sendable {
    public let vaultID: [UInt8]
    /// First 16 bytes of kdf(6, "vaultkid", DEK).
    public let keyID: [UInt8]
    let manifestKey: SecretBytes
    let dataKey: SecretBytes
    let sealer: RecordSealer

    init(vaultID: [UInt8], dataKey: SecretBytes) throws(VaultError) {
        do {
            self.vaultID = vaultID
            self.dataKey = dataKey
            manifestKey = try KeyDerivation.subkey(of: dataKey, id: 5, context: "vaultsyn")
            keyID = try KeyDerivation.subkey(of: dataKey, id: 6, context: "vaultkid").withUnsafeBytes {
                Array($0.prefix(16))
            }
            sealer = try RecordSealer(vaultID: vaultID, dataKey: dataKey)
        } catch { throw .corrupt("the data key has the wrong size") }
    }

    /// The data key from the repository's slots, opened with a passphrase (as `unlock` does):
    /// through this user's identity when a member slot is sealed to it, else a passphrase slot.
    public static func unlock(
        slots: [PassphraseSlot], vaultID: [UInt8], passphrase: SecretBytes, identityPath: String
    ) throws(VaultError) -> RepositoryKeys {
        guard !slots.isEmpty else { throw .tampered(what: "the repository has no slots") }
        guard slots.count <= SlotTable.maximumCount else {
            throw .tampered(what: "the repository has more than \(SlotTable.maximumCount) slots")
        }
        for slot in slots { try slot.checkStructure() }
        if let publicKey = try IdentityFile.publicKey(at: identityPath),
            slots.contains(where: { $0.kind == .member && $0.publicKey == publicKey })
        {
            let identity = try IdentityFile.open(at: identityPath, passphrase: passphrase)
            return try unlock(slots: slots, vaultID: vaultID, identity: identity)
        }
        for slot in slots where slot.kind == .passphrase {
            if let dataKey = try slot.unwrap(passphrase: passphrase, vaultID: vaultID) {
                return try RepositoryKeys(vaultID: vaultID, dataKey: dataKey)
            }
        }
        throw .wrongPassphrase
    }

    /// The data key from the member slot sealed to `identity`; `wrongPassphrase` (77) when
    /// none is: a removed member's identity opens nothing written after the rekey.
    public static func unlock(slots: [PassphraseSlot], vaultID: [UInt8], identity: Identity) throws(VaultError)
        -> RepositoryKeys
    {
        for slot in slots { try slot.checkStructure() }
        guard let slot = slots.first(where: { $0.kind == .member && $0.publicKey == identity.publicKey }),
            let dataKey = try MemberSlot.unwrap(slot, identity: identity, vaultID: vaultID)
        else { throw .wrongPassphrase }
        return try RepositoryKeys(vaultID: vaultID, dataKey: dataKey)
    }

    /// nonce || seal(manifest, nonce, manifest_key)
    public func seal(_ manifest: RepositoryManifest) throws(VaultError) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(RepositoryManifest.label)
        writer.append(vaultID)
        writer.append(keyID)
        writer.u64(manifest.writeCounter)
        let paths = manifest.entries.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        writer.u32(UInt32(paths.count))
        for path in paths {
            let entry = manifest.entries[path]!
            writer.lengthPrefixed(Array(path.utf8))
            writer.u64(entry.version)
            writer.u64(UInt64(bitPattern: entry.updatedAt))
            writer.append(entry.digest)
        }
        do { return try writer.bytes.withUnsafeBytes { try SecretBox.seal($0, key: manifestKey) } } catch {
            throw .system("could not seal the repository manifest")
        }
    }

    /// Opens and parses a manifest; anything that does not open, names another vault or key,
    /// or does not parse is tampering.
    public func open(_ sealed: [UInt8]) throws(VaultError) -> RepositoryManifest {
        let plaintext: SecretBytes
        do { plaintext = try SecretBox.open(sealed, key: manifestKey) } catch {
            throw .tampered(what: "the repository manifest does not open with this vault's key")
        }
        let parsed: RepositoryManifest? = plaintext.withUnsafeBytes { bytes in
            var reader = ByteReader(bytes)
            guard let label = reader.take(RepositoryManifest.label.count), Array(label) == RepositoryManifest.label,
                let vault = reader.take(16), Array(vault) == vaultID,
                let key = reader.take(16), Array(key) == keyID,
                let counter = reader.u64(), let count = reader.u32(), count <= RepositoryManifest.maximumEntries
            else { return nil }
            var entries: [String: ManifestEntry] = [:]
            for _ in 0..<count {
                guard let length = reader.u32(), length <= 4096, let path = reader.take(Int(length)),
                    let version = reader.u64(), let updated = reader.u64(), let digest = reader.take(32)
                else { return nil }
                let name = String(decoding: path, as: UTF8.self)
                guard entries[name] == nil else { return nil }
                entries[name] = ManifestEntry(
                    version: version, updatedAt: Int64(bitPattern: updated), digest: Array(digest))
            }
            guard reader.remaining == 0 else { return nil }
            return RepositoryManifest(writeCounter: counter, entries: entries)
        }
        guard let parsed else { throw .tampered(what: "the repository manifest is malformed") }
        return parsed
    }

    /// Throws unless `sealed` authenticates as the record at (profile, kind).
    public func checkRecord(_ sealed: [UInt8], profile: String, kind: String) throws(VaultError) {
        _ = try sealer.open(sealed, profile: profile, kind: RecordKind(rawValue: kind))
    }

    /// The record at (profile, kind) sealed again under another data key (`keys`).
    public func transfer(_ sealed: [UInt8], profile: String, kind: String, to keys: RepositoryKeys) throws(VaultError)
        -> [UInt8]
    {
        let recordKind = RecordKind(rawValue: kind)
        let payload = try sealer.open(sealed, profile: profile, kind: recordKind)
        do { return try keys.sealer.seal(payload, profile: profile, kind: recordKind) } catch {
            throw .system("could not seal a record")
        }
    }

    /// The record at (profile, kind) sealed again as a record of `newProfile`.
    public func reseal(_ sealed: [UInt8], profile: String, kind: String, as newProfile: String) throws(VaultError)
        -> [UInt8]
    {
        let recordKind = RecordKind(rawValue: kind)
        let payload = try sealer.open(sealed, profile: profile, kind: recordKind)
        do { return try sealer.seal(payload, profile: newProfile, kind: recordKind) } catch {
            throw .system("could not seal a record")
        }
    }
}

extension ByteReader {
    mutating func u32() -> UInt32? {
        guard let b = take(4) else { return nil }
        return b.reduce(0) { $0 << 8 | UInt32($1) }
    }
}

extension PassphraseSlot {
    static let repositoryMagic = Array("TWVSLOT1".utf8)

    /// The slot as a repository file: "TWVSLOT1" || lp(label) || u64be(algorithm)
    /// || u64be(ops_limit) || u64be(mem_limit) || lp(salt) || lp(wrapped_key) || u64be(created_at)
    /// || lp(kind) || lp(public_key, empty for a passphrase slot).
    public var repositoryBytes: [UInt8] {
        var writer = ByteWriter()
        writer.append(Self.repositoryMagic)
        writer.lengthPrefixed(Array(label.utf8))
        writer.u64(UInt64(algorithm))
        writer.u64(limits.opsLimit)
        writer.u64(limits.memLimit)
        writer.lengthPrefixed(salt)
        writer.lengthPrefixed(wrappedKey)
        writer.u64(UInt64(bitPattern: createdAt))
        writer.lengthPrefixed(Array(kind.rawValue.utf8))
        writer.lengthPrefixed(publicKey ?? [])
        return writer.bytes
    }

    /// Parses a slot file; nil when it is malformed.
    public init?(repositoryBytes bytes: [UInt8]) {
        let parsed: PassphraseSlot? = bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            guard let magic = reader.take(8), Array(magic) == Self.repositoryMagic,
                let labelLength = reader.u32(), labelLength <= 64, let label = reader.take(Int(labelLength)),
                let algorithm = reader.u64(), algorithm < 256, let ops = reader.u64(), let mem = reader.u64(),
                let saltLength = reader.u32(), saltLength <= 64, let salt = reader.take(Int(saltLength)),
                let wrappedLength = reader.u32(), wrappedLength <= 256, let wrapped = reader.take(Int(wrappedLength)),
                let created = reader.u64(), let kindLength = reader.u32(), kindLength <= 32,
                let kind = reader.take(Int(kindLength)), let keyLength = reader.u32(), keyLength <= 64,
                let key = reader.take(Int(keyLength)), reader.remaining == 0
            else { return nil }
            let slotKind = SlotKind(rawValue: String(decoding: kind, as: UTF8.self))
            return PassphraseSlot(
                label: String(decoding: label, as: UTF8.self), algorithm: Int(algorithm),
                limits: KDFLimits(opsLimit: ops, memLimit: mem), salt: Array(salt), wrappedKey: Array(wrapped),
                createdAt: Int64(bitPattern: created), kind: slotKind,
                publicKey: slotKind == .member ? Array(key) : (key.isEmpty ? nil : Array(key)))
        }
        guard let parsed, (try? Names.validateSlotLabel(parsed.label)) != nil else { return nil }
        self = parsed
    }
}

/// What a sync changes in the local vault, applied in one transaction.
public struct RepositoryChanges: Sendable {
    public var putRecords: [RecordRow] = []
    public var deleteRecords: [(profile: String, kind: String)] = []
    public var putSlots: [PassphraseSlot] = []
    public var deleteSlots: [String] = []

    public init() {}
    public var isEmpty: Bool {
        putRecords.isEmpty && deleteRecords.isEmpty && putSlots.isEmpty && deleteSlots.isEmpty
    }
}

extension UnlockedVault {
    /// The repository keys of this vault's data key.
    public func repositoryKeys() throws(VaultError) -> RepositoryKeys {
        try RepositoryKeys(vaultID: file.vaultID, dataKey: dataKey)
    }

    /// Every record row and slot, in one read transaction, after checking the vault MAC over
    /// all of them: a sync never sends damage on.
    public func repositorySnapshot() throws(VaultError) -> (records: [RecordRow], slots: [PassphraseSlot]) {
        try translating(path: path) {
            try connection.readTransaction {
                let (count, sum) = try Integrity.sumAll(connection, keys: keys)
                try Integrity.verify(connection, keys: keys, count: count, sum: sum)
                let statement = try connection.prepare(
                    "SELECT profile, kind, sealed, updated_at FROM record ORDER BY profile, kind")
                var rows: [RecordRow] = []
                while try statement.step() {
                    rows.append(
                        RecordRow(
                            profile: try statement.requireText(0), kind: try statement.requireText(1),
                            sealed: try statement.requireBlob(2), updatedAt: try statement.requireInt(3)))
                }
                return (rows, try SlotTable.all(in: connection))
            }
        }
    }

    /// Applies a merge in one write transaction: each record put must authenticate at its
    /// place; the vault MAC follows every row and slot written or removed.
    public func apply(_ changes: RepositoryChanges) throws(VaultError) {
        guard !changes.isEmpty else { return }
        try write { transaction in
            for (profile, kind) in changes.deleteRecords {
                try transaction.delete(profile: profile, kind: RecordKind(rawValue: kind))
            }
            for row in changes.putRecords {
                try Names.validateProfile(row.profile)
                _ = try keys.sealer.open(row.sealed, profile: row.profile, kind: RecordKind(rawValue: row.kind))
                try transaction.putSealed(row)
            }
            for label in changes.deleteSlots {
                try connection.prepare("DELETE FROM slot WHERE label = ?").bind(.text(label)).run()
            }
            for slot in changes.putSlots {
                try connection.prepare("DELETE FROM slot WHERE label = ?").bind(.text(slot.label)).run()
                try SlotTable.insert(slot, into: connection)
            }
            let slots = try SlotTable.all(in: connection)
            guard !slots.isEmpty else {
                throw VaultError.tampered(what: "the merge would leave the vault without slots")
            }
        }
        file.checkpoint()
    }
}

extension UnlockedVault {
    /// Takes over a repository sealed under a new data key (a rekey made by another member):
    /// in one transaction, checked against the current vault MAC first, every record and slot
    /// is replaced by the repository's, the MAC state is rebuilt under the new key, and the
    /// lock generation is raised so that every unlock session made with the old key ends.
    /// Returns the vault opened with the new key, keeping this member's identity.
    public func adopt(_ keys: RepositoryKeys, slots: [PassphraseSlot], records: [RecordRow]) throws(VaultError)
        -> UnlockedVault
    {
        let newKeys: VaultKeys
        do { newKeys = try VaultKeys(vaultID: keys.vaultID, dataKey: keys.dataKey) } catch {
            throw .corrupt("the data key has the wrong size")
        }
        try translating(path: path) {
            try connection.writeTransaction {
                let ledger = try Integrity.beginWrite(connection, keys: self.keys, fullCheckLimit: fullCheckLimit)
                try connection.prepare("DELETE FROM record").run()
                try connection.prepare("DELETE FROM slot").run()
                for slot in slots { try SlotTable.insert(slot, into: connection) }
                for row in records {
                    try Names.validateProfile(row.profile)
                    try keys.checkRecord(row.sealed, profile: row.profile, kind: row.kind)
                    try connection.cached("INSERT INTO record (profile, kind, sealed, updated_at) VALUES (?, ?, ?, ?)")
                        .bind(.text(row.profile), .text(row.kind), .blob(row.sealed), .integer(row.updatedAt)).run()
                }
                var state = try Integrity.fullState(connection, keys: newKeys)
                state.writeCounter = ledger.state.writeCounter + 1
                try Integrity.store(state, in: connection, keys: newKeys)
                try connection.prepare(
                    "UPDATE vault SET lock_generation = lock_generation + 1 WHERE singleton = 1 AND lock_generation >= 0"
                ).run()
            }
        }
        file.checkpoint()
        let adopted = try UnlockedVault(file: file, dataKey: keys.dataKey, slotLabel: slotLabel)
        adopted.memberIdentity = memberIdentity
        return adopted
    }
}

extension VaultTransaction {
    /// Stores sealed bytes as they are (they were checked by the caller).
    func putSealed(_ row: RecordRow) throws {
        let kind = RecordKind(rawValue: row.kind)
        try delete(profile: row.profile, kind: kind)
        try vault.connection.cached(
            "INSERT INTO record (profile, kind, sealed, updated_at) VALUES (?, ?, ?, ?)"
        )
        .bind(.text(row.profile), .text(row.kind), .blob(row.sealed), .integer(row.updatedAt)).run()
        ledger.adding(profile: row.profile, kind: kind, sealed: row.sealed)
    }
}

extension VaultFile {
    /// Creates a vault at `path` from a repository's content (`clone`): the same vault id,
    /// slots and sealed records. Built under a temporary name and linked into place; an
    /// existing vault is never overwritten (73). Every record must authenticate.
    public static func create(
        path: String, from keys: RepositoryKeys, createdAt: Int64, slots: [PassphraseSlot], records: [RecordRow]
    ) throws(VaultError) -> UnlockedVault {
        try translating(path: path) {
            try VaultFile.createNew(at: path) { temporary in
                let connection = try Connection(path: temporary, mode: .readWrite)
                try connection.enableWAL()
                try migrator.migrate(connection, now: createdAt)
                let vaultKeys = try VaultKeys(vaultID: keys.vaultID, dataKey: keys.dataKey)
                try connection.writeTransaction {
                    try connection.prepare(
                        "INSERT INTO vault (singleton, vault_id, created_at, mac) VALUES (1, ?, ?, zeroblob(32))"
                    )
                    .bind(.blob(keys.vaultID), .integer(createdAt)).run()
                    for slot in slots { try SlotTable.insert(slot, into: connection) }
                    for row in records {
                        try Names.validateProfile(row.profile)
                        try keys.checkRecord(row.sealed, profile: row.profile, kind: row.kind)
                        try connection.prepare(
                            "INSERT INTO record (profile, kind, sealed, updated_at) VALUES (?, ?, ?, ?)"
                        )
                        .bind(.text(row.profile), .text(row.kind), .blob(row.sealed), .integer(row.updatedAt)).run()
                    }
                    try Integrity.finishWrite(
                        IntegrityLedger(base: Integrity.fullState(connection, keys: vaultKeys), keys: vaultKeys),
                        connection, keys: vaultKeys)
                }
                try connection.checkpoint()
            }
        }
        let file = try open(path: path)
        return try UnlockedVault(file: file, dataKey: keys.dataKey, slotLabel: nil)
    }

    /// The vault's creation time (in the clear).
    public func createdAt() throws(VaultError) -> Int64 {
        try translating(path: path) { try connection.scalarInt("SELECT created_at FROM vault WHERE singleton = 1") }
    }
}
