import Foundation
import Testing
import TwVaultTestSupport
import VaultOperations

/// `unlock`, `lock` and `verify`, in process.
@Suite struct UnlockLockCommandTests {
    @Test func anUnlockServesLaterCommandsUntilLock() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        var result = await home.run(["export", "p", "--format", "json"])
        #expect(result.exit == .success, "\(result.stderr)")
        result = await home.run(["lock"])
        #expect(result.exit == .success)
        #expect(result.stderr.contains("ended 1 unlock"))
        result = await home.run(["export", "p"])
        #expect(result.exit == .noPermission)
    }

    @Test func anOverlongTTLIsAUsageError() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["unlock", "--ttl", "25h"], passphrase: true)
        #expect(result.exit == .usage)
    }

    func sessionFiles(_ h: Harness) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: h.runtimeDirectory + "/twvault").filter {
            $0.hasSuffix(".session")
        }
    }

    @Test func lockEndsEverySession() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        await h.callUnlock()
        let first = h.environment["TWVAULT_SESSION"]
        await h.callUnlock()
        #expect(try sessionFiles(h).count == 2)
        #expect(await h.call(["lock"]).status == 0)
        #expect(try sessionFiles(h).isEmpty)
        for token in [first, h.environment["TWVAULT_SESSION"]] {
            let result = await h.call(["export", "p"], env: ["TWVAULT_SESSION": token ?? ""])
            #expect(result.status == 77)
            #expect(result.stderr.contains("expired or was locked"))
        }
    }

    @Test func expiredSessionIsRefusedAndRemoved() async throws {
        let h = try Harness()
        try h.installFixtureVault(unlocked: true)
        let name = try #require(try sessionFiles(h).first)
        let path = h.runtimeDirectory + "/twvault/" + name
        var bytes = try #require(FileManager.default.contents(atPath: path))
        // The clear expiry (bytes 8..<16, big-endian seconds) set to 1970: expired.
        for index in 8..<16 { bytes[index] = 0 }
        bytes[15] = 1
        try bytes.write(to: URL(fileURLWithPath: path))
        let result = await h.call(["export", "p"])
        #expect(result.status == 77)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func extendedExpiryDoesNotAuthenticate() async throws {
        let h = try Harness()
        try h.installFixtureVault(unlocked: true)
        let name = try #require(try sessionFiles(h).first)
        let path = h.runtimeDirectory + "/twvault/" + name
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[8] = 0x7f // year 4 billion: the sealed copy of the expiry no longer matches
        try bytes.write(to: URL(fileURLWithPath: path))
        let result = await h.call(["export", "p"])
        #expect(result.status == 77)
    }

    /// Two vaults made apart (the fixture's copies are one vault, so `b` is a fresh one).
    @Test func sessionOfOneVaultDoesNotOpenAnother() async throws {
        let a = try Harness()
        try a.installFixtureVault(unlocked: true)
        let b = try Harness()
        await b.callMakeVault(
            lines: "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=\(Harness.authToken)\n")
        let result = await b.call(
            ["export", "p"],
            env: [
                "TWVAULT_SESSION": a.environment["TWVAULT_SESSION"] ?? "",
                "XDG_RUNTIME_DIR": a.runtimeDirectory,
            ])
        #expect(result.status == 77)
    }

    @Test func ttlIsBounded() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        for ttl in ["25h", "0", "soon", "-5m"] {
            #expect(await h.call(["unlock", "--ttl", ttl], passphrase: true).status == 64, "\(ttl)")
        }
        let fish = await h.call(["unlock", "--format", "fish"], passphrase: true)
        #expect(fish.stdout.hasPrefix("set -gx TWVAULT_SESSION '"))
    }
}
