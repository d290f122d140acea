import Dispatch
import Foundation
import Testing
import TwVaultTestSupport
import TwilioStandIn
import VaultOperations

/// `exec`, in process: what would replace the process, with which environment.
@Suite struct ExecCommandTests {
    @Test func replacesTheProcessWithTheProfileEnvironmentAndNoUnlockSecrets() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let launcher = RecordingLauncher()
        let result = await home.run(
            ["exec", "p", "--", "env"], passphrase: true,
            env: ["TWVAULT_SESSION": "stale", "TWILIO_CLIENT_ID": "leftover"], processes: launcher)
        #expect(result.exit == .success, "\(result.stderr)")
        let launch = try #require(launcher.recorded.first)
        #expect(launch.replaced && launch.argv == ["env"])
        #expect(launch.environment["TWILIO_AUTH_TOKEN"] == TestHome.authToken)
        #expect(launch.environment["TWVAULT_PROFILE"] == "p")
        #expect(launch.environment["TWILIO_CLIENT_ID"] == nil)
        #expect(launch.environment["TWVAULT_SESSION"] == nil)
        #expect(launch.environment["TWVAULT_PASSPHRASE_FILE"] == nil)
    }

    @Test func theDefaultCommandIsTheShell() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let launcher = RecordingLauncher()
        let result = await home.run(["exec", "p"], passphrase: true, env: ["SHELL": "/bin/sh"], processes: launcher)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(launcher.recorded.first?.argv == ["/bin/sh"])
    }

    @Test func aMissingCommandIs127() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(
            ["exec", "p", "--", "no-such-command-here"], passphrase: true, processes: RecordingLauncher())
        #expect(result.exit == .commandNotFound)
        #expect(result.stderr.contains("command not found"))
    }

    @Test func anUnknownOptionIsAUsageError() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["exec", "p", "--bogus", "--", "env"], passphrase: true)
        #expect(result.exit == .usage)
    }
}

extension RotationSuites {
    /// `exec --ephemeral-key`, in process: the child is a `RecordingLauncher` whose stand-in
    /// code runs while the command waits for it. A key exists while the child runs and is gone
    /// after it; a key whose delete failed is deleted by the next command. (Signals to a real
    /// twvault: EphemeralKeyTests.)
    @Suite struct ExecEphemeralKeyTests {
        /// Runs a command in process from synchronous code (a child standing in for a program),
        /// on the stand-in's threads so the waiting thread is not one of the cooperative pool's.
        static func callWhileTheChildRuns(_ f: RotationFixture, _ arguments: [String]) -> Harness.Result {
            let done = DispatchSemaphore(value: 0)
            let box = Locked<Harness.Result?>(nil)
            Task(executorPreference: StandInExecutor.shared) {
                let result = await f.call(arguments)
                box.withLock { $0 = result }
                done.signal()
            }
            done.wait()
            return box.withLock { $0! }
        }

        /// `exec p --ephemeral-key -- true` with the launcher's child in the place of `true`, run on the
        /// stand-in's threads (the child blocks the thread it runs on).
        static func execWithEphemeralKey(
            _ f: RotationFixture, launcher: RecordingLauncher, command: [String] = ["true"]
        ) async -> Harness.Result {
            await withTaskExecutorPreference(StandInExecutor.shared) {
                await f.call(["exec", "p", "--ephemeral-key", "--"] + command, processes: launcher)
            }
        }

