import Foundation
import Testing
import TwVaultTestSupport
import VaultOperations

/// `init`, in process.
@Suite struct InitCommandTests {
    @Test func initCreatesPrivateFilesAndRefusesASecondTime() async throws {
        let h = try Harness()
        var result = await h.call(["init", "--kdf", "interactive"], passphrase: true)
        #expect(result.status == 0, "\(result.stderr)")
        let dirMode =
            try FileManager.default.attributesOfItem(atPath: h.root.path + "/vault")[.posixPermissions] as? Int
        let fileMode = try FileManager.default.attributesOfItem(atPath: h.vaultPath)[.posixPermissions] as? Int
        #expect(dirMode == 0o700)
        #expect(fileMode == 0o600)
        result = await h.call(["init", "--kdf", "interactive"], passphrase: true)
        #expect(result.status == 73)
        #expect(result.stderr.contains("already exists"))
    }

    @Test func initRefusesAnExistingVault() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["init", "--kdf", "interactive"], passphrase: true)
        #expect(result.exit == .cannotCreate)
    }
}
