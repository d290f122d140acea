import Foundation
import Testing
import TwVaultTestSupport
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
            ("TWILIO_PHONE_NUMBER=+15551234567\n", VaultOperations.ExitStatus.dataError),
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
            ["add", "p", "--stdin"], "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=x\nTWILIO_BOGUS=1\n",
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
                "TWILIO_REGION": "ie1", "TWILIO_EDGE": "dublin", "TWVAULT_PROFILE": "envp",
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
                    "TWILIO_API_KEY": Harness.apiKeySID, "TWILIO_API_SECRET": Harness.apiSecret,
                ])
        }
    }
}
