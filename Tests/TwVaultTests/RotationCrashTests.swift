import Foundation
import Testing
import TwilioStandIn

extension RotationSuites {
    /// A crash after every step of the API-key and auth-token rotations (a crash point compiled
    /// into debug builds only, `TWVAULT_TEST_CRASH_AFTER`, which ends the process like kill -9),
    /// then: the vault verifies, its current credential works at the stand-in, and
    /// `rotate --resume` completes the rotation with nothing left behind at Twilio. The crashing
    /// command runs the binary; the checks after it run in process.
    @Suite struct RotationCrashTests {
        static let apiKeySteps = [
            "api-key-intent", "api-key-create", "api-key-store-pending", "api-key-verify", "api-key-promote",
            "api-key-delete-old",
        ]
        static let authTokenSteps = [
            "auth-token-intent", "auth-token-create", "auth-token-store-pending", "auth-token-verify",
            "auth-token-switch", "auth-token-promote",
        ]

        @Test(arguments: apiKeySteps)
        func apiKeyRotationResumesAfterACrash(step: String) async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                let crashed = try await f.run(["rotate", "p", "--api-key"], env: ["TWVAULT_TEST_CRASH_AFTER": step])
                #expect(crashed.status == 137, "\(crashed.stderr)")
                var outputs = [crashed.stdout, crashed.stderr]

                let verify = await f.call(["verify"])
                #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
                #expect(try await f.vaultKeyIsAccepted(), "after a crash at \(step) the vault's key must work")
                let unfinished = try await f.show()["unfinished_rotation"] as? [String: String]
                #expect(unfinished?["credential"] == "api_key")
                let details = await f.call(["list", "--details"])
                #expect(details.stdout.contains("unfinished api_key rotation"))

                let resumed = await f.call(["rotate", "p", "--resume"])
                #expect(resumed.status == 0, "\(resumed.stderr)")
                outputs += [resumed.stdout, resumed.stderr, details.stdout]

                // Completed: a new key is current, it is the only key at Twilio, nothing is pending.
                let variables = try await f.exported()
                #expect(variables["TWILIO_API_KEY"] != Harness.apiKeySID)
                #expect(f.account.apiKeys.map(\.sid) == [variables["TWILIO_API_KEY"]].compactMap { $0 })
                #expect(try await f.vaultKeyIsAccepted())
                #expect(try await f.show()["unfinished_rotation"] == nil)
                #expect(await f.call(["verify"]).status == 0)
                #expect(await f.call(["rotate", "p", "--resume"]).stderr.contains("no unfinished rotation"))
                f.expectNoSecrets(outputs)
            }
        }

        @Test(arguments: authTokenSteps)
        func authTokenRotationResumesAfterACrash(step: String) async throws {
            try await RotationFixture.with(.authToken) { f async throws in
                let crashed = try await f.run(["rotate", "p", "--auth-token"], env: ["TWVAULT_TEST_CRASH_AFTER": step])
                #expect(crashed.status == 137, "\(crashed.stderr)")
                var outputs = [crashed.stdout, crashed.stderr]

                let verify = await f.call(["verify"])
                #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
                #expect(
                    try await f.vaultAuthTokenIsAccepted(), "after a crash at \(step) the vault's auth token must work")
                #expect((try await f.show()["unfinished_rotation"] as? [String: String])?["credential"] == "auth_token")

                let resumed = await f.call(["rotate", "p", "--resume"])
                #expect(resumed.status == 0, "\(resumed.stderr)")
                outputs += [resumed.stdout, resumed.stderr]

                let token = try await f.exported()["TWILIO_AUTH_TOKEN"]
                #expect(token != Harness.authToken)
                #expect(f.account.authToken == token)
                #expect(f.account.secondaryAuthToken == nil, "no secondary token may be left behind")
                #expect(try await f.show()["unfinished_rotation"] == nil)
                #expect(await f.call(["verify"]).status == 0)
                f.expectNoSecrets(outputs)
            }
        }

        /// The same with a real kill -9: the new key's probe never gets an answer, so the process
        /// is provably waiting after storing the pending key when it is killed.
        @Test func killNineWhileVerifyingLeavesAResumableVault() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                f.standIn.inject(Fault(.neverAnswer, target: .step(.probeMessages)))
                let process = Process()
                process.executableURL = URL(fileURLWithPath: Harness.binary)
                process.arguments = ["rotate", "p", "--api-key"]
                process.environment = f.h.baseEnvironment()
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                let probe = "/2010-04-01/Accounts/\(Harness.accountSID)/Messages.json"
                // The stand-in logs the probe when it arrives; the rotation then waits for an answer forever.
                // No hook tells when a request arrives: poll the log, within a deadline.
                let deadline = ContinuousClock.now + .seconds(120)
                while f.standIn.requests(to: probe).isEmpty && process.isRunning && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(process.isRunning)
                kill(process.processIdentifier, SIGKILL)
                try await onOwnThread { process.waitUntilExit() }
                #expect(process.terminationReason == .uncaughtSignal)

                #expect(await f.call(["verify"]).status == 0)
                #expect(try await f.vaultKeyIsAccepted())
                #expect(f.account.apiKeys.count == 2)
                let resumed = await f.call(["rotate", "p", "--resume"])
                #expect(resumed.status == 0, "\(resumed.stderr)")
                #expect(resumed.stderr.contains("finished an interrupted rotation"))
                #expect(f.account.apiKeys.map(\.sid) == [try await f.exported()["TWILIO_API_KEY"]].compactMap { $0 })
                #expect(try await f.exported()["TWILIO_API_KEY"] != Harness.apiKeySID)
            }
        }

        /// A later plain `rotate` finishes the interrupted rotation first, then rotates.
        @Test func plainRotateFinishesAnInterruptedRotationFirst() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                #expect(
                    try await f.run(["rotate", "p"], env: ["TWVAULT_TEST_CRASH_AFTER": "api-key-create"]).status == 137)
                #expect(f.account.apiKeys.count == 2)
                let result = await f.call(["rotate", "p"])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("had not stored its new key"))
                #expect(f.account.apiKeys.count == 1)
                #expect(try await f.vaultKeyIsAccepted())
                #expect(try await f.exported()["TWILIO_API_KEY"] != Harness.apiKeySID)
            }
        }
    }
}
