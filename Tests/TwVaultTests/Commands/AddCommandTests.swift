import Foundation
import Testing
import TwVaultTestSupport
import Vault
import VaultOperations

/// `add`, in process: secrets from stdin, the environment or scripted prompts.
@Suite struct AddCommandTests {
    static let lines = """
        TWILIO_ACCOUNT_SID=\(TestHome.accountSID)
        TWILIO_AUTH_TOKEN=\(TestHome.authToken)

        """

    @Test func addFromStdinCreatesTheVaultAndStoresTheProfile() async throws {
        let home = try TestHome()
        var result = await home.run(
            ["add", "acme", "--stdin", "--kdf", "interactive"], stdin: Self.lines, passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("created vault"))
        result = await home.run(["list"])
        #expect(result.stdout == "acme\n")
    }

    @Test func anExistingProfileIsRefusedWithoutForce() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["add", "p", "--stdin"], stdin: Self.lines, passphrase: true)
        #expect(result.exit == .cannotCreate)
        #expect(result.stderr.hasPrefix("twvault: ") && result.stderr.split(separator: "\n").count == 1)
    }

    @Test(
        "bad input is refused before anything is stored",
        arguments: [
            ("TWILIO_ACCOUNT_SID=ACnothex\nTWILIO_AUTH_TOKEN=x\n", VaultOperations.ExitStatus.usage),
            (
                "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=x\nLD_PRELOAD=/tmp/x.so\n",
                VaultOperations.ExitStatus.dataError
            ),
            ("TWILIO_PHONE_NUMBER=+15551234567\n", VaultOperations.ExitStatus.usage),
            ("TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\n", VaultOperations.ExitStatus.usage),
            ("not a line\n", VaultOperations.ExitStatus.dataError),
        ])
    func badInput(stdin: String, expected: VaultOperations.ExitStatus) async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let before = TestHome.read(home.vaultPath)
        let result = await home.run(["add", "q", "--stdin"], stdin: stdin, passphrase: true)
        #expect(result.exit == expected, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(TestHome.read(home.vaultPath) == before)
    }

    @Test func secretsFromTheEnvironment() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(
            ["add", "env-profile", "--from-env"], passphrase: true,
            env: ["TWILIO_ACCOUNT_SID": TestHome.accountSID, "TWILIO_AUTH_TOKEN": "from-env-token"])
        #expect(result.exit == .success, "\(result.stderr)")
        let shown = await home.run(["export", "env-profile", "--format", "json"], passphrase: true)
        #expect(shown.stdout.contains("\"TWILIO_AUTH_TOKEN\":\"from-env-token\""))
    }

    @Test func promptsOnTheTerminalForTheSecretsTheFlagsCallFor() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(terminal: [.standardInput], secrets: ["typed-token"])
        let result = await home.run(
            ["add", "typed", "--account-sid", TestHome.accountSID], passphrase: true, console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(console.prompts.first?.hasPrefix("Auth token") == true)
        #expect(!result.stdout.contains("typed-token") && !result.stderr.contains("typed-token"))
    }

    @Test func noTerminalAndNoSourceIsAccessDenied() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["add", "typed", "--account-sid", TestHome.accountSID], passphrase: true)
        #expect(result.exit == .noPermission)
    }

    @Test func addRefusesExistingUnlessForced() async throws {
        let h = try Harness()
        try h.installFixtureVault(unlocked: true)
        let input = "TWILIO_ACCOUNT_SID=\(Harness.otherAccountSID)\nTWILIO_AUTH_TOKEN=replacement-token\n"
        var result = await h.call(["add", "p", "--stdin"], stdin: input)
        #expect(result.status == 73)
        result = await h.call(["add", "p", "--stdin", "--force"], stdin: input)
        #expect(result.status == 0, "\(result.stderr)")
        result = await h.call(["export", "p", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String]
        #expect(object?["TWILIO_ACCOUNT_SID"] == Harness.otherAccountSID)
        #expect(object?["TWILIO_API_KEY"] == nil, "a forced add replaces the whole profile")
    }

    @Test(arguments: [
        (["add", "bad name", "--stdin"], "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=x\n", Int32(64)),
        (["add", "-leading", "--stdin"], "", Int32(64)),
        (["add", "p", "--stdin"], "TWILIO_ACCOUNT_SID=AC123\nTWILIO_AUTH_TOKEN=x\n", Int32(64)),
        (
            ["add", "p", "--stdin"],
            "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_API_KEY=SKnothex\nTWILIO_API_SECRET=x\n", Int32(64)
        ),
        (["add", "p", "--stdin"], "TWILIO_CLIENT_ID=OQshort\n", Int32(64)),
        (["add", "p", "--stdin"], "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\n", Int32(64)),
        (
            ["add", "p", "--stdin"], "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=x\nPATH=/tmp\n",
            Int32(65)
        ),
        (
            ["add", "p", "--stdin"], "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN='unterminated\n",
            Int32(65)
        ),
        (["add", "p", "--stdin", "--from-env"], "", Int32(64)),
        (
            ["add", "p", "--stdin", "--account-sid", Harness.otherAccountSID],
            "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=x\n", Int32(64)
        ),
        (["add", "p"], "", Int32(64)),
        (["add", "p", "--account-sid", Harness.accountSID], "", Int32(77)),
        (
            ["add", "p", "--stdin", "--token-url", "http://example.com/token"],
            "TWILIO_CLIENT_ID=\(Harness.clientID)\nTWILIO_CLIENT_SECRET=x\n", Int32(64)
        ),
    ])
    func addRejectsBadInput(arguments: [String], stdin: String, expected: Int32) async throws {
        let h = try Harness()
        let result = await h.call(arguments, stdin: stdin, passphrase: true)
        #expect(result.status == expected, "\(arguments): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count >= 1)
        #expect(
            !FileManager.default.fileExists(atPath: h.vaultPath) || expected == 0, "bad input must not create a vault")
    }

    @Test func fromEnvironmentReadsTwilioVariables() async throws {
        let h = try Harness()
        try h.installFixtureVault(unlocked: true)
        let env = [
            "TWILIO_ACCOUNT_SID": Harness.accountSID, "TWILIO_AUTH_TOKEN": Harness.authToken,
            "TWILIO_REGION": "ie1", "TWILIO_EDGE": "dublin",
        ]
        var result = await h.call(["add", "envp", "--from-env"], env: env)
        #expect(result.status == 0, "\(result.stderr)")
        result = await h.call(["export", "envp", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String]
        #expect(
            object == [
                "TWILIO_ACCOUNT_SID": Harness.accountSID, "TWILIO_AUTH_TOKEN": Harness.authToken,
                "TWILIO_REGION": "ie1", "TWILIO_EDGE": "dublin", "TWVAULT_PROFILE": "envp", "TWVAULT_VARS": "",
            ])
    }

    @Test func exportedDotenvPipesBackIntoAdd() async throws {
        let h = try Harness()
        try h.installFixtureVault(unlocked: true)
        for format in ["dotenv", "sh"] {
            let exported = await h.call(["export", "p", "--format", format])
            #expect(exported.status == 0)
            let added = await h.call(["add", "copy-\(format)", "--stdin"], stdin: exported.stdout)
            #expect(added.status == 0, "\(format): \(added.stderr)")
            let copy = await h.call(["export", "copy-\(format)", "--format", "json"])
            var object = try JSONSerialization.jsonObject(with: copy.stdoutData) as? [String: String]
            #expect(object?.removeValue(forKey: "TWVAULT_PROFILE") == "copy-\(format)")
            #expect(
                object == [
                    "TWILIO_ACCOUNT_SID": Harness.accountSID, "TWILIO_AUTH_TOKEN": Harness.authToken,
                    "TWILIO_API_KEY": Harness.apiKeySID, "TWILIO_API_SECRET": Harness.apiSecret, "TWVAULT_VARS": "",
                ])
        }
    }

    @Test func theAuthTokenIsRequiredWhenItIsTheOnlyCredential() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let console = TestConsole(terminal: [.standardInput], secrets: ["", "typed-token"])
        let result = await home.run(["add", "only-sid", "--account-sid", TestHome.accountSID], console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(console.prompts == ["Auth token: ", "Auth token: "], "an empty answer is asked again, not offered")
        #expect(try home.storedProfile("only-sid").authToken == "typed-token")
    }

    @Test func theAuthTokenMayBeSkippedWhenAnotherCredentialComes() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let console = TestConsole(terminal: [.standardInput], secrets: ["", "typed-key-secret"])
        let result = await home.run(
            ["add", "key", "--account-sid", TestHome.accountSID, "--api-key", TestHome.apiKeySID], console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(console.prompts == ["Auth token (Enter to skip): ", "API key secret: "])
        let record = try home.storedProfile("key")
        #expect(record.authToken == nil && record.apiKeySecret == "typed-key-secret")
    }

    @Test func anExistingProfileIsRefusedBeforeThePassphraseOrAnySecret() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(terminal: [.standardInput], secrets: [TestHome.passphrase, "never-asked"])
        let result = await home.run(["add", "p", "--account-sid", TestHome.accountSID], console: console)
        #expect(result.exit == .cannotCreate)
        #expect(console.prompts.isEmpty)
        #expect(result.stderr.contains("`twvault update p`") && !result.stderr.contains("--force"))
    }

    @Test func secretsAreAskedAfterAMistypedPassphraseIsCorrected() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(
            terminal: [.standardInput], secrets: ["mistyped", TestHome.passphrase, "typed-token"])
        let result = await home.run(["add", "typed", "--account-sid", TestHome.accountSID], console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        let prompt = "Passphrase for ~/vault/vault.db: "
        #expect(console.prompts == [prompt, prompt, "Auth token: "])
        #expect(result.stderr.contains("wrong passphrase, try again"))
        #expect(!result.stderr.contains("typed-token") && !result.stderr.contains("mistyped"))
    }

    @Test func aNewVaultTakesItsPassphraseBeforeTheSecrets() async throws {
        let home = try TestHome()
        let console = TestConsole(
            terminal: [.standardInput], secrets: ["new passphrase", "new passphrase", "typed-token"])
        let result = await home.run(
            ["add", "first", "--account-sid", TestHome.accountSID, "--kdf", "interactive"], console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(console.prompts == ["New passphrase: ", "Repeat the new passphrase: ", "Auth token: "])
    }

    @Test func anEmptyRequiredSecretCreatesNoVault() async throws {
        let home = try TestHome()
        let console = TestConsole(
            terminal: [.standardInput], secrets: ["new passphrase", "new passphrase", "", "", ""])
        let result = await home.run(
            ["add", "first", "--account-sid", TestHome.accountSID, "--kdf", "interactive"], console: console)
        #expect(result.exit == .usage)
        #expect(TestHome.read(home.vaultPath) == nil)
    }

    @Test func forceOnATerminalListsWhatIsLostAndDecliningChangesNothing() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let before = try home.storedProfile("p")
        let console = TestConsole(terminal: [.standardInput], secrets: ["never-asked"], answers: [false])
        let result = await home.run(
            ["add", "p", "--force", "--account-sid", TestHome.accountSID], console: console)
        #expect(result.exit == .failure)
        #expect(result.stderr.hasPrefix("twvault: ") && result.stderr.split(separator: "\n").count == 1)
        #expect(console.prompts.count == 1, "declined before any secret is asked")
        let question = try #require(console.prompts.first)
        for name in ["account SID", "auth token", "API key", "API key secret"] {
            #expect(question.contains(name), "\(name)")
        }
        for secret in [TestHome.authToken, TestHome.apiSecret, TestHome.accountSID, TestHome.apiKeySID] {
            #expect(!question.contains(secret))
        }
        #expect(try home.storedProfile("p") == before)
    }

    @Test func forceOnATerminalReplacesOnceConfirmed() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let console = TestConsole(terminal: [.standardInput], secrets: ["replacement-token"], answers: [true])
        let result = await home.run(
            ["add", "p", "--force", "--account-sid", TestHome.accountSID], console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        let record = try home.storedProfile("p")
        #expect(record.authToken == "replacement-token" && record.apiKeySID == nil)
    }

    @Test func forceWithoutATerminalReplacesWithoutAsking() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        let console = TestConsole(stdin: "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=piped\n")
        let result = await home.run(["add", "p", "--force", "--stdin"], console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(console.prompts.isEmpty)
        let record = try home.storedProfile("p")
        #expect(record.authToken == "piped" && record.apiKeySID == nil)
    }
}
