import Testing
import TwVaultTestSupport
import VaultOperations

/// `list`, in process.
@Suite struct ListCommandTests {
    @Test func namesNeedNoPassphrase() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["list"])
        #expect(result.exit == .success)
        #expect(result.stdout == "p\n")
    }

    @Test func detailsNeedThePassphrase() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        var result = await home.run(["list", "--details"])
        #expect(result.exit == .noPermission)
        result = await home.run(["list", "--details", "--json"], passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains(TestHome.accountSID))
        #expect(!result.stdout.contains(TestHome.authToken))
    }

    @Test func aMissingVaultIsNoInput() async throws {
        let home = try TestHome()
        let result = await home.run(["list"])
        #expect(result.exit == .noInput)
        #expect(result.stderr.hasPrefix("twvault: no vault at"))
    }
}
