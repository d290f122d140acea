import Foundation
import Testing
import TwilioStandIn

extension RotationSuites {
    /// `exec --ephemeral-key`: a key exists while the child runs and is gone after it, in every
    /// exit path; a key whose delete failed is deleted by the next command.
    @Suite struct EphemeralKeyTests {
        /// A running `twvault exec p --ephemeral-key` whose child prints its key SID (and whether it
        /// sees the auth token), then blocks reading its exit status from a FIFO.
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

            /// Lets the child exit with `code`.
            func release(exitCode code: Int) {
                let fd = open(fifo, O_WRONLY)
                _ = "\(code)\n".withCString { write(fd, $0, strlen($0)) }
                close(fd)
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

        enum Ending: String, CaseIterable, Sendable {
            case success, failure, sigint, sigterm
        }

        @Test(arguments: Ending.allCases)
        func keyLivesExactlyAsLongAsTheCommand(_ ending: Ending) async throws {
            let f = try await RotationFixture.start(.apiKey)
            defer { Task { await f.shutdown() } }
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
            case .success:
                try await onOwnThread { exec.release(exitCode: 0) }
                expected = 0
            case .failure:
                try await onOwnThread { exec.release(exitCode: 3) }
                expected = 3
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
            #expect(try await f.run(["export", "p", "--no-token"]).status == 0)
            #expect(f.standIn.requests().isEmpty)
            f.expectNoSecrets([result.stdout, result.stderr])
        }

        @Test func failedDeleteIsRetriedByTheNextCommand() async throws {
            let f = try await RotationFixture.start(.apiKey)
            defer { Task { await f.shutdown() } }
            f.standIn.failStep(.deleteKey, status: 500)
            let exec = try RunningExec(f)
            let sid = try #require(
                (try await onOwnThread { exec.waitForChild() }).split(separator: " ").first.map(String.init))
            try await onOwnThread { exec.release(exitCode: 0) }
            let result = try await onOwnThread { exec.finish() }
            // The child's status passes through; the failed delete is a warning.
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("the ephemeral API key \(sid) of 'p' could not be deleted"))
            #expect(f.account.apiKeys.contains { $0.sid == sid })
            #expect(try await f.run(["verify"]).status == 0)

            // The next export deletes it, once.
            let export = try await f.run(["export", "p", "--no-token"])
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stderr.contains("deleted the leftover ephemeral API key \(sid)"))
            #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
            f.standIn.clearLog()
            #expect(try await f.run(["export", "p", "--no-token"]).status == 0)
            #expect(f.standIn.requests().isEmpty)
            f.expectNoSecrets([result.stdout, result.stderr, export.stderr])
        }

        @Test func crashAfterCreatingIsCleanedUpByTheNextExec() async throws {
            let f = try await RotationFixture.start(.apiKey)
            defer { Task { await f.shutdown() } }
            let crashed = try await f.run(
                ["exec", "p", "--ephemeral-key", "--", "true"],
                env: ["TWVAULT_TEST_CRASH_AFTER": "ephemeral-create"])
            #expect(crashed.status == 137)
            #expect(f.account.apiKeys.count == 2)
            #expect(try await f.run(["verify"]).status == 0)
            let next = try await f.run(["exec", "p", "--", "true"])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
        }

        @Test func keyOfARunningCommandIsNotTakenForALeftover() async throws {
            let f = try await RotationFixture.start(.apiKey)
            defer { Task { await f.shutdown() } }
            let exec = try RunningExec(f)
            let sid = try #require(
                (try await onOwnThread { exec.waitForChild() }).split(separator: " ").first.map(String.init))
            // Another command while the child runs leaves its key alone.
            #expect(try await f.run(["export", "p", "--no-token"]).status == 0)
            #expect(f.account.apiKeys.contains { $0.sid == sid })
            try await onOwnThread { exec.release(exitCode: 0) }
            #expect(try await onOwnThread { exec.finish() }.status == 0)
            #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
        }

        @Test func creationFailureRunsNothing() async throws {
            let f = try await RotationFixture.start(.apiKey)
            defer { Task { await f.shutdown() } }
            f.standIn.failStep(.createKey, status: 401)
            let marker = f.h.root.path + "/ran"
            let result = try await f.run(["exec", "p", "--ephemeral-key", "--", "touch", marker])
            #expect(result.status == 69, "\(result.stderr)")
            #expect(result.stderr.contains("could not create an ephemeral API key"))
            #expect(!FileManager.default.fileExists(atPath: marker))
            #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
            // A missing command is reported before any key is made.
            f.standIn.clearLog()
            #expect(try await f.run(["exec", "p", "--ephemeral-key", "--", "no-such-command-xyz"]).status == 127)
            #expect(f.standIn.requests().isEmpty)
            // Standard API keys cannot make keys: a profile without its auth token is refused (64).
            let keyOnly = [
                "TWILIO_ACCOUNT_SID": Harness.accountSID, "TWILIO_API_KEY": Harness.apiKeySID,
                "TWILIO_API_SECRET": Harness.apiSecret,
            ]
            #expect(try await f.run(["add", "q", "--from-env"], env: keyOnly).status == 0)
            let refused = try await f.run(["exec", "q", "--ephemeral-key", "--", "true"])
            #expect(refused.status == 64)
            #expect(refused.stderr.contains("auth token"))
            #expect(f.standIn.requests().isEmpty)
        }
    }
}
