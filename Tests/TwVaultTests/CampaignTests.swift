import Foundation
import Testing

/// Runs the short forms of `scripts/crash-campaign` and `scripts/concurrency-campaign` with
/// the built binaries. The long forms (200 kill -9 iterations) are run by hand.
@Suite("Crash and concurrency campaigns", .serialized)
struct CampaignTests {
    static let root: URL = {
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
        }
        fatalError("package root not found")
    }()

    /// Runs a campaign script with the binaries under test; its report goes into the failure.
    static func campaign(_ script: String, _ arguments: [String]) async throws -> Harness.Result {
        let binary = Harness.binary
        var environment = ProcessInfo.processInfo.environment
        environment["TWVAULT_BINARY"] = binary
        environment["TWILIO_STANDIN_BINARY"] =
            URL(fileURLWithPath: binary).deletingLastPathComponent()
            .appendingPathComponent("twilio-standin").path
        for name in [
            "TWVAULT_SESSION", "TWVAULT_PASSPHRASE", "TWVAULT_PASSPHRASE_FILE", "TWVAULT_PASSPHRASE_FD",
            "TWVAULT_PROFILE",
        ] {
            environment.removeValue(forKey: name)
        }
        return try await Harness.executeAsync(
            root.appendingPathComponent("scripts/\(script)").path, arguments,
            environment: environment)
    }

    @Test("15 kill -9 iterations: the vault verifies, no profile is lost, every credential works")
    func crashCampaignShortForm() async throws {
        // A fixed seed keeps CI reproducible; the long form picks a random one.
        let result = try await Self.campaign("crash-campaign", ["15", "20240601"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("15 iterations"))
        for step in ["sync-applied", "sync-committed", "sync-pushed"] {
            #expect(result.stdout.contains("sync stopped at \(step): the vault verifies and the next sync completed"))
        }
        // Rekey is one of the commands killed (the seed picks it): the vault verified after it.
        #expect(result.stdout.contains("calibrated rekey"))
        #expect(result.stdout.contains(", rekey "))
    }

    @Test("20 concurrent writers with readers; a writer blocked past the lock timeout exits 75")
    func concurrencyCampaign() async throws {
        let result = try await Self.campaign("concurrency-campaign", ["20"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
