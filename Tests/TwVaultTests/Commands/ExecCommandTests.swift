import Testing
import TwVaultTestSupport
import VaultOperations

/// `exec`, in process: what would replace the process, with which environment.
@Suite struct ExecCommandTests {
    @Test func replacesTheProcessWithTheProfileEnvironmentAndNoUnlockSecrets() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let launcher = RecordingLauncher()
        let result = await home.run(
            ["exec", "p", "--", "env"], passphrase: true,
            env: ["TWVAULT_SESSION": "stale", "TWILIO_CLIENT_ID": "leftover"], processes: launcher)
        #expect(result.exit == .success, "\(result.stderr)")
        let launch = try #require(launcher.recorded.first)
        #expect(launch.replaced && launch.argv == ["env"])
        #expect(launch.environment["TWILIO_AUTH_TOKEN"] == TestHome.authToken)
        #expect(launch.environment["TWVAULT_PROFILE"] == "p")
        #expect(launch.environment["TWILIO_CLIENT_ID"] == nil)
        #expect(launch.environment["TWVAULT_SESSION"] == nil)
        #expect(launch.environment["TWVAULT_PASSPHRASE_FILE"] == nil)
    }

    @Test func theDefaultCommandIsTheShell() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let launcher = RecordingLauncher()
        let result = await home.run(["exec", "p"], passphrase: true, env: ["SHELL": "/bin/sh"], processes: launcher)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(launcher.recorded.first?.argv == ["/bin/sh"])
    }

    @Test func aMissingCommandIs127() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(
            ["exec", "p", "--", "no-such-command-here"], passphrase: true, processes: RecordingLauncher())
        #expect(result.exit == .commandNotFound)
        #expect(result.stderr.contains("command not found"))
    }

    @Test func anUnknownOptionIsAUsageError() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["exec", "p", "--bogus", "--", "env"], passphrase: true)
        #expect(result.exit == .usage)
    }
}
