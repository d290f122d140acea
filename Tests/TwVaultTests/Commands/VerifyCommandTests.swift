import Foundation
import Testing
import TwVaultTestSupport
import VaultOperations

/// `verify`, in process.
@Suite struct VerifyCommandTests {
    @Test func anIntactVaultVerifies() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["verify"], passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("integrity verified"))
    }
}

/// Tampered, damaged, foreign and future vault files, in process: refused with the DESIGN §2
/// code, never a crash, never a write on top.
@Suite struct IntegrityTests {
    /// Runs SQL on the vault file with python's sqlite3 (an outside program, like an attacker).
    /// Prints the number of rows the statement changed.
    @discardableResult
    func sql(_ h: Harness, _ statement: String) throws -> Int {
        let script = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            c.executescript(sys.argv[2]) if ";" in sys.argv[2] else c.execute(sys.argv[2])
            changed = c.total_changes
            if c.in_transaction:
                c.execute("COMMIT")
            c.close()
            print(changed)
            """
        let result = try Harness.execute(
            "/usr/bin/python3", ["-c", script, h.vaultPath, statement], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 0, "sql: \(result.stderr)")
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// The fixture vault with profiles `a` (the fixture's `p`, renamed) and `b`, unlocked.
    func vaultWithTwoProfiles() async throws -> Harness {
        let h = try Harness()
        try h.installFixtureVault(unlocked: true)
        let renamed = await h.call(["rename", "p", "a"])
        #expect(renamed.status == 0, "\(renamed.stderr)")
        let added = await h.call(
            ["add", "b", "--stdin"],
            stdin: "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=\(Harness.authToken)\n")
        #expect(added.status == 0, "\(added.stderr)")
        return h
    }

    @Test func verifyPassesOnACleanVaultAndListsTampering() async throws {
        let h = try await vaultWithTwoProfiles()
        var result = await h.call(["verify"], passphrase: true)
        #expect(result.status == 0, "verify: \(result.stderr)")
        // Flip one byte inside b's ciphertext.
        let script = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
            (blob,) = c.execute("SELECT sealed FROM record WHERE profile = 'b' AND kind = 'profile'").fetchone()
            flipped = bytearray(blob); flipped[40] ^= 0x01
            c.execute("UPDATE record SET sealed = ? WHERE profile = 'b' AND kind = 'profile'", (bytes(flipped),))
            print(c.total_changes)
            """
        let flip = try Harness.execute(
            "/usr/bin/python3", ["-c", script, h.vaultPath], environment: ["PATH": "/usr/bin:/bin"])
        #expect(flip.stdout == "1\n", "\(flip.stderr)")
        result = await h.call(["verify"], passphrase: true)
        #expect(result.status == 65)
        #expect(result.stderr.contains("profile 'b'"))
        #expect(result.stderr.contains("MAC"))
        // A write on top of a tampered vault is refused.
        result = await h.call(["remove", "a", "--yes"], passphrase: true)
        #expect(result.status == 65)
        #expect(await h.call(["list"]).stdout == "a\nb\n")
        // Reading the intact profile still works; the damaged one is named.
        #expect(await h.call(["export", "a"], passphrase: true).status == 0)
        result = await h.call(["export", "b"], passphrase: true)
        #expect(result.status == 65)
    }

    @Test func deletedRowIsDetected() async throws {
        let h = try await vaultWithTwoProfiles()
        try sql(h, "DELETE FROM record WHERE profile = 'b'")
        let result = await h.call(["verify"], passphrase: true)
        #expect(result.status == 65)
        #expect(result.stderr.contains("MAC"))
    }

    @Test func insecurePermissionsAndSymlinksAreRefused() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        chmod(h.vaultPath, 0o644)
        var result = await h.call(["list"])
        #expect(result.status == 77)
        #expect(result.stderr.contains("chmod 600"))
        chmod(h.vaultPath, 0o600)
        let link = h.root.path + "/link.db"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: h.vaultPath)
        result = await h.call(["list", "--vault", link])
        #expect(result.status == 77)
        #expect(result.stderr.contains("symbolic link"))
    }

    @Test func garbageFilesAreCorruptNotCrashes() async throws {
        let h = try Harness()
        try FileManager.default.createDirectory(atPath: h.root.path + "/vault", withIntermediateDirectories: true)
        var random = [UInt8](repeating: 0, count: 8192)
        for index in random.indices { random[index] = UInt8.random(in: 0...255) }
        _ = FileManager.default.createFile(
            atPath: h.vaultPath, contents: Data(random), attributes: [.posixPermissions: 0o600])
        var result = await h.call(["list"])
        #expect(result.status == 65, "\(result.stderr)")
        try FileManager.default.removeItem(atPath: h.vaultPath)
        try sql(h, "CREATE TABLE notes (x TEXT);")
        chmod(h.vaultPath, 0o600)
        result = await h.call(["list"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("not a twvault vault"))
    }

    @Test func newerSchemaIsRefusedUntouched() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        try sql(h, "INSERT INTO schema_migrations (id, name, applied_at) VALUES (9999, 'future', 0);")
        let before = try #require(FileManager.default.contents(atPath: h.vaultPath))
        let result = await h.call(["export", "p"], passphrase: true)
        #expect(result.status == 78)
        #expect(result.stderr.contains("newer"))
        #expect(FileManager.default.contents(atPath: h.vaultPath) == before)
    }
}
