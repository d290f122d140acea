import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// `UnlockedVault.backup`: a consistent copy, 0600, checked before it takes its name.
@Suite struct BackupTests {
    @Test func theCopyHoldsEverythingAndOpensWithThePassphrase() throws {
        try withTemporaryDirectory { directory in
            let vault = try TestVault.create(directory + "/vault.db")
            let alpha = TestVault.profile(1)
            try vault.addProfile("alpha", alpha)
            try vault.addProfile("beta", TestVault.profile(2))
            try vault.write { try $0.put(TestVault.token(1), profile: "alpha", kind: .token) }
            let target = directory + "/copy.db"
            let summary = try vault.backup(to: target, replace: false)
            #expect(summary == BackupSummary(profiles: 2, slots: 1))
            #expect(fileMode(target) == 0o600)
            // Nothing but the copy is left beside it.
            #expect(
                Set(try FileManager.default.contentsOfDirectory(atPath: directory)).isSubset(of: [
                    "vault.db", "vault.db-wal", "vault.db-shm", "copy.db",
                ]))
            let copy = try TestVault.unlock(target)
            #expect(try copy.profile("alpha") == alpha)
            #expect(try copy.record(CachedToken.self, profile: "alpha", kind: .token) != nil)
            #expect(copy.verify().isEmpty)
        }
    }

    @Test func anExistingFileIsKeptUnlessReplaced() throws {
        try withTemporaryDirectory { directory in
            let vault = try TestVault.create(directory + "/vault.db")
            let alpha = TestVault.profile(1)
            try vault.addProfile("alpha", alpha)
            let target = directory + "/copy.db"
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: target))
            let error = vaultError { _ = try vault.backup(to: target, replace: false) }
            #expect(error == .vaultExists(path: target))
            #expect(fileBytes(target) == Array("keep me".utf8))
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).allSatisfy { !$0.hasPrefix(".") })
            _ = try vault.backup(to: target, replace: true)
            #expect(try TestVault.unlock(target).profile("alpha") == alpha)
            #expect(fileMode(target) == 0o600)
        }
    }

    @Test func aDamagedVaultGivesNoBackup() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/vault.db"
            var vault: UnlockedVault? = try TestVault.create(path)
            try vault?.addProfile("alpha", TestVault.profile(1))
            try vault?.addProfile("beta", TestVault.profile(2))
            vault = nil
            // A deleted row: every remaining record opens, only the vault MAC notices.
            try tamper(path, "DELETE FROM record WHERE profile = 'beta'")
            let reopened = try TestVault.unlock(path)
            let target = directory + "/copy.db"
            let error = vaultError { _ = try reopened.backup(to: target, replace: false) }
            #expect(error?.isCorrupt == true)
            #expect(!FileManager.default.fileExists(atPath: target))
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).allSatisfy { !$0.hasPrefix(".") })
        }
    }
}
