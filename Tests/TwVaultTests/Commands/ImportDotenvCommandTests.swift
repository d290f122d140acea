import Foundation
import Testing
import TwVaultTestSupport
import Vault
import VaultOperations

/// `import dotenv`, in process: a project's .env file becomes a profile, its TWILIO_* names
/// credentials and the rest extra variables; anything it cannot take is refused with the line.
@Suite struct ImportDotenvCommandTests {
    static let file = """
        # Project settings
        export TWILIO_ACCOUNT_SID=\(TestHome.accountSID)
        TWILIO_AUTH_TOKEN="token-\\"quoted\\"-\\\\-value"  # from the console
        TWILIO_API_KEY='\(TestHome.apiKeySID)'
        TWILIO_API_SECRET=secret value with spaces # comment
        TWILIO_REGION=ie1
        TWILIO_PHONE_NUMBER=+15551234567
        APP_GREETING='it\\'s $HOME, `not` run'
        FEATURE_FLAG=
        TWVAULT_PROFILE=ignored
        TWILIO_ACCESS_TOKEN=ignored.access.token

        """

    static func write(_ text: String, in home: TestHome, name: String = ".env") throws -> String {
        let path = home.root + "/" + name
        try TestHome.write(text, to: path)
        return path
    }

    static func storedVariables(_ home: TestHome, _ name: String) throws -> [String: String]? {
        try home.withVault { try $0.record(VariablesRecord.self, profile: name, kind: .variables)?.variables }
    }

    @Test func credentialsAndExtraVariablesAreStored() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let path = try Self.write(Self.file, in: home)
        let result = await home.run(["import", "dotenv", path, "--profile", "dev"])
        #expect(result.exit == .success, "\(result.stderr)")
        let record = try home.storedProfile("dev")
        #expect(record.accountSID == TestHome.accountSID)
        #expect(record.authToken == "token-\"quoted\"-\\-value")
        #expect(record.apiKeySID == TestHome.apiKeySID)
        #expect(record.apiKeySecret == "secret value with spaces")
        #expect(record.region == "ie1")
        // Nothing tells when the file's credentials were made: their ages are unknown.
        #expect(record.credentialTimes.isEmpty)
        #expect(await home.run(["show", "dev"]).stdout.contains("api_key unknown"))
        #expect(
            try Self.storedVariables(home, "dev") == [
                "TWILIO_PHONE_NUMBER": "+15551234567", "APP_GREETING": "it's $HOME, `not` run",
            ])
        #expect(result.stderr.contains("skipped empty values: FEATURE_FLAG"))
        #expect(result.stderr.contains("stored profile 'dev'"))
        #expect(!result.stderr.contains("token-") && !result.stderr.contains("secret value"))
        let exported = await home.run(["export", "dev", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(exported.stdout.utf8)) as? [String: String]
        #expect(object?["APP_GREETING"] == "it's $HOME, `not` run")
        #expect(object?["TWVAULT_PROFILE"] == "dev")
        #expect(object?["TWILIO_ACCESS_TOKEN"] == nil)
    }

    @Test func theVaultIsCreatedWhenMissing() async throws {
        let home = try TestHome()
        let path = try Self.write(Self.file, in: home)
        let result = await home.run(
            ["import", "dotenv", path, "--profile", "dev", "--kdf", "interactive"], passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("created vault"))
        #expect(try home.storedProfile("dev").region == "ie1")
    }

    @Test func anExistingProfileIsRefusedUnlessForce() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let path = try Self.write(Self.file, in: home)
        let before = TestHome.read(home.vaultPath)
        let refused = await home.run(["import", "dotenv", path, "--profile", "p"])
        #expect(refused.exit == .cannotCreate)
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(TestHome.read(home.vaultPath) == before)
        let forced = await home.run(["import", "dotenv", path, "--profile", "p", "--force"])
        #expect(forced.exit == .success, "\(forced.stderr)")
        #expect(try home.storedProfile("p").apiKeySecret == "secret value with spaces")
        #expect(try Self.storedVariables(home, "p")?["TWILIO_PHONE_NUMBER"] == "+15551234567")
    }

    @Test(
        "a file it cannot take is refused with its line, nothing stored, no value shown",
        arguments: [
            ("A=1\nB=\"xyzzy-value\n", 65, "line 2: unterminated quote"),
            ("A=1\n=xyzzy-value\n", 65, "line 2: expected KEY=value"),
            ("A='xyzzy-value' trailing\n", 65, "line 1: unexpected text"),
            ("A=1\nxyzzy-value\n", 65, "line 2: the name has no value"),
            ("A=1\nB=xyzzy${HOME}value\n", 65, "line 2: B uses ${…}"),
            (
                "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=t\nLD_PRELOAD=/xyzzy.so\n", 65,
                "line 3: LD_PRELOAD"
            ),
            (
                "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=t\nlower=xyzzy\n", 65,
                "line 3: the name is not"
            ),
            (
                "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=t\nB=\"xyzzy\\nvalue\"\n", 65,
                "line 3: B must not contain"
            ),
            ("TWILIO_ACCOUNT_SID=ACxyzzy\nTWILIO_AUTH_TOKEN=t\n", 65, "invalid account SID"),
            ("APP_ONLY=xyzzy\n", 64, "no usable credentials"),
            ("A=1\nB=xy\u{0}zzy\n", 65, "line 2: NUL byte"),
        ])
    func refused(text: String, status: Int32, message: String) async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let path = try Self.write(text, in: home)
        let before = TestHome.read(home.vaultPath)
        let result = await home.run(["import", "dotenv", path, "--profile", "dev"])
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!result.stderr.contains("xyzzy"))
        #expect(TestHome.read(home.vaultPath) == before)
    }

    @Test func aMissingFileOrAnInvalidProfileName() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let missing = await home.run(["import", "dotenv", home.root + "/nope.env", "--profile", "dev"])
        #expect(missing.exit == .noInput)
        #expect(missing.stderr.contains("nope.env"))
        let path = try Self.write(Self.file, in: home)
        #expect(await home.run(["import", "dotenv", path, "--profile", "bad name"]).exit == .usage)
        #expect(await home.run(["import", "dotenv", path]).exit == .usage)
        #expect(await home.run(["import", "dotenv", home.root, "--profile", "dev"]).exit == .usage)
    }

    @Test func theLastOfTwoBindingsWinsAsInPythonDotenv() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let path = try Self.write(
            "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=first\nAPP=1\nTWILIO_AUTH_TOKEN=second\nAPP=2\n",
            in: home)
        let result = await home.run(["import", "dotenv", path, "--profile", "dev"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(try home.storedProfile("dev").authToken == "second")
        #expect(try Self.storedVariables(home, "dev") == ["APP": "2"])
    }
}
