import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// Vaults of the previous format: only migration 0001 applied and the format-1 MAC in
/// `vault.mac`. They are built here as the previous release wrote them — slots and records
/// with the code that both formats share, the MAC with the builder below, written from the
/// "Format-1 MAC" section of docs/FORMAT.md and independent of the code under test.
@Suite("Format-1 vaults: open, verify, convert")
struct Format1VaultTests {
    struct Format1Vault {
        let path: String
        let alpha = TestVault.profile(20)
        let beta = TestVault.profile(21)
        let token = TestVault.token(20)
        /// An earlier genuine record of alpha, for rollbacks.
        let olderAlphaSealed: [UInt8]
        /// The format-1 MAC the vault was built with.
        let mac: [UInt8]

        init(_ directory: String) throws {
            path = "\(directory)/vault.db"
            try SecureFiles.createPrivateFile(path)
            let dataKey = SecretBytes.random(count: 32)
            let vaultID = RandomBytes.make(16)
            let connection = try Connection(path: path, mode: .readWrite)
            try connection.enableWAL()
            let first = try #require(VaultFile.migrator.migrations.first)
            #expect(first.id == 1)
            try Migrator([first]).migrate(connection, now: 1_700_000_000)
            let slot = try PassphraseSlot.make(
                label: "default", passphrase: SecretBytes(utf8: TestVault.passphrase), limits: TestVault.limits,
                vaultID: vaultID, dataKey: dataKey, now: 1_700_000_000)
            try SlotTable.insert(slot, into: connection)
            let sealer = try RecordSealer(vaultID: vaultID, dataKey: dataKey)
            func insert(_ value: some Encodable, _ profile: String, _ kind: RecordKind) throws -> [UInt8] {
                let sealed = try sealer.seal(try PayloadCoding.encode(value), profile: profile, kind: kind)
                try connection.prepare(
                    "INSERT OR REPLACE INTO record (profile, kind, sealed, updated_at) VALUES (?, ?, ?, 1700000000)"
                )
                .bind(.text(profile), .text(kind.rawValue), .blob(sealed)).run()
                return sealed
            }
            var older = alpha
            older.region = "us1"
            olderAlphaSealed = try insert(older, "alpha", .profile)
            _ = try insert(alpha, "alpha", .profile)
            _ = try insert(beta, "beta", .profile)
            _ = try insert(token, "alpha", .token)
            mac = try Self.format1MAC(connection, vaultID: vaultID, dataKey: dataKey)
            try connection.prepare(
                "INSERT INTO vault (singleton, vault_id, created_at, mac) VALUES (1, ?, 1700000000, ?)"
            )
            .bind(.blob(vaultID), .blob(mac)).run()
            try connection.checkpoint()
        }

        /// vault.mac = H(kdf(2, "vaultmac", DEK), "twvault-mac-v1" || vault_id || slots || records)
        static func format1MAC(_ connection: Connection, vaultID: [UInt8], dataKey: SecretBytes) throws -> [UInt8] {
            func u32(_ n: Int) -> [UInt8] { (0..<4).reversed().map { UInt8(truncatingIfNeeded: n >> ($0 * 8)) } }
            func u64(_ n: Int64) -> [UInt8] { (0..<8).reversed().map { UInt8(truncatingIfNeeded: n >> ($0 * 8)) } }
            func lp(_ bytes: [UInt8]) -> [UInt8] { u32(bytes.count) + bytes }
            var message = Array("twvault-mac-v1".utf8) + vaultID
            let slots = try connection.prepare(
                "SELECT label, algorithm, ops_limit, mem_limit, salt, wrapped_key FROM slot ORDER BY label")
            var slotBytes: [UInt8] = []
            var slotCount = 0
            while try slots.step() {
                slotBytes += lp(Array(try slots.requireText(0).utf8)) + u64(try slots.requireInt(1))
                slotBytes += u64(try slots.requireInt(2)) + u64(try slots.requireInt(3))
                slotBytes += lp(try slots.requireBlob(4)) + lp(try slots.requireBlob(5))
                slotCount += 1
            }
            message += u32(slotCount) + slotBytes
            let records = try connection.prepare("SELECT profile, kind, sealed FROM record ORDER BY profile, kind")
            var recordBytes: [UInt8] = []
            var recordCount = 0
            while try records.step() {
                recordBytes += lp(Array(try records.requireText(0).utf8)) + lp(Array(try records.requireText(1).utf8))
                recordBytes += lp(try records.requireBlob(2))
                recordCount += 1
            }
            message += u32(recordCount) + recordBytes
            let macKey = try KeyDerivation.subkey(of: dataKey, id: 2, context: "vaultmac")
            return KeyDerivation.hash(message, key: macKey)
        }

