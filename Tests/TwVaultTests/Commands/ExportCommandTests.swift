import Foundation
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

    @Test func defaultProfileFromEnvironment() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        let result = await h.call(["export", "--format", "json"], env: ["TWVAULT_PROFILE": "p"], passphrase: true)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String]
        #expect(object?["TWVAULT_PROFILE"] == "p")
        let missing = await h.call(["export"], passphrase: true)
        #expect(missing.status == 64)
    }

    @Test func refreshTokenIsNeverExported() async throws {
        let h = try Harness()
        try h.installFixtureVault(unlocked: true)
        let added = await h.call(
            ["add", "org", "--stdin"],
            stdin: """
                TWILIO_CLIENT_ID=\(Harness.clientID)
                TWILIO_CLIENT_SECRET=client-secret-value
                TWILIO_REFRESH_TOKEN=refresh-token-never-exported

                """)
        #expect(added.status == 0, "\(added.stderr)")
        for format in ["sh", "fish", "powershell", "dotenv", "json"] {
            let result = await h.call(["export", "org", "--no-token", "--format", format])
            #expect(result.status == 0, "\(format): \(result.stderr)")
            #expect(!result.stdout.contains("refresh-token-never-exported"))
            #expect(result.stdout.contains("client-secret-value"))
        }
    }

    /// 66 for a missing vault and, in every command that names one, a missing profile.
    @Test func notFoundExitCodes() async throws {
        let h = try Harness()
        var result = await h.call(["export", "p"], passphrase: true)
        #expect(result.status == 66)
        #expect(result.stderr.contains("no vault"))
        result = await h.call(["list"])
        #expect(result.status == 66)
        try h.installFixtureVault(unlocked: true)
        for arguments in [
            ["export", "nope"], ["show", "nope"], ["remove", "nope", "--yes"], ["rename", "nope", "other"],
            ["exec", "nope", "--", "true"],
        ] {
            result = await h.call(arguments)
            #expect(result.status == 66, "\(arguments): \(result.stderr)")
        }
    }
}
