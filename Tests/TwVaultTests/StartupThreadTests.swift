import Foundation
import Testing

/// DESIGN §9: a warm `export` and `--version` start no thread. The binary runs under strace,
/// which records every clone; `list` (through ArgumentParser and the global executor) is the
/// control that shows the trace sees the threads the concurrency runtime starts.
@Suite("Startup threads")
struct StartupThreadTests {
    /// The clone calls of one run of the binary, and its result.
    static func traced(_ harness: Harness, _ arguments: [String]) throws -> (Harness.Result, [Substring]) {
        let trace = harness.root.path + "/trace"
        let result = try Harness.execute(
            "/usr/bin/strace", ["-f", "-qq", "-e", "trace=clone,clone3", "-o", trace, Harness.binary] + arguments,
            environment: harness.baseEnvironment())
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        return (result, lines.filter { $0.contains("clone") })
    }

    @Test("export of an unlocked vault and --version start no thread; list does")
    func noThread() throws {
        let harness = try Harness()
        try harness.installFixtureVault(unlocked: true)

        let (export, exportClones) = try Self.traced(harness, ["export", "p", "--format", "sh"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("export TWILIO_ACCOUNT_SID='\(Harness.accountSID)'"))
        #expect(exportClones.isEmpty, "\(exportClones)")

        let (version, versionClones) = try Self.traced(harness, ["--version"])
        #expect(version.status == 0)
        #expect(version.stdout == "0.1.0\n")
        #expect(versionClones.isEmpty, "\(versionClones)")

        let (list, listClones) = try Self.traced(harness, ["list"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("p"))
        #expect(!listClones.isEmpty)
    }
}
