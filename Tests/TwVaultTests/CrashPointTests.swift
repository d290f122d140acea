import Foundation
import Testing
import TwilioStandIn
import VaultOperations

extension RotationSuites {
    /// The crash points are named by `CrashPoint.Step`; the crash tests name them by their raw
    /// values, the strings `TWVAULT_TEST_CRASH_AFTER` takes.
    @Suite struct CrashPointTests {
        /// A step added to a rotation, or a renamed one, must be crashed at by the crash tests.
        @Test func everyRotationStepIsCrashedAt() {
            let rotationSteps = CrashPoint.Step.allCases.map(\.rawValue).filter {
                !$0.hasPrefix("ephemeral-") && !$0.hasPrefix("sync-") && !$0.hasPrefix("rekey-")
            }
            let tested = RotationCrashTests.apiKeySteps + RotationCrashTests.authTokenSteps
            #expect(rotationSteps == tested)
        }

        /// A crash after the command of `exec --ephemeral-key` ended, before its key was deleted:
        /// the exit is the crash's, the key is a leftover, and the next command deletes it.
        @Test func crashAfterTheChildExitsLeavesAKeyTheNextCommandDeletes() async throws {
            let f = try await RotationFixture.start(.apiKey)
            defer { Task { await f.shutdown() } }
            let crashed = try await f.run(
                ["exec", "p", "--ephemeral-key", "--", "true"],
                env: ["TWVAULT_TEST_CRASH_AFTER": CrashPoint.Step.ephemeralChildExit.rawValue])
            #expect(crashed.status == 137, "\(crashed.stderr)")
            let leftover = try #require(f.account.apiKeys.map(\.sid).first { $0 != Harness.apiKeySID })
            #expect(try await f.run(["verify"]).status == 0)

            let export = try await f.run(["export", "p", "--no-token"])
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stderr.contains("deleted the leftover ephemeral API key \(leftover)"))
            #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
            f.expectNoSecrets([crashed.stdout, crashed.stderr, export.stderr])
        }
    }
}
