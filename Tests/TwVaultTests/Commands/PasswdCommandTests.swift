import Foundation
import Testing
import TwVaultTestSupport
import VaultOperations

/// `passwd`, in process: changing the passphrase, adding and removing slots.
@Suite struct PasswdCommandTests {
    @Test func passwdChangesAndAddsSlots() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        let pw = Harness.passphrase
        var result = await h.call(
            ["passwd", "--kdf", "interactive"], env: ["TWVAULT_PASSPHRASE": pw, "TWVAULT_NEW_PASSPHRASE": "new-pw"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(await h.call(["show", "p"], env: ["TWVAULT_PASSPHRASE": pw]).status == 77)
        #expect(await h.call(["show", "p"], env: ["TWVAULT_PASSPHRASE": "new-pw"]).status == 0)

        let alice = h.root.path + "/alice"
        try h.write("alice's passphrase\n", to: alice)
        result = await h.call(
            ["passwd", "--add-slot", "alice", "--new-passphrase-file", alice, "--kdf", "interactive"],
            env: ["TWVAULT_PASSPHRASE": "new-pw"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(await h.call(["show", "p", "--passphrase-file", alice]).status == 0)
        #expect(await h.call(["show", "p"], env: ["TWVAULT_PASSPHRASE": "new-pw"]).status == 0)
        result = await h.call(
            ["passwd", "--add-slot", "alice", "--new-passphrase-file", alice], env: ["TWVAULT_PASSPHRASE": "new-pw"])
        #expect(result.status == 73)

        result = await h.call(["passwd", "--remove-slot", "alice"], env: ["TWVAULT_PASSPHRASE": "new-pw"])
        #expect(result.status == 0)
        #expect(await h.call(["show", "p", "--passphrase-file", alice]).status == 77)
        result = await h.call(["passwd", "--remove-slot", "default"], env: ["TWVAULT_PASSPHRASE": "new-pw"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("last"))
        result = await h.call(["passwd", "--remove-slot", "nobody"], env: ["TWVAULT_PASSPHRASE": "new-pw"])
        #expect(result.status == 66)
        #expect(await h.call(["verify"], env: ["TWVAULT_PASSPHRASE": "new-pw"]).status == 0)
    }

    /// A session opens the vault for reading but never changes its passphrase: with no
    /// passphrase source and no terminal (the test console has none), 77.
    @Test func passwdNeedsAPassphraseNotASession() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        let unlocked = await h.call(["unlock"], env: ["TWVAULT_PASSPHRASE": Harness.passphrase])
        let line = unlocked.stdout.trimmingCharacters(in: .newlines)
        h.environment["TWVAULT_SESSION"] = String(line.dropFirst("export TWVAULT_SESSION='".count).dropLast())
        #expect(await h.call(["show", "p"]).status == 0)
        let result = await h.call(["passwd"], env: ["TWVAULT_NEW_PASSPHRASE": "x"])
        #expect(result.status == 77)
    }
}
