import Foundation
import Testing

/// Passphrase channels that need the binary: a descriptor, no controlling terminal. (The
/// others, in process: ShowCommandTests, PasswdCommandTests.)
@Suite struct PassphraseTests {
    /// The fixture vault (passphrase `Harness.passphrase`).
    func fixtureVault() throws -> Harness {
        let h = try Harness()
        try h.installFixtureVault()
        return h
    }

    @Test func descriptorChannel() throws {
        let h = try fixtureVault()
        try h.write(Harness.passphrase + "\n", to: h.root.path + "/fdpass")
        let script = "exec \"$0\" show p --passphrase-fd 3 3<\(h.root.path)/fdpass"
        var result = try Harness.execute("/bin/sh", ["-c", script, Harness.binary], environment: h.baseEnvironment())
        #expect(result.status == 0, "\(result.stderr)")
        var env = h.baseEnvironment()
        env["TWVAULT_PASSPHRASE_FD"] = "3"
        result = try Harness.execute(
            "/bin/sh", ["-c", "exec \"$0\" show p 3<<EOF\n\(Harness.passphrase)\nEOF", Harness.binary], environment: env
        )
        #expect(result.status == 0, "\(result.stderr)")
        // A descriptor that is not open (closed here: the test runner may hand one down).
        result = try Harness.execute(
            "/bin/sh", ["-c", "exec 9>&-; exec \"$0\" show p --passphrase-fd 9", Harness.binary],
            environment: h.baseEnvironment())
        #expect(result.status == 64, "\(result.stderr)")
    }

    @Test func noSourceAndNoTerminalExits77() throws {
        let h = try fixtureVault()
        // Run under setsid so there is no controlling terminal, even when the tests run in one.
        let result = try Harness.execute(
            "/usr/bin/setsid", ["-w", Harness.binary, "show", "p"], environment: h.baseEnvironment())
        #expect(result.status == 77)
        #expect(result.stderr.contains("no passphrase"))
        #expect(result.stdout.isEmpty)
    }
}
