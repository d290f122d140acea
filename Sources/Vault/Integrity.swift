import VaultCrypto
import VaultStore

/// The keys an unlocked vault derives from its data key.
struct VaultKeys {
    let sealer: RecordSealer
    /// crypto_kdf_derive_from_key(32, 2, "vaultmac", DEK): the format-1 MAC of unconverted vaults.
    let macKey: SecretBytes
    /// crypto_kdf_derive_from_key(32, 3, "vaulttag", DEK): record tags and the slots digest.
    let tagKey: SecretBytes
    /// crypto_kdf_derive_from_key(32, 4, "vaultsta", DEK): seals the integrity state.
    let stateKey: SecretBytes

    init(vaultID: [UInt8], dataKey: SecretBytes) throws(CryptoError) {
        sealer = try RecordSealer(vaultID: vaultID, dataKey: dataKey)
        macKey = try KeyDerivation.subkey(of: dataKey, id: 2, context: "vaultmac")
        tagKey = try KeyDerivation.subkey(of: dataKey, id: 3, context: "vaulttag")
        stateKey = try KeyDerivation.subkey(of: dataKey, id: 4, context: "vaultsta")
    }

    var vaultID: [UInt8] { sealer.vaultID }
}

/// A sum of record tags modulo 2^256 (docs/FORMAT.md, "Vault MAC"): a tag read as a 256-bit
/// little-endian integer. A sum, not an XOR, so that a tag counted twice does not cancel out.
struct TagSum: Equatable {
    static let byteCount = 32
    /// Little-endian 64-bit limbs.
    private(set) var limbs: [UInt64] = [0, 0, 0, 0]

    init() {}

    init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        let array = Array(bytes)
        for limb in 0..<4 {
            var value: UInt64 = 0
            for byte in (0..<8).reversed() { value = value << 8 | UInt64(array[limb * 8 + byte]) }
            limbs[limb] = value
        }
    }

    var bytes: [UInt8] {
        limbs.flatMap { limb in (0..<8).map { UInt8(truncatingIfNeeded: limb >> UInt64($0 * 8)) } }
    }

    mutating func add(_ tag: [UInt8]) {
        guard let other = TagSum(bytes: tag) else { preconditionFailure("a record tag is 32 bytes") }
        var carry: UInt64 = 0
        for index in 0..<4 {
            let (partial, overflow1) = limbs[index].addingReportingOverflow(other.limbs[index])
            let (total, overflow2) = partial.addingReportingOverflow(carry)
            limbs[index] = total
            carry = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
        }
    }

    mutating func subtract(_ tag: [UInt8]) {
        guard let other = TagSum(bytes: tag) else { preconditionFailure("a record tag is 32 bytes") }
        var borrow: UInt64 = 0
        for index in 0..<4 {
            let (partial, overflow1) = limbs[index].subtractingReportingOverflow(other.limbs[index])
            let (total, overflow2) = partial.subtractingReportingOverflow(borrow)
            limbs[index] = total
            borrow = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
        }
    }
}

/// The sealed integrity state of a format-3 vault (`vault.mac_state`, docs/FORMAT.md):
/// how many writes the vault has seen, how many records it holds, the sum of their tags and
/// a digest of the slots. Sealed so that neither the sum nor anything derived from it can be
/// read from the file: an attacker holding two snapshots learns nothing to splice with.
struct IntegrityState: Equatable {
    static let label = Array("twvault-state-v2".utf8)
    static let plaintextLength = 16 + 16 + 8 + 8 + TagSum.byteCount + 32

    var writeCounter: UInt64
    var recordCount: UInt64
    var tagSum: TagSum
    var slotsDigest: [UInt8]

    func seal(keys: VaultKeys) throws -> [UInt8] {
        var writer = ByteWriter()
        writer.append(Self.label)
        writer.append(keys.vaultID)
        writer.u64(writeCounter)
        writer.u64(recordCount)
        writer.append(tagSum.bytes)
        writer.append(slotsDigest)
        precondition(writer.bytes.count == Self.plaintextLength)
        return try SecretBox.seal(SecretBytes(copying: writer.bytes), key: keys.stateKey)
    }

