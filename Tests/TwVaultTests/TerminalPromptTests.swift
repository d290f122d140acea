import Foundation
import Testing

/// The passphrase prompt on a real pseudo-terminal: no echo, nothing on stdout but the result.
@Suite struct TerminalPromptTests {
    /// A Python driver: runs ARGV on a new pty (as its controlling terminal) with stdout on a
    /// pipe, answers every prompt that appears with the next answer, and prints JSON with what
    /// the terminal showed, what stdout received, and the exit status.
    static let driver = #"""
        import json, os, pty, select, sys
        answers = json.loads(os.environ["ANSWERS"])
        argv = sys.argv[1:]
        out_r, out_w = os.pipe()
        pid, master = pty.fork()
        if pid == 0:
            os.dup2(out_w, 1)
            os.execv(argv[0], argv)
        os.close(out_w)
        screen, stdout = b"", b""
        pending = list(answers)
        answered_at = 0  # only text after the last answer can hold a new prompt
        open_fds = {master, out_r}
        while open_fds:
            ready, _, _ = select.select(list(open_fds), [], [], 30)
            if not ready:
                os.kill(pid, 9)  # a prompt that never came: fail instead of hanging
                break
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    open_fds.discard(fd)
                    continue
                if fd == master:
                    screen += data
                    if pending and screen[answered_at:].rstrip().endswith(b":"):
                        os.write(master, pending.pop(0).encode() + b"\n")
                        answered_at = len(screen)
                else:
                    stdout += data
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"screen": screen.decode(errors="replace"), "stdout": stdout.decode(errors="replace"),
                          "status": os.waitstatus_to_exitcode(status)}))
        """#

    func drive(_ h: Harness, _ arguments: [String], answers: [String]) throws -> (
        screen: String, stdout: String, status: Int
    ) {
        var env = h.baseEnvironment()
        env["ANSWERS"] = String(decoding: try JSONSerialization.data(withJSONObject: answers), as: UTF8.self)
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let result = try Harness.execute(
            "/usr/bin/env", ["python3", "-c", Self.driver, Harness.binary] + arguments, environment: env)
        let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
        return (object?["screen"] as? String ?? "", object?["stdout"] as? String ?? "", object?["status"] as? Int ?? -1)
    }

    @Test func passphrasePromptDoesNotEchoOrTouchStdout() throws {
        let h = try Harness()
        try h.installFixtureVault()
        let run = try drive(h, ["unlock"], answers: [Harness.passphrase])
        #expect(run.status == 0, "\(run.screen)")
        #expect(run.screen.contains("Passphrase"))
        #expect(!run.screen.contains(Harness.passphrase), "the passphrase was echoed")
        #expect(run.stdout.hasPrefix("export TWVAULT_SESSION='"))
        #expect(!run.stdout.contains("Passphrase"))
        #expect(run.stdout.split(separator: "\n").count == 1)
    }

    @Test func addPromptsForSecretsAndNewPassphraseTwice() throws {
        let h = try Harness()
        let run = try drive(
            h, ["add", "tty", "--account-sid", Harness.accountSID, "--kdf", "interactive"],
            answers: [Harness.authToken, "typed passphrase", "typed passphrase"])
        #expect(run.status == 0, "\(run.screen)")
        #expect(!run.screen.contains(Harness.authToken))
        #expect(!run.screen.contains("typed passphrase"))
        #expect(run.stdout.isEmpty)
        let export = try h.run(["export", "tty", "--format", "json"], env: ["TWVAULT_PASSPHRASE": "typed passphrase"])
        #expect(
            (try JSONSerialization.jsonObject(with: export.stdoutData) as? [String: String])?["TWILIO_AUTH_TOKEN"]
                == Harness.authToken)
    }

    @Test func mismatchedNewPassphraseChangesNothing() throws {
        let h = try Harness()
        let run = try drive(h, ["init", "--kdf", "interactive"], answers: ["one passphrase", "another one"])
        #expect(run.status == 64)
        #expect(!FileManager.default.fileExists(atPath: h.vaultPath))
    }
}
