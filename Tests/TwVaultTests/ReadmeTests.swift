import Foundation
import Testing

/// Runs the README's `<!-- tested -->` shell blocks with the built binary on PATH.
@Suite struct ReadmeTests {
    static func testedBlocks() throws -> [String] {
        var directory = URL(fileURLWithPath: #filePath)
        var readme: String?
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            let candidate = directory.appendingPathComponent("README.md").path
            if FileManager.default.fileExists(atPath: candidate),
                FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path)
            {
                readme = try String(contentsOfFile: candidate, encoding: .utf8)
                break
            }
        }
        let lines = try #require(readme).components(separatedBy: "\n")
        var blocks: [String] = []
        var index = 0
        while index < lines.count {
            if lines[index].trimmingCharacters(in: .whitespaces) == "<!-- tested -->", index + 1 < lines.count,
                lines[index + 1].hasPrefix("```")
            {
                var body: [String] = []
                index += 2
                while index < lines.count, !lines[index].hasPrefix("```") {
                    body.append(lines[index])
                    index += 1
                }
                blocks.append(body.joined(separator: "\n"))
            }
            index += 1
        }
        return blocks
    }

    @Test func quickStartRuns() throws {
        let blocks = try Self.testedBlocks()
        #expect(!blocks.isEmpty)
        let h = try Harness()
        let binDirectory = URL(fileURLWithPath: Harness.binary).deletingLastPathComponent().path
        for block in blocks {
            var env = h.baseEnvironment()
            env.removeValue(forKey: "TWVAULT_VAULT")
            env["PATH"] = binDirectory + ":" + (env["PATH"] ?? "")
            // The README's vault uses default KDF limits; fine for one unlock.
            let result = try Harness.execute("/bin/bash", ["-e", "-o", "pipefail", "-c", block], environment: env)
            #expect(result.status == 0, "README block failed: \(result.stderr)")
            #expect(result.stdout.contains("acme-prod\n"))
            #expect(result.stdout.contains("acme-prod uses AC0123456789abcdef0123456789abcdef"))
            #expect(!result.stdout.contains("s3cret"))
        }
    }
}
