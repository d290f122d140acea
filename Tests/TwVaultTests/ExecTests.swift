import Foundation
import Testing

/// `exec` with the binary: a real child's environment, exit status and limits. (What `exec`
/// would run, in process: ExecCommandTests.)
@Suite struct ExecTests {
    @Test(arguments: [Int32(0), 3, 255])
    func exitStatusPassesThrough(code: Int32) throws {
        let h = try Harness()
        try h.installFixtureVault()
        let result = try h.run(["exec", "p", "--", "sh", "-c", "exit \(code)"], passphrase: true)
        #expect(result.status == code, "\(result.stderr)")
    }

    @Test func childSeesTheProfileAndNothingStale() throws {
        let h = try Harness()
        try h.installFixtureVault(unlocked: true)
        let stale = [
            "TWILIO_EDGE": "stale-edge", "TWILIO_AUTH_TOKEN": "other-account-token",
            "TWILIO_CLIENT_SECRET": "stale-client-secret", "TWVAULT_PASSPHRASE_FILE": h.passphraseFile,
            "TWVAULT_NEW_PASSPHRASE": "x", "KEEP_ME": "kept",
        ]
        // The session alone unlocks; every other unlock secret must not reach the child.
        let result = try h.run(["exec", "p", "--", "env", "-0"], env: stale)
        #expect(result.status == 0, "\(result.stderr)")
        var env: [String: String] = [:]
        for entry in result.stdout.split(separator: "\0") {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            env[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        #expect(env["TWILIO_ACCOUNT_SID"] == Harness.accountSID)
        #expect(env["TWILIO_AUTH_TOKEN"] == Harness.authToken)
        #expect(env["TWILIO_API_SECRET"] == Harness.apiSecret)
        #expect(env["TWVAULT_PROFILE"] == "p")
        #expect(env["TWILIO_EDGE"] == nil)
        #expect(env["TWILIO_CLIENT_SECRET"] == nil)
        #expect(env["TWVAULT_SESSION"] == nil)
        #expect(env["TWVAULT_PASSPHRASE_FILE"] == nil)
        #expect(env["TWVAULT_NEW_PASSPHRASE"] == nil)
        #expect(env["KEEP_ME"] == "kept")
    }

    @Test func missingCommandExits127AndDefaultIsShell() throws {
        let h = try Harness()
        try h.installFixtureVault()
        var result = try h.run(["exec", "p", "--", "no-such-command-xyz"], passphrase: true)
        #expect(result.status == 127)
        #expect(result.stderr.contains("not found"))
        // Without a command: $SHELL, here one that prints a marker.
        result = try h.run(
            ["exec", "p"], stdin: "echo shell-ran-$TWVAULT_PROFILE\n", env: ["SHELL": "/bin/sh"], passphrase: true)
        #expect(result.status == 0)
        #expect(result.stdout == "shell-ran-p\n")
        // Options after the profile and an implicit command without --.
        result = try h.run(["exec", "p", "--no-token", "printenv", "TWVAULT_PROFILE"], passphrase: true)
        #expect(result.stdout == "p\n")
    }

    @Test func hardeningIsInheritedByTheChild() throws {
        let h = try Harness()
        try h.installFixtureVault()
        // RLIMIT_CORE and the umask survive execve, so the child shows what twvault set.
        let result = try h.run(["exec", "p", "--", "sh", "-c", "ulimit -c; umask"], passphrase: true)
        #expect(result.stdout == "0\n0077\n")
    }
}
