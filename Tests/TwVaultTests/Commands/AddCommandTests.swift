import Testing
import TwVaultTestSupport
import VaultOperations

/// `add`, in process: secrets from stdin, the environment or scripted prompts.
@Suite struct AddCommandTests {
    static let lines = """
        TWILIO_ACCOUNT_SID=\(TestHome.accountSID)
        TWILIO_AUTH_TOKEN=\(TestHome.authToken)

        """

    @Test func addFromStdinCreatesTheVaultAndStoresTheProfile() async throws {
        let home = try TestHome()
        var result = await home.run(
            ["add", "acme", "--stdin", "--kdf", "interactive"], stdin: Self.lines, passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("created vault"))
        result = await home.run(["list"])
        #expect(result.stdout == "acme\n")
    }

    @Test func anExistingProfileIsRefusedWithoutForce() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["add", "p", "--stdin"], stdin: Self.lines, passphrase: true)
        #expect(result.exit == .cannotCreate)
        #expect(result.stderr.hasPrefix("twvault: ") && result.stderr.split(separator: "\n").count == 1)
    }

    @Test(
        "bad input is refused before anything is stored",
        arguments: [
            ("TWILIO_ACCOUNT_SID=ACnothex\nTWILIO_AUTH_TOKEN=x\n", VaultOperations.ExitStatus.usage),
            ("TWILIO_PHONE_NUMBER=+15551234567\n", VaultOperations.ExitStatus.dataError),
            ("TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\n", VaultOperations.ExitStatus.usage),
            ("not a line\n", VaultOperations.ExitStatus.dataError),
        ])
    func badInput(stdin: String, expected: VaultOperations.ExitStatus) async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let before = TestHome.read(home.vaultPath)
        let result = await home.run(["add", "q", "--stdin"], stdin: stdin, passphrase: true)
        #expect(result.exit == expected, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(TestHome.read(home.vaultPath) == before)
    }

    @Test func secretsFromTheEnvironment() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(
            ["add", "env-profile", "--from-env"], passphrase: true,
            env: ["TWILIO_ACCOUNT_SID": TestHome.accountSID, "TWILIO_AUTH_TOKEN": "from-env-token"])
        #expect(result.exit == .success, "\(result.stderr)")
        let shown = await home.run(["export", "env-profile", "--format", "json"], passphrase: true)
        #expect(shown.stdout.contains("\"TWILIO_AUTH_TOKEN\":\"from-env-token\""))
    }

    @Test func promptsOnTheTerminalForTheSecretsTheFlagsCallFor() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(terminal: [.standardInput], secrets: ["typed-token"])
        let result = await home.run(
            ["add", "typed", "--account-sid", TestHome.accountSID], passphrase: true, console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(console.prompts.first?.hasPrefix("Auth token") == true)
        #expect(!result.stdout.contains("typed-token") && !result.stderr.contains("typed-token"))
    }

    @Test func noTerminalAndNoSourceIsAccessDenied() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["add", "typed", "--account-sid", TestHome.accountSID], passphrase: true)
        #expect(result.exit == .noPermission)
    }
}
