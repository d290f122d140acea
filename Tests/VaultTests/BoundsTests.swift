import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// Limits on what a file may hold, enforced before any costly work.
@Suite("Bounds")
struct BoundsTests {
    /// A vault with `count` slots, all copies of `default` (same passphrase), MAC kept valid.
    static func vault(slots count: Int, at path: String) throws {
        let vault = try TestVault.create(path)
        let slot = try #require(try vault.file.slots().first)
        try vault.write { _ in
            for index in 1..<count {
                try SlotTable.insert(
                    PassphraseSlot(
                        label: String(format: "copy-%02d", index), algorithm: slot.algorithm, limits: slot.limits,
                        salt: slot.salt, wrappedKey: slot.wrappedKey, createdAt: slot.createdAt),
                    into: vault.connection)
            }
        }
    }

    @Test("64 slots are the most: a 65th is refused (64) before its KDF runs, and nothing changes")
    func sixtyFifthSlotIsRefused() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            try Self.vault(slots: 64, at: path)
            let before = try settledBytes(path)
            do {
                let vault = try TestVault.unlock(path)
                #expect(vault.verify() == [])
                // Limits below the floor would fail the policy check inside the KDF step: the
                // count is what refuses, first.
                let error = vaultError {
                    try vault.addSlot(
                        label: "one-more", passphrase: SecretBytes(utf8: "x"),
                        limits: KDFLimits(opsLimit: 1, memLimit: 1))
                }
                #expect(error == .tooManySlots)
                #expect(error?.exitCode == 64)
                #expect(error?.description.contains("--remove-slot") == true)
                #expect(try vault.file.slots().count == 64)
            }
            #expect(try settledBytes(path) == before)
        }
    }

    @Test("a file with more than 64 slots is corrupt (65), refused before any slot's limits or KDF")
    func moreSlotsInTheFileAreCorrupt() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            try Self.vault(slots: 64, at: path)
            // The 65th, planted: its limits would be refused (78) if slots were looked at one by one.
            try tamper(
                path,
                """
                INSERT INTO slot (label, algorithm, ops_limit, mem_limit, salt, wrapped_key, created_at)
                SELECT 'planted', algorithm, 1, 1, salt, wrapped_key, created_at FROM slot WHERE label = 'default'
                """)
            let before = try settledBytes(path)
            let error = vaultError { _ = try TestVault.unlock(path) }
            #expect(error?.isCorrupt == true, "\(String(describing: error))")
            #expect(error?.exitCode == 65)
            #expect(error?.description.contains("64") == true)
            #expect(try settledBytes(path) == before)
        }
    }

    @Test("a negative limit in the file is outside the policy (78), not a crash or a huge allocation")
    func negativeLimits() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            _ = try TestVault.create(path)
            for column in ["ops_limit", "mem_limit"] {
                try tamper(path, "UPDATE slot SET ops_limit = 2, mem_limit = 67108864")
                try tamper(path, "UPDATE slot SET \(column) = -1")
                let error = vaultError { _ = try TestVault.unlock(path) }
                #expect(error?.isKDFOutsidePolicy == true, "\(column): \(String(describing: error))")
                #expect(error?.exitCode == 78)
            }
        }
    }

    @Test("undecryptable `ephemeral` rows sorting first do not hide the real leftovers behind them")
    func undecryptableRowsDoNotHideLeftovers() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let ledger = EphemeralKeyLedger(keys: [.init(id: "00112233aabbccdd", createdAt: 1_700_000_000)])
            do {
                let vault = try TestVault.create(path)
                try vault.addProfile("zz-real", TestVault.profile(90))
                try vault.write { try $0.put(ledger, profile: "zz-real", kind: .ephemeralKeys) }
            }
            // Eight rows that sort first: junk, a record moved from another kind, a hostile name.
            try tamper(
                path,
                (0..<6).map {
                    "INSERT INTO record VALUES ('a\($0)', 'ephemeral', randomblob(80), 0);"
                }.joined()
                    + """
                    INSERT INTO record SELECT 'a6', 'ephemeral', sealed, 0 FROM record WHERE profile = 'zz-real' AND kind = 'profile';
                    INSERT INTO record VALUES ('a7' || char(27) || '[2J', 'ephemeral', randomblob(80), 0);
                    """)
            let vault = try TestVault.unlock(path)
            var skipped: [String] = []
            let found = try vault.profiles(withRecord: .ephemeralKeys, limit: 8) { skipped.append($0) }
            #expect(found == ["zz-real"])
            #expect(skipped.count == 8)
            #expect(skipped.first == "a0")
            #expect(try vault.record(EphemeralKeyLedger.self, profile: found[0], kind: .ephemeralKeys) == ledger)
            // The limit counts readable rows only.
            #expect(try vault.profiles(withRecord: .ephemeralKeys, limit: 0).isEmpty)
        }
    }
}
