import Testing
import TwVaultTestSupport
import VaultOperations

/// `export`, in process: values, unsets, passphrase channels and failures.
@Suite struct ExportCommandTests {
    @Test func shellFormatSetsTheProfileAndUnsetsTheRest() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["export", "p"], passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains("export TWILIO_AUTH_TOKEN='\(TestHome.authToken)'"))
        #expect(result.stdout.contains("export TWVAULT_PROFILE='p'"))
        #expect(result.stdout.contains("unset TWILIO_CLIENT_ID"))
        #expect(!result.stdout.contains("REFRESH"))
        #expect(result.stderr.isEmpty)
    }

    @Test func aTerminalOnStdoutGetsAWarning() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(terminal: [.standardOutput])
        let result = await home.run(["export", "p"], passphrase: true, console: console)
        #expect(result.exit == .success)
        #expect(result.stderr.contains("warning: printing secrets to a terminal"))
    }

    @Test func noPassphraseSourceAndNoTerminalIsNoPermission() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["export", "p"])
        #expect(result.exit == .noPermission)
        #expect(!result.stdout.contains(TestHome.authToken))
    }

    @Test func aWrongPassphraseIsNoPermission() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["export", "p"], env: ["TWVAULT_PASSPHRASE": "wrong"])
        #expect(result.exit == .noPermission)
        #expect(result.stderr.contains("wrong passphrase"))
    }

    @Test func twoPassphraseSourcesAreAUsageError() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["export", "p"], passphrase: true, env: ["TWVAULT_PASSPHRASE": "x"])
        #expect(result.exit == .usage)
    }

    @Test func anUnknownProfileIsNoInput() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["export", "typo"], passphrase: true)
        #expect(result.exit == .noInput)
    }

    @Test func globalOptionsTakeTheVaultPath() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(
            ["export", "p", "--vault", home.vaultPath, "--format", "json"], passphrase: true,
            removing: ["TWVAULT_VAULT"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("{"))
    }
}
