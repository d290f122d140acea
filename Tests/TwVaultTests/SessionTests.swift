import Foundation
import Testing

@Suite struct SessionTests {
    func sessionFiles(_ h: Harness) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: h.runtimeDirectory + "/twvault").filter {
            $0.hasSuffix(".session")
        }
    }

    @Test func unlockThenCommandsNeedNoPassphrase() throws {
        let h = try Harness()
        try h.makeVault()
        try h.unlock()
        let result = try h.run(["export", "p", "--format", "json", "--verbose"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("unlocked with TWVAULT_SESSION"))
        #expect(!result.stderr.contains("passphrase of slot"))
        let dirMode =
            try FileManager.default.attributesOfItem(atPath: h.runtimeDirectory + "/twvault")[.posixPermissions] as? Int
        #expect(dirMode == 0o700)
        let file = try sessionFiles(h)
        #expect(file.count == 1)
        let mode =
            try FileManager.default.attributesOfItem(atPath: h.runtimeDirectory + "/twvault/" + file[0])[
                .posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func lockEndsEverySession() throws {
        let h = try Harness()
        try h.makeVault()
        try h.unlock()
        let first = h.environment["TWVAULT_SESSION"]
        try h.unlock()
        #expect(try sessionFiles(h).count == 2)
        #expect(try h.run(["lock"]).status == 0)
        #expect(try sessionFiles(h).isEmpty)
        for token in [first, h.environment["TWVAULT_SESSION"]] {
            let result = try h.run(["export", "p"], env: ["TWVAULT_SESSION": token ?? ""])
            #expect(result.status == 77)
            #expect(result.stderr.contains("expired or was locked"))
        }
    }

    @Test func expiredSessionIsRefusedAndRemoved() throws {
        let h = try Harness()
        try h.makeVault()
        try h.unlock()
        let name = try #require(try sessionFiles(h).first)
        let path = h.runtimeDirectory + "/twvault/" + name
        var bytes = try #require(FileManager.default.contents(atPath: path))
        // The clear expiry (bytes 8..<16, big-endian seconds) set to 1970: expired.
        for index in 8..<16 { bytes[index] = 0 }
        bytes[15] = 1
        try bytes.write(to: URL(fileURLWithPath: path))
        let result = try h.run(["export", "p"])
        #expect(result.status == 77)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func extendedExpiryDoesNotAuthenticate() throws {
        let h = try Harness()
        try h.makeVault()
        try h.unlock()
        let name = try #require(try sessionFiles(h).first)
        let path = h.runtimeDirectory + "/twvault/" + name
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[8] = 0x7f // year 4 billion: the sealed copy of the expiry no longer matches
        try bytes.write(to: URL(fileURLWithPath: path))
        let result = try h.run(["export", "p"])
        #expect(result.status == 77)
    }

    @Test func sessionOfOneVaultDoesNotOpenAnother() throws {
        let a = try Harness()
        try a.makeVault()
        try a.unlock()
        let b = try Harness()
        try b.makeVault()
        let result = try b.run(
            ["export", "p"],
            env: [
                "TWVAULT_SESSION": a.environment["TWVAULT_SESSION"] ?? "",
                "XDG_RUNTIME_DIR": a.runtimeDirectory,
            ])
        #expect(result.status == 77)
    }

    @Test func ttlIsBounded() throws {
        let h = try Harness()
        try h.makeVault()
        for ttl in ["25h", "0", "soon", "-5m"] {
            #expect(try h.run(["unlock", "--ttl", ttl], passphrase: true).status == 64, "\(ttl)")
        }
        let fish = try h.run(["unlock", "--format", "fish"], passphrase: true)
        #expect(fish.stdout.hasPrefix("set -gx TWVAULT_SESSION '"))
    }
}