    /// Opens `vault.mac_state`; throws `tampered` when it does not authenticate or names
    /// another vault.
    static func open(_ sealed: [UInt8], keys: VaultKeys) throws(VaultError) -> IntegrityState {
        let plaintext: SecretBytes
        do { plaintext = try SecretBox.open(sealed, key: keys.stateKey) } catch {
            throw .tampered(what: "the vault MAC state does not authenticate (altered, or copied from another vault)")
        }
        let state = plaintext.withUnsafeBytes { bytes -> IntegrityState? in
            guard bytes.count == plaintextLength else { return nil }
            var reader = ByteReader(bytes)
            guard let label = reader.take(16), label.elementsEqual(Self.label),
                let vaultID = reader.take(16), vaultID.elementsEqual(keys.vaultID),
                let counter = reader.u64(), let count = reader.u64(),
                let sum = reader.take(TagSum.byteCount).flatMap({ TagSum(bytes: $0) }),
                let digest = reader.take(32)
            else { return nil }
            return IntegrityState(writeCounter: counter, recordCount: count, tagSum: sum, slotsDigest: Array(digest))
        }
        guard let state else { throw .tampered(what: "the vault MAC state belongs to another vault or format") }
        return state
    }
}

/// The vault-wide MAC (docs/FORMAT.md, "Vault MAC"), so that a deleted, added, swapped or
/// rolled-back row is detected even though each record on its own still authenticates.
///
/// Format 3 keeps a sealed sum of per-record tags that each write updates by subtracting the
/// tags of the rows it replaces and adding those of the rows it writes: O(1) per record
/// written. `verify` recomputes the sum over every record. A vault that still carries only
/// the format-1 MAC (`mac_state` NULL) is checked with it and converted by its first write.
enum Integrity {
    static let tagLabel = Array("twvault-tag-v2".utf8)
    static let slotsLabel = Array("twvault-slots-v2".utf8)
    /// Up to this many records, every write also recomputes the whole sum (well under a
    /// millisecond), so a small vault refuses any write on top of tampering anywhere.
    static let defaultFullCheckLimit = 256

    static let mismatch =
        "the vault MAC does not match its slots and records (a row was added, deleted, replaced or rolled back)"

