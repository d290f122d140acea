import Testing
import TwVaultTestSupport
import VaultOperations

/// Help, version and completion scripts, in process: ArgumentParser's own answers.
@Suite struct HelpTests {
    @Test func helpGoesToStdoutAndExitsZero() async throws {
        let home = try TestHome()
        let result = await home.run(["--help"])
        #expect(result.exit == .success)
        #expect(result.stdout.contains("USAGE"))
    }

    @Test func anUnknownOptionIsOneUsageError() async throws {
        let home = try TestHome()
        let result = await home.run(["list", "--bogus"])
        #expect(result.exit == .usage)
        #expect(result.stderr.hasPrefix("twvault: "))
    }

    @Test func completionScriptsAndVersion() async throws {
        let h = try Harness()
        for shell in ["bash", "zsh", "fish"] {
            let result = await h.call(["--generate-completion-script", shell])
            #expect(result.status == 0)
            #expect(result.stdout.contains("twvault"))
            #expect(result.stdout.contains("export"))
        }
        let version = await h.call(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("0."))
        let help = await h.call(["export", "--help"])
        #expect(help.stdout.contains("Examples:"))
        let bad = await h.call(["export", "--bogus-flag"])
        #expect(bad.status == 64)
    }
}
