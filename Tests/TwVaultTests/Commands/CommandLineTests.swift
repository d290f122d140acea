import Testing
import TwVaultTestSupport
import VaultOperations

/// The command line as a whole: help everywhere, global options anywhere, one-line errors.
@Suite struct CommandLineTests {
    @Test("exec help before a profile", arguments: [["exec", "--help"], ["exec", "-h"], ["exec", "p", "--help"]])
    func execHelp(_ arguments: [String]) async throws {
        let home = try TestHome()
        let result = await home.run(arguments)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains("USAGE: twvault exec"))
        #expect(result.stderr.isEmpty)
    }

    @Test(
        "global options before the subcommand",
        arguments: [
            ["--vault", "VAULT", "list"], ["-q", "--vault", "VAULT", "list"], ["--vault=VAULT", "list"],
            ["list", "--vault", "VAULT"],
        ])
    func globalOptionsFirst(_ arguments: [String]) async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(
            arguments.map { $0.replacingOccurrences(of: "VAULT", with: home.vaultPath) },
            removing: ["TWVAULT_VAULT"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout == "p\n")
    }

    @Test func globalOptionsFirstOnTheHotPath() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(
            ["--vault", home.vaultPath, "export", "p", "--format", "json"], passphrase: true,
            removing: ["TWVAULT_VAULT"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains(TestHome.authToken))
    }

    @Test(
        "usage errors are one line",
        arguments: [
            ["list", "--bogus"], ["bogus"], ["export"], ["unlock", "--format", "json"], ["add"],
        ])
    func oneLineUsage(_ arguments: [String]) async throws {
        let home = try TestHome()
        let result = await home.run(arguments)
        #expect(result.exit == .usage, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("twvault: "))
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test func unlockHelpListsOnlyShellFormats() async throws {
        let home = try TestHome()
        let result = await home.run(["unlock", "--help"])
        #expect(result.exit == .success)
        #expect(result.stdout.contains("powershell"))
        #expect(!result.stdout.contains("dotenv") && !result.stdout.contains("json"))
    }

    @Test func initHelpNamesOnlyRealVariables() async throws {
        let home = try TestHome()
        let result = await home.run(["init", "--help"])
        #expect(!result.stdout.contains("TWVAULT_NEW_PASSPHRASE_FILE"))
    }

    @Test func decliningRemoveSaysSo() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(terminal: [.standardInput], answers: [false])
        let result = await home.run(["remove", "p"], passphrase: true, console: console)
        #expect(result.exit == .failure)
        #expect(result.stderr == "twvault: kept profile 'p': nothing was removed\n")
    }

    @Test func anOfflineTokenEndpointSaysWhatHappenedAndOffersNoToken() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let stdin = "TWILIO_CLIENT_ID=\(TestHome.clientID)\nTWILIO_CLIENT_SECRET=client-secret-value\n"
        var result = await home.run(["add", "org", "--stdin"], stdin: stdin, passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        result = await home.run(
            ["export", "org"], passphrase: true, env: ["TWVAULT_TOKEN_URL": "http://127.0.0.1:9/v2/token"],
            http: .live())
        #expect(result.exit == .temporaryFailure)
        #expect(result.stderr.contains("Connection refused"), "\(result.stderr)")
        #expect(result.stderr.contains("twvault export org --no-token"))
        #expect(!result.stderr.contains("errno") && !result.stderr.contains("client-secret-value"))
        // The error, and the warning that the token endpoint is not Twilio's.
        #expect(linesBesideEndpointWarnings(result.stderr).count == 1)
        #expect(
            endpointWarnings(result.stderr) == [
                "twvault: warning: sending credentials to 127.0.0.1:9 (TWVAULT_TOKEN_URL), not Twilio"
            ])
    }

    @Test func aKeyDerivationOnATerminalShowsATransientLine() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(terminal: [.standardError])
        let result = await home.run(["export", "p"], passphrase: true, console: console)
        #expect(result.exit == .success)
        #expect(result.stderr == "unlocking ~/vault/vault.db…\r\u{1B}[K")
        let quiet = await home.run(["export", "p", "-q"], passphrase: true)
        #expect(quiet.stderr.isEmpty)
    }
}