        @Test(arguments: [Int32(0), 3])
        func keyLivesExactlyAsLongAsTheCommand(exitCode: Int32) async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                let seen = Locked<(sid: String?, authToken: String?, keyExisted: Bool, name: String?)>(
                    (nil, nil, false, nil))
                let launcher = RecordingLauncher { launch in
                    let sid = launch.environment["TWILIO_API_KEY"]
                    let key = f.account.apiKeys.first { $0.sid == sid }
                    seen.withLock {
                        $0 = (sid, launch.environment["TWILIO_AUTH_TOKEN"], key != nil, key?.friendlyName)
                    }
                    return exitCode
                }
                let result = await Self.execWithEphemeralKey(f, launcher: launcher)
                #expect(result.status == exitCode, "\(result.stderr)")
                let child = seen.withLock { $0 }
                let sid = try #require(child.sid)
                // The child had its own key, which existed at Twilio, and not the auth token.
                #expect(sid.hasPrefix("SK") && sid != Harness.apiKeySID)
                #expect(child.authToken == nil)
                #expect(child.keyExisted)
                #expect(child.name?.hasPrefix("twvault-ephemeral-") == true)
                #expect(launcher.recorded.map(\.argv) == [["true"]])
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

        @Test func failedDeleteIsRetriedByTheNextCommand() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                f.standIn.failStep(.deleteKey, status: 500)
                let launcher = RecordingLauncher(childStatus: 0)
                let result = await Self.execWithEphemeralKey(f, launcher: launcher)
                let sid = try #require(launcher.recorded.first?.environment["TWILIO_API_KEY"])
                // The child's status passes through; the failed delete is a warning.
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("the ephemeral API key \(sid) of 'p' could not be deleted"))
                #expect(f.account.apiKeys.contains { $0.sid == sid })
                #expect(await f.call(["verify"]).status == 0)

                // The next export deletes it, once.
                let export = await f.call(["export", "p", "--no-token"])
                #expect(export.status == 0, "\(export.stderr)")
                #expect(export.stderr.contains("deleted the leftover ephemeral API key \(sid)"))
                #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
                f.standIn.clearLog()
                #expect(await f.call(["export", "p", "--no-token"]).status == 0)
                #expect(f.standIn.requests().isEmpty)
                f.expectNoSecrets([result.stdout, result.stderr, export.stderr])
            }
        }

        @Test func keyOfARunningCommandIsNotTakenForALeftover() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                let during = Locked<(export: Harness.Result?, keyKept: Bool)>((nil, false))
                let launcher = RecordingLauncher { launch in
                    // Another command while the child runs leaves its key alone.
                    let export = Self.callWhileTheChildRuns(f, ["export", "p", "--no-token"])
                    let kept = f.account.apiKeys.contains { $0.sid == launch.environment["TWILIO_API_KEY"] }
                    during.withLock { $0 = (export, kept) }
                    return 0
                }
                #expect(await Self.execWithEphemeralKey(f, launcher: launcher).status == 0)
                let observed = during.withLock { $0 }
                #expect(observed.export?.status == 0, "\(observed.export?.stderr ?? "")")
                #expect(observed.keyKept)
                #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
            }
        }

        @Test func creationFailureRunsNothing() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                f.standIn.failStep(.createKey, status: 401)
                let launcher = RecordingLauncher()
                let result = await Self.execWithEphemeralKey(f, launcher: launcher, command: ["touch", "marker"])
                #expect(result.status == 69, "\(result.stderr)")
                #expect(result.stderr.contains("could not create an ephemeral API key"))
                #expect(launcher.recorded.isEmpty, "no command may run without its key")
                #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
                // A missing command is reported before any key is made.
                f.standIn.clearLog()
                #expect(
                    await f.call(["exec", "p", "--ephemeral-key", "--", "no-such-command-xyz"]).status == 127)
                #expect(f.standIn.requests().isEmpty)
                // Standard API keys cannot make keys: a profile without its auth token is refused (64).
                let keyOnly = [
                    "TWILIO_ACCOUNT_SID": Harness.accountSID, "TWILIO_API_KEY": Harness.apiKeySID,
                    "TWILIO_API_SECRET": Harness.apiSecret,
                ]
                #expect(await f.call(["add", "q", "--from-env"], env: keyOnly).status == 0)
                let refused = await f.call(["exec", "q", "--ephemeral-key", "--", "true"])
                #expect(refused.status == 64)
                #expect(refused.stderr.contains("auth token"))
                #expect(f.standIn.requests().isEmpty)
            }
        }
    }
}
