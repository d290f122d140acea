import Testing
import TwVaultTestSupport
import Vault
import VaultOperations

/// `update`, in process: it changes only what it is given and keeps everything else.
@Suite struct UpdateCommandTests {
    static let otherAccountSID = "ACfedcba9876543210fedcba9876543210"
    static let otherKeySID = "SKfedcba9876543210fedcba9876543210"
    static let otherClientID = "OQzyxwvutsrqponmlkjihgfedcba987654"
    static let fixtureTime: Int64 = 1_700_000_000

    @Test func aSettingChangesAndEverythingElseStays() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let before = try home.storedProfile("p")
        let result = await home.run(["update", "p", "--region", "ie1", "--edge", "dublin"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("set region, edge"))
        var expected = before
        expected.region = "ie1"
        expected.edge = "dublin"
        #expect(try home.storedProfile("p") == expected)

        #expect(await home.run(["update", "p", "--no-region"]).exit == .success)
        expected.region = nil
        #expect(try home.storedProfile("p") == expected)
    }

    @Test func aSecretGivenAloneReplacesThatSecretAndItsAge() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let clock = TestClock(Context.systemClock())
        let result = await home.run(
            ["update", "p", "--stdin"], stdin: "TWILIO_AUTH_TOKEN=replaced-token\n", clock: clock.function)
        #expect(result.exit == .success, "\(result.stderr)")
        let record = try home.storedProfile("p")
        #expect(record.authToken == "replaced-token")
        #expect(record.credentialTimes == ["auth_token": clock.now, "api_key": Self.fixtureTime])
        #expect(record.apiKeySID == TestHome.apiKeySID && record.apiKeySecret == TestHome.apiSecret)
        #expect(!result.stderr.contains("replaced-token"))
    }

    @Test func theSameValuesAgainChangeNothing() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let before = try home.storedProfile("p")
        let exported = await home.run(["export", "p", "--format", "sh"])
        #expect(exported.exit == .success, "\(exported.stderr)")
        let result = await home.run(["update", "p", "--stdin"], stdin: exported.stdout)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("nothing changed"))
        #expect(try home.storedProfile("p") == before, "equal secrets keep their ages")
    }

    @Test func stdinTakesWhatExportPrints() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        #expect(await home.run(["copy", "p", "q"]).exit == .success)
        #expect(await home.run(["update", "q", "--stdin"], stdin: "TWILIO_AUTH_TOKEN=other\n").exit == .success)
        for format in ["sh", "dotenv"] {
            var exported = await home.run(["export", "p", "--format", format])
            #expect(exported.exit == .success, "\(exported.stderr)")
            // What `export` prints for an OAuth profile: ignored on input, like TWVAULT_PROFILE.
            if format == "dotenv" { exported.stdout += "TWILIO_ACCESS_TOKEN=ignored.access.token\n" }
            let result = await home.run(["update", "q", "--stdin"], stdin: exported.stdout)
            #expect(result.exit == .success, "\(format): \(result.stderr)")
            #expect(try home.storedProfile("q").authToken == TestHome.authToken)
            #expect(await home.run(["update", "q", "--stdin"], stdin: "TWILIO_AUTH_TOKEN=other\n").exit == .success)
        }
    }

    @Test func aNewAPIKeyIsAskedForItsSecretOnTheTerminal() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let clock = TestClock(Context.systemClock())
        let console = TestConsole(terminal: [.standardInput], secrets: ["new-key-secret"])
        let result = await home.run(
            ["update", "p", "--api-key", Self.otherKeySID], console: console, clock: clock.function)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(console.prompts == ["API key secret: "])
        let record = try home.storedProfile("p")
        #expect(record.apiKeySID == Self.otherKeySID && record.apiKeySecret == "new-key-secret")
        #expect(record.authToken == TestHome.authToken)
        #expect(record.credentialTimes == ["auth_token": Self.fixtureTime, "api_key": clock.now])
    }

    @Test func theStoredIdentifierAgainOffersToKeepItsSecret() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let before = try home.storedProfile("p")
        let console = TestConsole(terminal: [.standardInput], secrets: [""])
        let result = await home.run(["update", "p", "--account-sid", TestHome.accountSID], console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(console.prompts == ["Auth token (Enter to keep the current one): "])
        #expect(try home.storedProfile("p") == before)
    }

    @Test(
        "a changed identifier needs its secret",
        arguments: [
            "TWILIO_API_KEY=\(otherKeySID)\n",
            "TWILIO_ACCOUNT_SID=\(otherAccountSID)\n",
            "TWILIO_ACCOUNT_SID=\(otherAccountSID)\nTWILIO_AUTH_TOKEN=new-account-token\n",
            "TWILIO_CLIENT_SECRET=orphan-secret\n",
            "TWILIO_REGION=EU-WEST\n",
        ])
    func changedIdentifierNeedsItsSecret(stdin: String) async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let before = TestHome.read(home.vaultPath)
        let stored = try home.storedProfile("p")
        let result = await home.run(["update", "p", "--stdin"], stdin: stdin)
        #expect(result.exit == .usage, "\(result.stderr)")
        #expect(try home.storedProfile("p") == stored)
        #expect(result.stderr.hasPrefix("twvault: ") && result.stderr.split(separator: "\n").count == 1)
        #expect(!result.stderr.contains("new-account-token") && !result.stderr.contains("orphan-secret"))
        #expect(TestHome.read(home.vaultPath) == before)
    }

    @Test func aNewAccountTakesNewCredentialsAndKeepsNothingOfTheOld() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let clock = TestClock(Context.systemClock())
        let result = await home.run(
            ["update", "p", "--stdin", "--account-sid", Self.otherAccountSID],
            stdin: "TWILIO_AUTH_TOKEN=new-account-token\nTWILIO_API_KEY=\(Self.otherKeySID)\nTWILIO_API_SECRET=s2\n",
            clock: clock.function)
        #expect(result.exit == .success, "\(result.stderr)")
        let record = try home.storedProfile("p")
        #expect(record.accountSID == Self.otherAccountSID && record.authToken == "new-account-token")
        #expect(record.apiKeySID == Self.otherKeySID && record.apiKeySecret == "s2")
        #expect(record.credentialTimes == ["auth_token": clock.now, "api_key": clock.now])
        #expect(record.createdAt == Self.fixtureTime)
    }

    @Test func theOAuthClientKeepsItsRefreshTokenAndCacheUntilTheClientOrTokenURLChanges() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        try home.storeOAuthProfile("org")
        let before = try home.storedProfile("org")

        // Unrelated changes keep the refresh token, the previous secret, the ages and the token cache.
        var result = await home.run(["update", "org", "--scope", "offline_access", "--region", "ie1"])
        #expect(result.exit == .success, "\(result.stderr)")
        var expected = before
        expected.scope = "offline_access"
        expected.region = "ie1"
        #expect(try home.storedProfile("org") == expected)
        #expect(try home.hasRecord("org", .token))

        result = await home.run(["update", "org", "--token-url", "http://127.0.0.1:9/v2/token"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("dropped the cached access token"))
        #expect(try !home.hasRecord("org", .token))
        #expect(try home.storedProfile("org").refreshToken == "refresh-token-value")

        try home.storeToken("org")
        let console = TestConsole(terminal: [.standardInput], secrets: [""])
        result = await home.run(["update", "org", "--client-id", Self.otherClientID], console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(console.prompts == ["OAuth client secret (Enter to skip): "])
        let record = try home.storedProfile("org")
        #expect(record.clientID == Self.otherClientID)
        #expect(record.clientSecret == nil && record.refreshToken == nil && record.previousClientSecret == nil)
        #expect(record.credentialTimes.isEmpty)
        #expect(try !home.hasRecord("org", .token))
        #expect(result.stderr.contains("removed client secret, previous client secret, refresh token"))
    }

    @Test func anUnknownProfileIs66BeforeAnythingIsAsked() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(terminal: [.standardInput], secrets: [TestHome.passphrase, "never-asked"])
        let result = await home.run(["update", "nobody", "--api-key", Self.otherKeySID], console: console)
        #expect(result.exit == .noInput)
        #expect(console.prompts.isEmpty)
    }

    @Test func nothingGivenIsAUsageError() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        var result = await home.run(["update", "p"], passphrase: true)
        #expect(result.exit == .usage)
        #expect(result.stderr.split(separator: "\n").count == 1)
        result = await home.run(["update", "p", "--stdin"], stdin: "", passphrase: true)
        #expect(result.exit == .usage)
        result = await home.run(["update", "p", "--region", "ie1", "--no-region"], passphrase: true)
        #expect(result.exit == .usage)
    }

    @Test func aMistypedPassphraseIsAskedAgainBeforeTheSecret() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(
            terminal: [.standardInput], secrets: ["wrong one", "wrong two", TestHome.passphrase, "typed-secret"])
        let result = await home.run(["update", "p", "--api-key", Self.otherKeySID], console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        let prompt = "Passphrase for ~/vault/vault.db: "
        #expect(console.prompts == [prompt, prompt, prompt, "API key secret: "])
        try await home.unlock()
        #expect(try home.storedProfile("p").apiKeySecret == "typed-secret")
    }

    @Test func threeWrongPassphrasesAre77AndNoSecretIsAsked() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let before = TestHome.read(home.vaultPath)
        let console = TestConsole(terminal: [.standardInput], secrets: ["one", "two", "three", "never-asked"])
        let result = await home.run(["update", "p", "--api-key", Self.otherKeySID], console: console)
        #expect(result.exit == .noPermission)
        #expect(console.prompts.count == 3 && console.prompts.allSatisfy { $0.hasPrefix("Passphrase for ") })
        #expect(result.stderr.hasSuffix("twvault: \(VaultError.wrongPassphrase.description)\n"))
        #expect(TestHome.read(home.vaultPath) == before)
    }

    @Test func aPassphraseFromAFileGetsOneTry() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try TestHome.write("not the passphrase\n", to: home.passphraseFile)
        let console = TestConsole(terminal: [.standardInput], secrets: [TestHome.passphrase])
        let result = await home.run(["update", "p", "--region", "ie1"], passphrase: true, console: console)
        #expect(result.exit == .noPermission)
        #expect(console.prompts.isEmpty)
    }

    @Test func anUnfinishedRotationBlocksAccountCredentialsButNotSettings() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let state = RotationState(id: "0123456789abcdef", kind: .apiKey, step: .created, startedAt: Self.fixtureTime)
        try home.withVault { vault in
            try vault.write { try $0.put(state, profile: "p", kind: .rotation, now: Self.fixtureTime) }
        }
        let before = try home.storedProfile("p")
        var result = await home.run(["update", "p", "--stdin"], stdin: "TWILIO_API_SECRET=changed\n")
        #expect(result.exit == .temporaryFailure)
        #expect(result.stderr.contains("twvault rotate p --resume"))
        #expect(try home.storedProfile("p") == before)
        result = await home.run(["update", "p", "--region", "ie1"])
        #expect(result.exit == .success, "\(result.stderr)")
    }

    /// DESIGN §2: a hint never proposes a command that deletes or replaces data.
    @Test func noErrorProposesAReplacement() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        #expect(
            await home.run(
                ["add", "keyonly", "--stdin"],
                stdin: "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_API_KEY=\(TestHome.apiKeySID)\n"
                    + "TWILIO_API_SECRET=\(TestHome.apiSecret)\n"
            ).exit == .success)
        #expect(
            await home.run(
                ["add", "tokenonly", "--stdin"],
                stdin: "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=\(TestHome.authToken)\n"
            ).exit == .success)

        let http = HTTPClientProvider.live()
        let cases: [(arguments: [String], stdin: String?, status: VaultOperations.ExitStatus)] = [
            (
                ["add", "p", "--stdin"], "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=x\n",
                .cannotCreate
            ),
            (["copy", "tokenonly", "p"], nil, .cannotCreate),
            (["token", "p"], nil, .usage),
            (["rotate", "tokenonly", "--api-key"], nil, .usage),
            (["rotate", "keyonly", "--auth-token"], nil, .usage),
            (["rotate", "p", "--client-secret", "--stdin"], "TWILIO_CLIENT_SECRET=new-client-secret\n", .usage),
        ]
        for (arguments, stdin, status) in cases {
            let result = await home.run(arguments, stdin: stdin, http: http)
            #expect(result.exit == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("--force"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("`twvault update "), "\(arguments): \(result.stderr)")
        }
    }
}
