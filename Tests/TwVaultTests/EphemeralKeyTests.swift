import Foundation
import Testing
import TwilioStandIn

extension RotationSuites {
    /// `exec --ephemeral-key` with the binary and a real child: a key exists while the child
    /// runs and is gone after it when twvault is interrupted; a key left by a crash is deleted
    /// by the next command. (The other exit paths, in process: ExecEphemeralKeyTests.)
    @Suite struct EphemeralKeyTests {
        /// A running `twvault exec p --ephemeral-key` whose child prints its key SID (and whether it
        /// sees the auth token), then blocks reading its exit status from a FIFO (a signal to twvault ends it).
        final class RunningExec: @unchecked Sendable {
            let process = Process()
            let output = Pipe()
            let errors = Pipe()
            let fifo: String
            private(set) var firstLine = ""

            init(_ f: RotationFixture, env: [String: String] = [:]) throws {
                fifo = f.h.root.path + "/status-\(UUID().uuidString).fifo"
                guard mkfifo(fifo, 0o600) == 0 else { throw POSIXError(.EIO) }
                process.executableURL = URL(fileURLWithPath: Harness.binary)
                process.arguments = [
                    "exec", "p", "--ephemeral-key", "--", "sh", "-c",
                    "echo \"$TWILIO_API_KEY ${TWILIO_AUTH_TOKEN:-no-auth-token}\"; read code < \"$0\"; exit \"$code\"",
                    fifo,
                ]
                var environment = f.h.baseEnvironment()
                for (key, value) in env { environment[key] = value }
                process.environment = environment
                process.standardInput = FileHandle.nullDevice
                process.standardOutput = output
                process.standardError = errors
                try process.run()
            }

            /// Blocks until the child printed its line (or twvault ended without one).
            func waitForChild() -> String {
                var seen = Data()
                while !seen.contains(UInt8(ascii: "\n")) {
                    let chunk = output.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    seen += chunk
                }
                firstLine = String(decoding: seen, as: UTF8.self).trimmingCharacters(in: .newlines)
                return firstLine
            }

            func finish() -> (status: Int32, stdout: String, stderr: String) {
                let rest = output.fileHandleForReading.readDataToEndOfFile()
                let stderr = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return (
                    process.terminationStatus, firstLine + String(decoding: rest, as: UTF8.self),
                    String(decoding: stderr, as: UTF8.self)
                )
            }
        }

        /// A signal to twvault while its child runs (the child's own exit statuses:
        /// ExecEphemeralKeyTests, in process).
        enum Ending: String, CaseIterable, Sendable {
            case sigint, sigterm
        }

        @Test(arguments: Ending.allCases)
        func keyLivesExactlyAsLongAsTheCommand(_ ending: Ending) async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                let exec = try RunningExec(f)
                let line = (try await onOwnThread { exec.waitForChild() }).split(separator: " ").map(String.init)
                let sid = try #require(line.first)
                // The child has its own key, which exists at Twilio, and not the auth token.
                #expect(sid.hasPrefix("SK") && sid != Harness.apiKeySID)
                #expect(line.last == "no-auth-token")
                let key = try #require(f.account.apiKeys.first { $0.sid == sid })
                #expect(key.friendlyName.hasPrefix("twvault-ephemeral-"))

                let expected: Int32
                switch ending {
                case .sigint:
                    kill(exec.process.processIdentifier, SIGINT)
                    expected = 128 + SIGINT
                case .sigterm:
                    kill(exec.process.processIdentifier, SIGTERM)
                    expected = 128 + SIGTERM
                }
                let result = try await onOwnThread { exec.finish() }
                #expect(result.status == expected, "\(result.stderr)")
                #expect(!f.account.apiKeys.contains { $0.sid == sid }, "the ephemeral key must be deleted")
                #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
                // The profile itself is untouched, and nothing is left to clean up.
                #expect(try await f.exported()["TWILIO_API_KEY"] == Harness.apiKeySID)
                f.standIn.clearLog()
                #expect(await f.call(["export", "p", "--no-token"]).status == 0)
                #expect(f.standIn.requests().isEmpty)
                f.expectNoSecrets([result.stdout, result.stderr])
            }
        }

        @Test func crashAfterCreatingIsCleanedUpByTheNextExec() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                let crashed = try await f.run(
                    ["exec", "p", "--ephemeral-key", "--", "true"],
                    env: ["TWVAULT_TEST_CRASH_AFTER": "ephemeral-create"])
                #expect(crashed.status == 137)
                #expect(f.account.apiKeys.count == 2)
                #expect(await f.call(["verify"]).status == 0)
                let next = await f.call(["exec", "p", "--", "true"])
                #expect(next.status == 0, "\(next.stderr)")
                #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
            }
        }
    }
}
