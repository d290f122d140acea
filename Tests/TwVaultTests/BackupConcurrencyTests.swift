import Foundation
import Testing

/// `backup` while other processes write: every copy is a consistent vault (SQLite's
/// `VACUUM INTO` reads one snapshot) that opens and verifies, and no writer is lost or refused.
@Suite struct BackupConcurrencyTests {
    @Test func backupsTakenDuringConcurrentWritesOpenAndVerify() async throws {
        let h = try Harness()
        try h.installFixtureVault(unlocked: true)
        let writers = (1...8).map { "w\($0)" }
        let copies = (1...3).map { h.root.path + "/backup-\($0).db" }
        try await withThrowingTaskGroup(of: (String, Harness.Result).self) { group in
            for name in writers {
                group.addTask {
                    let lines = "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=token-of-\(name)\n"
                    return ("add \(name)", try await h.runAsync(["add", name, "--stdin"], stdin: lines))
                }
            }
            for copy in copies {
                group.addTask { ("backup \(copy)", try await h.runAsync(["backup", copy])) }
            }
            for try await (label, result) in group {
                #expect(result.status == 0, "\(label): \(result.stderr)")
            }
        }

        let allNames = Set(["p"] + writers)
        let listed = try h.run(["list"])
        #expect(Set(listed.stdout.split(separator: "\n").map(String.init)) == allNames)
        for copy in copies {
            let verified = try h.run(["verify"], env: ["TWVAULT_VAULT": copy], passphrase: true)
            #expect(verified.status == 0, "\(copy): \(verified.stderr)")
            let listing = try h.run(["list"], env: ["TWVAULT_VAULT": copy]).stdout
            let names = Set(listing.split(separator: "\n").map(String.init))
            // A snapshot: the fixture's profile and whichever writers had committed.
            #expect(names.contains("p") && names.isSubset(of: allNames), "\(copy): \(names)")
        }
    }
}
