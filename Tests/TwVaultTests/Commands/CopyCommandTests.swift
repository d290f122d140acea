import Testing
import TwVaultTestSupport
import Vault
import VaultOperations

/// `copy`, in process: everything the profile holds, nothing that belongs to the original alone.
@Suite struct CopyCommandTests {
    @Test func copiesEveryFieldButNotTheTokenRotationOrEphemeralKeys() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        try home.storeOAuthProfile("org")
        #expect(
            await home.run(
                ["update", "org", "--stdin", "--region", "ie1", "--edge", "dublin"],
                stdin: "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=\(TestHome.authToken)\n"
            ).exit == .success)
        try home.storeWorkInProgress("org")
        let source = try home.storedProfile("org")

        let clock = TestClock(Context.systemClock())
        let result = await home.run(["copy", "org", "org-copy"], clock: clock.function)
        #expect(result.exit == .success, "\(result.stderr)")
        var expected = source
        expected.createdAt = clock.now
        #expect(try home.storedProfile("org-copy") == expected)
        #expect(try home.storedProfile("org") == source)
        for kind in [RecordKind.token, .rotation, .ephemeralKeys] {
            #expect(try !home.hasRecord("org-copy", kind), "\(kind)")
            #expect(try home.hasRecord("org", kind), "\(kind)")
        }
        #expect(await home.run(["verify"]).exit == .success)
        #expect(!result.stderr.contains("client-secret-value") && !result.stdout.contains("client-secret-value"))
    }

    @Test func anExistingDestinationIsRefusedWithoutForce() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        #expect(
            await home.run(
                ["add", "q", "--stdin"], stdin: "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=q-token\n"
            ).exit == .success)
        let before = TestHome.read(home.vaultPath)
        let result = await home.run(["copy", "p", "q"])
        #expect(result.exit == .cannotCreate)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!result.stderr.contains("--force"))
        #expect(TestHome.read(home.vaultPath) == before)
        #expect(try home.storedProfile("q").authToken == "q-token")
    }

    @Test func forceWithoutATerminalReplacesTheDestination() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        try home.storeOAuthProfile("q")
        let result = await home.run(["copy", "p", "q", "--force"])
        #expect(result.exit == .success, "\(result.stderr)")
        let record = try home.storedProfile("q")
        #expect(record.apiKeySID == TestHome.apiKeySID && record.clientID == nil && record.refreshToken == nil)
        #expect(try !home.hasRecord("q", .token), "the replaced profile's access token goes with it")
    }

    @Test func forceOnATerminalListsWhatIsLostAndAsks() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        try home.storeOAuthProfile("q")
        let before = try home.storedProfile("q")

        let declining = TestConsole(terminal: [.standardInput], answers: [false])
        var result = await home.run(["copy", "p", "q", "--force"], console: declining)
        #expect(result.exit == .failure)
        #expect(result.stderr.hasPrefix("twvault: ") && result.stderr.split(separator: "\n").count == 1)
        let question = try #require(declining.prompts.first)
        for name in [
            "OAuth client id", "client secret", "previous client secret", "refresh token", "cached access token",
        ] {
            #expect(question.contains(name), "\(name)")
        }
        #expect(!question.contains("client-secret-value") && !question.contains(TestHome.clientID))
        #expect(try home.storedProfile("q") == before)

        let accepting = TestConsole(terminal: [.standardInput], answers: [true])
        result = await home.run(["copy", "p", "q", "--force"], console: accepting)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(try home.storedProfile("q").accountSID == TestHome.accountSID)
    }

    @Test func aDestinationWithWorkUnderWayIsNotReplaced() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        try home.storeOAuthProfile("q")
        try home.storeWorkInProgress("q")
        let before = try home.storedProfile("q")
        let result = await home.run(["copy", "p", "q", "--force"])
        #expect(result.exit == .temporaryFailure)
        #expect(result.stderr.contains("twvault rotate q --resume"))
        #expect(try home.storedProfile("q") == before)
        #expect(try home.hasRecord("q", .rotation))
    }

    @Test func unknownSourceSameNameAndBadNames() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        #expect(await home.run(["copy", "nobody", "q"], passphrase: true).exit == .noInput)
        #expect(await home.run(["copy", "p", "p"], passphrase: true).exit == .usage)
        #expect(await home.run(["copy", "p", "-bad"], passphrase: true).exit == .usage)
        #expect((await home.run(["list"])).stdout == "p\n")
    }
}