        func expectEveryRecord(_ vault: UnlockedVault, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try vault.file.profileNames() == ["alpha", "beta"], sourceLocation: sourceLocation)
            #expect(try vault.profile("alpha") == alpha, sourceLocation: sourceLocation)
            #expect(try vault.profile("beta") == beta, sourceLocation: sourceLocation)
            #expect(
                try vault.record(CachedToken.self, profile: "alpha", kind: .token) == token,
                sourceLocation: sourceLocation)
        }

        func readerStatus() throws -> Int32 {
            let output = try FormatReaderTests.run([path], environment: ["TWVAULT_PASSPHRASE": TestVault.passphrase])
            return output.status
        }

        var stateIsNull: Bool {
            get throws { try scalar(path, "SELECT mac_state IS NULL FROM vault") == 1 }
        }
    }

    @Test("a format-1 vault opens (migrated to format 3), verifies by its old MAC, and its first write converts it")
    func opensVerifiesAndConverts() throws {
        try withTemporaryDirectory { directory in
            let old = try Format1Vault(directory)
            #expect(try scalar(old.path, "SELECT count(*) FROM schema_migrations WHERE id != 1") == 0)
            // The reader knows format 1 too.
            #expect(try old.readerStatus() == 0)
            do {
                let vault = try TestVault.unlock(old.path)
                #expect(try scalar(old.path, "SELECT count(*) FROM schema_migrations WHERE id = 3") == 1)
                #expect(try old.stateIsNull, "the migration alone cannot compute a keyed MAC")
                #expect(try blob(old.path, "SELECT mac FROM vault") == old.mac)
                try old.expectEveryRecord(vault)
                #expect(vault.verify() == [])
                // Not yet converted: the reader checks the format-1 MAC.
                #expect(try old.readerStatus() == 0)

                // The first write checks the format-1 MAC and converts, in one transaction.
                try vault.write { try $0.put(TestVault.token(21), profile: "beta", kind: .token) }
                #expect(try !old.stateIsNull)
                #expect(try blob(old.path, "SELECT mac FROM vault") == [UInt8](repeating: 0, count: 32))
                let state = try #require(try Integrity.storedState(vault.connection, keys: vault.keys))
                #expect(state.writeCounter == 1)
                #expect(state.recordCount == 4)
                try old.expectEveryRecord(vault)
                #expect(vault.verify() == [])
                try vault.addProfile("gamma", TestVault.profile(22))
                #expect(vault.verify() == [])
            }
            #expect(try old.readerStatus() == 0)

            // Converted, the vault detects what the format-1 MAC detected: here a record rolled
            // back to its format-1 days.
            try tamper(
                old.path,
                "UPDATE record SET sealed = x'\(ByteEncoding.hex(old.olderAlphaSealed))' WHERE profile = 'alpha' AND kind = 'profile'"
            )
            let vault = try TestVault.unlock(old.path)
            #expect(try vault.profile("alpha").region == "us1")
            let failures = vault.verify()
            #expect(failures.count == 1)
            #expect(failures.first?.contains("rolled back") == true)
            let error = vaultError { try vault.addProfile("delta", TestVault.profile(23)) }
            #expect(error?.isTampered == true)
            #expect(error?.description.contains("vault MAC") == true)
            #expect(try old.readerStatus() == 65)
        }
    }

    @Test(
        "damage to a format-1 vault is caught by its old MAC before the conversion, which does not happen",
        arguments: ["rolled back", "deleted", "added", "slot"])
    func damageBeforeConversion(_ damage: String) throws {
        try withTemporaryDirectory { directory in
            let old = try Format1Vault(directory)
            switch damage {
            case "rolled back":
                try tamper(
                    old.path,
                    "UPDATE record SET sealed = x'\(ByteEncoding.hex(old.olderAlphaSealed))' WHERE profile = 'alpha' AND kind = 'profile'"
                )
            case "deleted": try tamper(old.path, "DELETE FROM record WHERE kind = 'token'")
            case "added":
                try tamper(
                    old.path, "INSERT INTO record SELECT 'gamma', kind, sealed, 0 FROM record WHERE profile = 'beta'")
            default:
                // The label is not part of the slot's key: the slot still opens.
                try tamper(old.path, "UPDATE slot SET label = 'renamed'")
            }
            #expect(try old.readerStatus() == 65)
            let vault = try TestVault.unlock(old.path)
            #expect(vault.verify().contains { $0.contains("vault MAC") })
            let error = vaultError { try vault.addProfile("delta", TestVault.profile(23)) }
            #expect(error?.isTampered == true, "\(String(describing: error))")
            #expect(error?.description.contains("vault MAC") == true)
            #expect(try old.stateIsNull)
            #expect(try blob(old.path, "SELECT mac FROM vault") == old.mac)
        }
    }

    @Test("a write that fails leaves the vault unconverted, with its format-1 MAC")
    func failedWriteDoesNotConvert() throws {
        try withTemporaryDirectory { directory in
            let old = try Format1Vault(directory)
            let vault = try TestVault.unlock(old.path)
            #expect(vaultError { try vault.addProfile("alpha", TestVault.profile(24)) } == .profileExists("alpha"))
            #expect(try old.stateIsNull)
            #expect(try blob(old.path, "SELECT mac FROM vault") == old.mac)
            #expect(vault.verify() == [])
        }
    }

    /// Dropping the state of a converted vault would make readers fall back to the format-1
    /// MAC: zeroed by the conversion, and never valid for records written since.
    @Test("removing the state of a converted vault, even restoring its old format-1 MAC, is detected")
    func droppedStateIsDetected() throws {
        try withTemporaryDirectory { directory in
            let old = try Format1Vault(directory)
            do {
                let vault = try TestVault.unlock(old.path)
                try vault.updateProfile("beta", TestVault.profile(25))
            }
            for mac in [[UInt8](repeating: 0, count: 32), old.mac] {
                try tamper(old.path, "UPDATE vault SET mac_state = NULL, mac = x'\(ByteEncoding.hex(mac))'")
                let vault = try TestVault.unlock(old.path)
                let failures = vault.verify()
                #expect(failures.count == 1)
                #expect(failures.first?.contains("vault MAC") == true)
                #expect(vaultError { try vault.addProfile("delta", TestVault.profile(26)) }?.isTampered == true)
                #expect(try old.readerStatus() == 65)
            }
        }
    }
}