    /// H(tag_key, "twvault-tag-v2" || vault_id || lp(profile) || lp(kind) || lp(sealed))
    static func tag(profile: String, kind: String, sealed: [UInt8], keys: VaultKeys) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(tagLabel)
        writer.append(keys.vaultID)
        writer.lengthPrefixed(Array(profile.utf8))
        writer.lengthPrefixed(Array(kind.utf8))
        writer.lengthPrefixed(sealed)
        return KeyDerivation.hash(writer.bytes, key: keys.tagKey)
    }

    /// The slots digest a write stores (format 4): H(tag_key, "twvault-slots-v3" || vault_id
    /// || u32be(count) || for each slot: lp(label) || lp(kind) || u64be(algorithm) || u64be(ops)
    /// || u64be(mem) || lp(salt) || lp(wrapped_key) || lp(public_key or empty)).
    static let slotsLabelV3 = Array("twvault-slots-v3".utf8)

    static func slotsDigest(_ connection: Connection, keys: VaultKeys) throws -> [UInt8] {
        slotsDigest(try SlotTable.all(in: connection), keys: keys)
    }

    static func slotsDigest(_ slots: [PassphraseSlot], keys: VaultKeys) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(slotsLabelV3)
        writer.append(keys.vaultID)
        writer.u32(UInt32(slots.count))
        for slot in slots {
            writer.lengthPrefixed(Array(slot.label.utf8))
            writer.lengthPrefixed(Array(slot.kind.rawValue.utf8))
            writer.u64(UInt64(slot.algorithm))
            writer.u64(slot.limits.opsLimit)
            writer.u64(slot.limits.memLimit)
            writer.lengthPrefixed(slot.salt)
            writer.lengthPrefixed(slot.wrappedKey)
            writer.lengthPrefixed(slot.publicKey ?? [])
        }
        return KeyDerivation.hash(writer.bytes, key: keys.tagKey)
    }

    /// The format-3 digest (H(tag_key, "twvault-slots-v2" || vault_id || each slot as in
    /// format 1)), which a state written before format 4 still holds. It says nothing of slot
    /// kinds, so it is accepted only while every slot is a passphrase slot without a public key:
    /// `nil` otherwise.
    static func slotsDigestV2(_ slots: [PassphraseSlot], keys: VaultKeys) -> [UInt8]? {
        guard slots.allSatisfy({ $0.kind == .passphrase && $0.publicKey == nil }) else { return nil }
        var writer = ByteWriter()
        writer.append(slotsLabel)
        writer.append(keys.vaultID)
        LegacyMAC.appendSlots(slots, to: &writer)
        return KeyDerivation.hash(writer.bytes, key: keys.tagKey)
    }

    /// Whether a state's slots digest matches the slots: the format-4 digest, or the format-3
    /// one while it can still stand for the slots.
    static func slotsMatch(_ state: IntegrityState, _ connection: Connection, keys: VaultKeys) throws -> Bool {
        let slots = try SlotTable.all(in: connection)
        if ConstantTime.equal(state.slotsDigest, slotsDigest(slots, keys: keys)) { return true }
        guard let legacy = slotsDigestV2(slots, keys: keys) else { return false }
        return ConstantTime.equal(state.slotsDigest, legacy)
    }

    /// The number of records and the sum of their tags, over the whole table. `visit` sees
    /// each row as it goes (so `verify` needs one pass).
    static func sumAll(
        _ connection: Connection, keys: VaultKeys,
        visit: (_ profile: String, _ kind: String, _ sealed: [UInt8]) -> Void = { _, _, _ in }
    ) throws -> (count: UInt64, sum: TagSum) {
        let statement = try connection.prepare("SELECT profile, kind, sealed FROM record ORDER BY profile, kind")
        var sum = TagSum()
        var count: UInt64 = 0
        while try statement.step() {
            let profile = try statement.requireText(0)
            let kind = try statement.requireText(1)
            let sealed = try statement.requireBlob(2)
            sum.add(tag(profile: profile, kind: kind, sealed: sealed, keys: keys))
            count += 1
            visit(profile, kind, sealed)
        }
        return (count, sum)
    }

    /// The stored state, or `nil` for a vault not yet converted from the format-1 MAC.
    static func storedState(_ connection: Connection, keys: VaultKeys) throws -> IntegrityState? {
        let statement = try connection.cached("SELECT mac_state FROM vault WHERE singleton = 1")
        defer { statement.reset() }
        guard try statement.step() else { throw VaultError.corrupt("the vault row is missing") }
        if statement.columnType(0) == "NULL" { return nil }
        return try IntegrityState.open(try statement.requireBlob(0), keys: keys)
    }

    static func store(_ state: IntegrityState, in connection: Connection, keys: VaultKeys) throws {
        // The format-1 MAC is zeroed: from now on only the state speaks for the vault.
        try connection.cached("UPDATE vault SET mac_state = ?, mac = zeroblob(32) WHERE singleton = 1")
            .bind(.blob(try state.seal(keys: keys))).run()
    }

    /// The state of a vault written from scratch (creation; conversion) before its first write.
    static func fullState(_ connection: Connection, keys: VaultKeys) throws -> IntegrityState {
        let (count, sum) = try sumAll(connection, keys: keys)
        return IntegrityState(
            writeCounter: 0, recordCount: count, tagSum: sum, slotsDigest: try slotsDigest(connection, keys: keys))
    }

    /// Compares a state with the rows; `nil` when they match, else the failure.
    static func compare(
        _ state: IntegrityState, count: UInt64, sum: TagSum, slotsMatch: Bool
    ) -> VaultError? {
        if state.recordCount != count {
            return .tampered(
                what:
                    "the vault MAC counts \(state.recordCount) record(s) but the vault holds \(count) (a row was added or deleted)"
            )
        }
        if !slotsMatch {
            return .tampered(what: "the vault MAC does not match the slots (a slot was added, removed or replaced)")
        }
        if !ConstantTime.equal(state.tagSum.bytes, sum.bytes) { return .tampered(what: mismatch) }
        return nil
    }

    /// The check before a write, inside its transaction. Returns the ledger the write updates.
    ///
    /// O(1) in the number of records, apart from SQLite's count of the index: the state must
    /// open, name this vault, count the rows the table holds and match the slots (at most 64).
    /// The rows the write replaces are checked as it replaces them (`IntegrityLedger`). Up to
    /// `fullCheckLimit` records, the sum over every record is compared as well. A vault without
    /// a state is checked against its format-1 MAC once and converted by this write.
    static func beginWrite(_ connection: Connection, keys: VaultKeys, fullCheckLimit: Int) throws -> IntegrityLedger {
        guard let state = try storedState(connection, keys: keys) else {
            try LegacyMAC.check(connection, keys: keys)
            return IntegrityLedger(base: try fullState(connection, keys: keys), keys: keys)
        }
        let count = UInt64(try connection.scalarInt("SELECT count(*) FROM record"))
        let slots = try slotsMatch(state, connection, keys: keys)
        let sum: TagSum
        if count <= UInt64(max(fullCheckLimit, 0)) {
            let all = try sumAll(connection, keys: keys)
            guard all.count == count else { throw VaultError.corrupt("the record table changed while it was read") }
            sum = all.sum
        } else {
            sum = state.tagSum
        }
        if let failure = compare(state, count: count, sum: sum, slotsMatch: slots) { throw failure }
        return IntegrityLedger(base: state, keys: keys)
    }

    /// Stores the state after a write, in the same transaction: one more write, the updated
    /// sum and count, and the slots as they are now.
    static func finishWrite(_ ledger: IntegrityLedger, _ connection: Connection, keys: VaultKeys) throws {
        var state = ledger.state
        state.writeCounter += 1
        state.slotsDigest = try slotsDigest(connection, keys: keys)
        try store(state, in: connection, keys: keys)
    }

    /// The full check of `verify`, given the rows it read in one pass. Throws the failure.
    static func verify(
        _ connection: Connection, keys: VaultKeys, count: UInt64, sum: TagSum
    ) throws {
        guard let state = try storedState(connection, keys: keys) else {
            try LegacyMAC.check(connection, keys: keys)
            return
        }
        if let failure = compare(
            state, count: count, sum: sum, slotsMatch: try slotsMatch(state, connection, keys: keys))
        {
            throw failure
        }
    }
}

