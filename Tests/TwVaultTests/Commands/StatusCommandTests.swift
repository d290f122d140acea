import Foundation
import Testing
import TwVaultTestSupport
import VaultOperations

/// `status`, in process: never prompts, always reports.
@Suite struct StatusCommandTests {
    func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func noVault() async throws {
        let home = try TestHome()
        let result = await home.run(["status", "--json"])
        #expect(result.exit == .success)
        let report = try json(result)
        #expect(report["vault"] as? String == "~/vault/vault.db")
        #expect(report["exists"] as? Bool == false)
        #expect(report["unlocked"] as? Bool == false)
    }

    @Test func lockedNeverPrompts() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(terminal: [.standardInput, .standardOutput, .standardError])
        let result = await home.run(["status"], env: ["TWVAULT_PROFILE": "p"], console: console)
        #expect(result.exit == .success)
        #expect(console.prompts.isEmpty)
        #expect(result.stdout.contains("unlock   locked"))
        #expect(result.stdout.contains("profile  p"))
    }

    @Test func unlockedWithTimeLeftAndAMatchingAccount() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock(ttl: "10m")
        var result = await home.run(
            ["status", "--json"], env: ["TWVAULT_PROFILE": "p", "TWILIO_ACCOUNT_SID": TestHome.accountSID])
        var report = try json(result)
        #expect(report["unlocked"] as? Bool == true)
        let left = try #require(report["unlock_seconds_left"] as? Int)
        #expect(left > 0 && left <= 600)
        #expect((report["unlock_expires_at"] as? String)?.hasSuffix("Z") == true)
        #expect(report["profile"] as? String == "p")
        #expect(report["account_sid_matches"] as? Bool == true)

        result = await home.run(
            ["status", "--json"],
            env: ["TWVAULT_PROFILE": "p", "TWILIO_ACCOUNT_SID": "ACffffffffffffffffffffffffffffffff"])
        report = try json(result)
        #expect(report["account_sid_matches"] as? Bool == false)
    }

    @Test func anUnknownActiveProfileIsReportedNotAnError() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["status", "--json"], env: ["TWVAULT_PROFILE": "gone"])
        #expect(result.exit == .success)
        #expect(try json(result)["profile_exists"] as? Bool == false)
    }
}
