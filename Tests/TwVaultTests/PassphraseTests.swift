import Foundation
import Testing

@Suite struct PassphraseTests {
    /// A vault whose passphrase is "pw" (set through the environment channel).
    func vaultWithShortPassphrase() throws -> Harness {
        let h = try Harness()
        let result = try h.run(
            ["add", "p", "--stdin", "--kdf", "interactive"],
            stdin: "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=t\n",
            env: ["TWVAULT_PASSPHRASE": "pw"])
        #expect(result.status == 0, "\(result.stderr)")
        return h
    }

    @Test func fileChannelStripsExactlyOneNewline() throws {
        let h = try vaultWithShortPassphrase()
        let one = h.root.path + "/one"
        let two = h.root.path + "/two"
        let none = h.root.path + "/none"
        try h.write("pw\n", to: one)
        try h.write("pw\n\n", to: two)
        try h.write("pw", to: none)
        #expect(try h.run(["show", "p", "--passphrase-file", one]).status == 0)
        #expect(try h.run(["show", "p", "--passphrase-file", none]).status == 0)
        #expect(try h.run(["show", "p"], env: ["TWVAULT_PASSPHRASE_FILE": one]).status == 0)
        let wrong = try h.run(["show", "p", "--passphrase-file", two])
        #expect(wrong.status == 77)
        #expect(wrong.stderr.contains("wrong passphrase"))
    }

    @Test func descriptorChannel() throws {
        let h = try vaultWithShortPassphrase()
        let script =
            "umask 077; printf 'pw\\n' > \(h.root.path)/fdpass; exec \"$0\" show p --passphrase-fd 3 3<\(h.root.path)/fdpass"
        var result = try Harness.execute("/bin/sh", ["-c", script, Harness.binary], environment: h.baseEnvironment())
        #expect(result.status == 0, "\(result.stderr)")
        var env = h.baseEnvironment()
        env["TWVAULT_PASSPHRASE_FD"] = "3"
        result = try Harness.execute(
            "/bin/sh", ["-c", "exec \"$0\" show p 3<<EOF\npw\nEOF", Harness.binary], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        result = try h.run(["show", "p", "--passphrase-fd", "9"])
        #expect(result.status == 64)
    }

    @Test func environmentChannelAndWrongPassphrase() throws {
        let h = try vaultWithShortPassphrase()
        #expect(try h.run(["show", "p"], env: ["TWVAULT_PASSPHRASE": "pw"]).status == 0)
        let wrong = try h.run(["show", "p"], env: ["TWVAULT_PASSPHRASE": "pW"])
        #expect(wrong.status == 77)
    }

    @Test func twoChannelsAreAUsageError() throws {
        let h = try vaultWithShortPassphrase()
        let file = h.root.path + "/f"
        try h.write("pw\n", to: file)
        var result = try h.run(["show", "p", "--passphrase-file", file], env: ["TWVAULT_PASSPHRASE": "pw"])
        #expect(result.status == 64)
        result = try h.run(["show", "p"], env: ["TWVAULT_PASSPHRASE_FILE": file, "TWVAULT_PASSPHRASE_FD": "0"])
        #expect(result.status == 64)
    }

    @Test func noSourceAndNoTerminalExits77() throws {
        let h = try vaultWithShortPassphrase()
        // Run under setsid so there is no controlling terminal, even when the tests run in one.
        let result = try Harness.execute(
            "/usr/bin/setsid", ["-w", Harness.binary, "show", "p"], environment: h.baseEnvironment())
        #expect(result.status == 77)
        #expect(result.stderr.contains("no passphrase"))
        #expect(result.stdout.isEmpty)
    }

    @Test func passwdChangesAndAddsSlots() throws {
        let h = try vaultWithShortPassphrase()
        var result = try h.run(
            ["passwd", "--kdf", "interactive"], env: ["TWVAULT_PASSPHRASE": "pw", "TWVAULT_NEW_PASSPHRASE": "new-pw"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try h.run(["show", "p"], env: ["TWVAULT_PASSPHRASE": "pw"]).status == 77)
        #expect(try h.run(["show", "p"], env: ["TWVAULT_PASSPHRASE": "new-pw"]).status == 0)

        let alice = h.root.path + "/alice"
        try h.write("alice's passphrase\n", to: alice)
        result = try h.run(
            ["passwd", "--add-slot", "alice", "--new-passphrase-file", alice, "--kdf", "interactive"],
            env: ["TWVAULT_PASSPHRASE": "new-pw"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try h.run(["show", "p", "--passphrase-file", alice]).status == 0)
        #expect(try h.run(["show", "p"], env: ["TWVAULT_PASSPHRASE": "new-pw"]).status == 0)
        result = try h.run(
            ["passwd", "--add-slot", "alice", "--new-passphrase-file", alice], env: ["TWVAULT_PASSPHRASE": "new-pw"])
        #expect(result.status == 73)

        result = try h.run(["passwd", "--remove-slot", "alice"], env: ["TWVAULT_PASSPHRASE": "new-pw"])
        #expect(result.status == 0)
        #expect(try h.run(["show", "p", "--passphrase-file", alice]).status == 77)
        result = try h.run(["passwd", "--remove-slot", "default"], env: ["TWVAULT_PASSPHRASE": "new-pw"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("last"))
        result = try h.run(["passwd", "--remove-slot", "nobody"], env: ["TWVAULT_PASSPHRASE": "new-pw"])
        #expect(result.status == 66)
        #expect(try h.run(["verify"], env: ["TWVAULT_PASSPHRASE": "new-pw"]).status == 0)
    }

    @Test func passwdNeedsAPassphraseNotASession() throws {
        let h = try vaultWithShortPassphrase()
        let unlocked = try h.run(["unlock"], env: ["TWVAULT_PASSPHRASE": "pw"])
        let line = unlocked.stdout.trimmingCharacters(in: .newlines)
        h.environment["TWVAULT_SESSION"] = String(line.dropFirst("export TWVAULT_SESSION='".count).dropLast())
        #expect(try h.run(["show", "p"]).status == 0)
        let result = try Harness.execute(
            "/usr/bin/setsid", ["-w", Harness.binary, "passwd"],
            environment: h.baseEnvironment().merging(["TWVAULT_NEW_PASSPHRASE": "x"]) { $1 })
        #expect(result.status == 77)
    }
}
