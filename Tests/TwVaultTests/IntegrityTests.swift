import Foundation
import Testing

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

    @Test func verifyPassesOnACleanVaultAndListsTampering() throws {
        let h = try Harness()
        try h.makeVault(profile: "a")
        try h.makeVault(profile: "b")
        var result = try h.run(["verify"], passphrase: true)
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
        result = try h.run(["verify"], passphrase: true)
        #expect(result.status == 65)
        #expect(result.stderr.contains("profile 'b'"))
        #expect(result.stderr.contains("MAC"))
        // A write on top of a tampered vault is refused.
        result = try h.run(["remove", "a", "--yes"], passphrase: true)
        #expect(result.status == 65)
        #expect(try h.run(["list"]).stdout == "a\nb\n")
        // Reading the intact profile still works; the damaged one is named.
        #expect(try h.run(["export", "a"], passphrase: true).status == 0)
        result = try h.run(["export", "b"], passphrase: true)
        #expect(result.status == 65)
    }

    @Test func deletedRowIsDetected() throws {
        let h = try Harness()
        try h.makeVault(profile: "a")
        try h.makeVault(profile: "b")
        try sql(h, "DELETE FROM record WHERE profile = 'b'")
        let result = try h.run(["verify"], passphrase: true)
        #expect(result.status == 65)
        #expect(result.stderr.contains("MAC"))
    }

    @Test func insecurePermissionsAndSymlinksAreRefused() throws {
        let h = try Harness()
        try h.makeVault()
        chmod(h.vaultPath, 0o644)
        var result = try h.run(["list"])
        #expect(result.status == 77)
        #expect(result.stderr.contains("chmod 600"))
        chmod(h.vaultPath, 0o600)
        let link = h.root.path + "/link.db"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: h.vaultPath)
        result = try h.run(["list", "--vault", link])
        #expect(result.status == 77)
        #expect(result.stderr.contains("symbolic link"))
    }

    @Test func garbageFilesAreCorruptNotCrashes() throws {
        let h = try Harness()
        try FileManager.default.createDirectory(atPath: h.root.path + "/vault", withIntermediateDirectories: true)
        var random = [UInt8](repeating: 0, count: 8192)
        for index in random.indices { random[index] = UInt8.random(in: 0...255) }
        _ = FileManager.default.createFile(
            atPath: h.vaultPath, contents: Data(random), attributes: [.posixPermissions: 0o600])
        var result = try h.run(["list"])
        #expect(result.status == 65, "\(result.stderr)")
        try FileManager.default.removeItem(atPath: h.vaultPath)
        try sql(h, "CREATE TABLE notes (x TEXT);")
        chmod(h.vaultPath, 0o600)
        result = try h.run(["list"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("not a twvault vault"))
    }

    @Test func newerSchemaIsRefusedUntouched() throws {
        let h = try Harness()
        try h.makeVault()
        try sql(h, "INSERT INTO schema_migrations (id, name, applied_at) VALUES (9999, 'future', 0);")
        let before = try #require(FileManager.default.contents(atPath: h.vaultPath))
        let result = try h.run(["export", "p"], passphrase: true)
        #expect(result.status == 78)
        #expect(result.stderr.contains("newer"))
        #expect(FileManager.default.contents(atPath: h.vaultPath) == before)
    }
}
