import VaultCrypto
import VaultStore

/// The keys an unlocked vault derives from its data key.
struct VaultKeys {
    let sealer: RecordSealer
    /// crypto_kdf_derive_from_key(32, 2, "vaultmac", DEK)
    let macKey: SecretBytes

    init(vaultID: [UInt8], dataKey: SecretBytes) throws(CryptoError) {
        sealer = try RecordSealer(vaultID: vaultID, dataKey: dataKey)
        macKey = try KeyDerivation.subkey(of: dataKey, id: 2, context: "vaultmac")
    }
}

/// The vault-wide MAC (docs/FORMAT.md, "Vault MAC"): a keyed BLAKE2b over the vault id,
/// every slot and every record, so that a deleted, added, swapped or rolled-back row is
/// detected even though each record on its own still authenticates.
enum Integrity {
    static let label = Array("twvault-mac-v1".utf8)

    static func compute(_ connection: Connection, keys: VaultKeys) throws -> [UInt8] {
        var writer = ByteWriter()
        writer.append(label)
        writer.append(keys.sealer.vaultID)
        let slots = try SlotTable.all(in: connection)
        writer.u32(UInt32(slots.count))
        for slot in slots {
            writer.lengthPrefixed(Array(slot.label.utf8))
            writer.u64(UInt64(slot.algorithm))
            writer.u64(slot.limits.opsLimit)
            writer.u64(slot.limits.memLimit)
            writer.lengthPrefixed(slot.salt)
            writer.lengthPrefixed(slot.wrappedKey)
        }
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
        guard try statement.step() else { throw VaultError.corrupt("the vault row is missing") }
        return try statement.requireBlob(0)
    }

    static func store(_ mac: [UInt8], in connection: Connection) throws {
        try connection.cached("UPDATE vault SET mac = ? WHERE singleton = 1").bind(.blob(mac)).run()
    }

    /// Throws `tampered` when the stored MAC does not match the rows.
    static func check(_ connection: Connection, keys: VaultKeys) throws {
        let expected = try compute(connection, keys: keys)
        guard ConstantTime.equal(expected, try stored(connection)) else {
            throw VaultError.tampered(
                what:
                    "the vault MAC does not match its slots and records (a row was added, deleted, replaced or rolled back)"
            )
        }
    }
}