/// What one write changes in the integrity state: each row it replaces or deletes is checked
/// to open under its own name and its tag is subtracted; each row it writes is added.
/// A class: the transaction value passed to callers shares one ledger.
final class IntegrityLedger {
    private(set) var state: IntegrityState
    private let keys: VaultKeys

    init(base: IntegrityState, keys: VaultKeys) {
        self.state = base
        self.keys = keys
    }

    /// A row leaves (replaced or deleted). It must authenticate where it is: a write never
    /// builds on a record that was altered or moved.
    func removing(profile: String, kind: RecordKind, sealed: [UInt8]) throws {
        _ = try keys.sealer.open(sealed, profile: profile, kind: kind)
        guard state.recordCount > 0 else { throw VaultError.tampered(what: Integrity.mismatch) }
        state.recordCount -= 1
        state.tagSum.subtract(Integrity.tag(profile: profile, kind: kind.rawValue, sealed: sealed, keys: keys))
    }

    /// A row is written.
    func adding(profile: String, kind: RecordKind, sealed: [UInt8]) {
        state.recordCount += 1
        state.tagSum.add(Integrity.tag(profile: profile, kind: kind.rawValue, sealed: sealed, keys: keys))
    }
}

@available(*, unavailable)
extension IntegrityLedger: Sendable {}

/// The format-1 MAC: a keyed BLAKE2b over the vault id, every slot and every record. Still
/// checked on vaults that no new write has converted yet (docs/FORMAT.md, "Format-1 MAC").
enum LegacyMAC {
    static let label = Array("twvault-mac-v1".utf8)

    static func appendSlots(_ slots: [PassphraseSlot], to writer: inout ByteWriter) {
        writer.u32(UInt32(slots.count))
        for slot in slots {
            writer.lengthPrefixed(Array(slot.label.utf8))
            writer.u64(UInt64(slot.algorithm))
            writer.u64(slot.limits.opsLimit)
            writer.u64(slot.limits.memLimit)
            writer.lengthPrefixed(slot.salt)
            writer.lengthPrefixed(slot.wrappedKey)
        }
    }

    static func compute(_ connection: Connection, keys: VaultKeys) throws -> [UInt8] {
        var writer = ByteWriter()
        writer.append(label)
        writer.append(keys.vaultID)
        appendSlots(try SlotTable.all(in: connection), to: &writer)
        let count = try connection.scalarInt("SELECT count(*) FROM record")
        writer.u32(UInt32(count))
        let records = try connection.cached("SELECT profile, kind, sealed FROM record ORDER BY profile, kind")
        var seen: Int64 = 0
        while try records.step() {
            writer.lengthPrefixed(Array(try records.requireText(0).utf8))
            writer.lengthPrefixed(Array(try records.requireText(1).utf8))
            writer.lengthPrefixed(try records.requireBlob(2))
            seen += 1
        }
        guard seen == count else { throw VaultError.corrupt("the record table changed while it was read") }
        return KeyDerivation.hash(writer.bytes, key: keys.macKey)
    }

    static func stored(_ connection: Connection) throws -> [UInt8] {
        let statement = try connection.cached("SELECT mac FROM vault WHERE singleton = 1")
        defer { statement.reset() }
        guard try statement.step() else { throw VaultError.corrupt("the vault row is missing") }
        return try statement.requireBlob(0)
    }

    /// Throws `tampered` when the stored format-1 MAC does not match the rows.
    static func check(_ connection: Connection, keys: VaultKeys) throws {
        // The format-1 MAC does not cover slot kinds: a vault it still speaks for has none but
        // passphrase slots (adding a member is a write, which converts the MAC first).
        guard try SlotTable.all(in: connection).allSatisfy({ $0.kind == .passphrase && $0.publicKey == nil }) else {
            throw VaultError.tampered(what: "a member slot is present in a vault whose MAC was never converted")
        }
        let expected = try compute(connection, keys: keys)
        guard ConstantTime.equal(expected, try stored(connection)) else {
            throw VaultError.tampered(what: Integrity.mismatch)
        }
    }
}
