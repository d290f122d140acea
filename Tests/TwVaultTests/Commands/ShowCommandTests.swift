import Testing
import TwVaultTestSupport
import VaultOperations

/// `show`, in process: fields, never secrets.
@Suite struct ShowCommandTests {
    @Test func showsPresenceNotSecrets() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["show", "p"], passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains("auth token       present"))
        #expect(!result.stdout.contains(TestHome.authToken) && !result.stdout.contains(TestHome.apiSecret))
    }

    @Test func theDefaultProfileComesFromTheEnvironment() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["show", "--json"], passphrase: true, env: ["TWVAULT_PROFILE": "p"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains("\"account_sid\""))
    }

    @Test func anUnknownProfileIsNoInput() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["show", "nobody"], passphrase: true)
        #expect(result.exit == .noInput)
    }

    @Test func anInvalidNameIsAUsageError() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["show", "-bad"], passphrase: true)
        #expect(result.exit == .usage)
    }
}
