import Foundation
import Testing

/// `eval "$(twvault unlock)"` with the binary. (The rest of unlock and lock, in process:
/// UnlockLockCommandTests.)
@Suite struct SessionTests {
    func sessionFiles(_ h: Harness) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: h.runtimeDirectory + "/twvault").filter {
            $0.hasSuffix(".session")
        }
    }

    @Test func unlockThenCommandsNeedNoPassphrase() throws {
        let h = try Harness()
        try h.installFixtureVault()
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
}
