import Foundation
import Testing
import TwVaultTestSupport
import Vault
import VaultOperations

#if canImport(Glibc)
    import Glibc
#endif

/// `import twilio-cli`, in process, on a config.json as twilio-cli writes it.
@Suite struct ImportTwilioCLICommandTests {
    static let defaultSID = "AC11111111111111111111111111111111"
    static let defaultKey = "SK11111111111111111111111111111111"
    static let defaultSecret = "cli-secret-default-7d1e"
    static let euSID = "AC22222222222222222222222222222222"
    static let euKey = "SK22222222222222222222222222222222"
    static let euSecret = "cli-secret-eu-4b9a"
    static let pKey = "SK33333333333333333333333333333333"
    static let pSecret = "cli-secret-p-0c3f"
    static let otherSecret = "cli-secret-other-55aa"

    /// Two importable profiles (one with region and edge), `p` (which the fixture vault
    /// holds), three that cannot be imported, a legacy project, and members twilio-cli keeps.
    static let config = """
        {"profiles":{\
        "default":{"accountSid":"\(defaultSID)","apiKey":"\(defaultKey)","apiSecret":"\(defaultSecret)"},\
        "eu":{"accountSid":"\(euSID)","apiKey":"\(euKey)","apiSecret":"\(euSecret)","region":"ie1","edge":"dublin"},\
        "p":{"accountSid":"\(TestHome.accountSID)","apiKey":"\(pKey)","apiSecret":"\(pSecret)"},\
        "bad name":{"accountSid":"\(defaultSID)","apiKey":"\(defaultKey)","apiSecret":"\(otherSecret)"},\
        "keychain":{"accountSid":"\(defaultSID)"},\
        "badsid":{"accountSid":"AC123","apiKey":"\(defaultKey)","apiSecret":"\(otherSecret)"}},\
        "activeProfile":"default",\
        "projects":[{"id":"legacy","accountSid":"\(euSID)","region":"us1"}],\
        "email":{},"prompts":{"tokenWarning":{"acked":true}},"requireProfileInput":false}
        """

    static let secrets = [defaultSecret, euSecret, pSecret, otherSecret, TestHome.authToken, TestHome.apiSecret]

    /// A home with the fixture vault (unlocked) and config.json in ~/.twilio-cli, mode 0644 as
    /// twilio-cli leaves it.
    func home(config: String = Self.config, unlocked: Bool = true) throws -> TestHome {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: unlocked)
        mkdir(home.root + "/.twilio-cli", 0o755)
        try TestHome.write(config, to: configPath(home), mode: 0o644)
        return home
    }

    func configPath(_ home: TestHome) -> String { home.root + "/.twilio-cli/config.json" }

    func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    func expectNoSecrets(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in Self.secrets {
            #expect(
                !result.stdout.contains(secret) && !result.stderr.contains(secret), "a secret was printed",
                sourceLocation: sourceLocation)
        }
    }

    func storedConfig(_ home: TestHome) throws -> [String: Any] {
        let bytes = try #require(TestHome.read(configPath(home)))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func eachProfileBecomesOneAndEachEntryGetsOneLine() async throws {
        let home = try home()
        let before = try home.storedProfile("p")
        let result = await home.run(["import", "twilio-cli"])
        #expect(result.exit == .success, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 7, "\(lines)")
        #expect(
            lines.contains {
                $0.hasPrefix(
                    "imported twilio-cli profile 'default' as 'default' (api-key; age unknown; twilio-cli's active profile)"
                )
            })
        #expect(
            lines.contains("imported twilio-cli profile 'eu' as 'eu' (api-key, region ie1, edge dublin; age unknown)"))
        #expect(lines.contains("skipped twilio-cli profile 'p': profile 'p' exists (--force replaces it)"))
        #expect(
            lines.contains {
                $0.hasPrefix("skipped twilio-cli profile 'bad name': 'bad name' is not a valid profile name")
            })
        #expect(
            lines.contains { $0.hasPrefix("skipped twilio-cli profile 'keychain': it has no apiKey and apiSecret") })
        #expect(lines.contains { $0.hasPrefix("skipped twilio-cli profile 'badsid': invalid account SID") })
        #expect(
            lines.contains { $0.hasPrefix("skipped twilio-cli project 'legacy': a legacy project keeps no secret") })
        // The file was readable by others: one warning, and the import went on.
        #expect(result.stderr.contains("config.json is readable by other users (mode 644)"))
        expectNoSecrets(result)

        #expect(await home.run(["list"]).stdout == "default\neu\np\n")
        let imported = try home.storedProfile("default")
        #expect(imported.accountSID == Self.defaultSID && imported.apiKeySID == Self.defaultKey)
        #expect(imported.apiKeySecret == Self.defaultSecret && imported.authToken == nil)
        #expect(imported.credentialTimes.isEmpty, "an imported key's age is unknown, not the import time")
        let eu = try home.storedProfile("eu")
        #expect(eu.region == "ie1" && eu.edge == "dublin" && eu.apiKeySecret == Self.euSecret)
        #expect(try home.storedProfile("p") == before)
        // Without --scrub the file is left as it was.
        #expect(TestHome.read(configPath(home)) == Array(Self.config.utf8))
        #expect(mode(configPath(home)) == 0o644)
    }

    @Test func thePrefixNamesTheProfilesAndTwilioConfigDirFindsTheFile() async throws {
        let home = try home()
        let directory = home.root + "/elsewhere"
        mkdir(directory, 0o700)
        try TestHome.write(Self.config, to: directory + "/config.json")
        unlink(configPath(home))
        let result = await home.run(
            ["import", "twilio-cli", "--prefix", "cli-"], env: ["TWILIO_CONFIG_DIR": directory])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains("imported twilio-cli profile 'p' as 'cli-p'"))
        #expect(
            result.stdout.contains("skipped twilio-cli profile 'bad name': 'cli-bad name' is not a valid profile name"))
        #expect(!result.stderr.contains("readable by other users"))
        #expect(await home.run(["list"]).stdout == "cli-default\ncli-eu\ncli-p\np\n")
        #expect(try home.storedProfile("cli-p").apiKeySecret == Self.pSecret)
    }

    @Test func aDryRunWritesNothing() async throws {
        let home = try home(unlocked: false)
        let vaultBefore = TestHome.read(home.vaultPath)
        // No passphrase source: a dry run needs none.
        let result = await home.run(["import", "twilio-cli", "--dry-run", "--scrub", "--force"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(
            result.stdout.contains(
                "would import twilio-cli profile 'default' as 'default' (api-key; twilio-cli's active profile)"))
        #expect(result.stdout.contains("would replace 'p' with twilio-cli profile 'p' (api-key)"))
        #expect(result.stderr.contains("dry run: nothing was written"))
        #expect(TestHome.read(home.vaultPath) == vaultBefore)
        #expect(TestHome.read(configPath(home)) == Array(Self.config.utf8))
        #expect(await home.run(["list"]).stdout == "p\n")

        // Nor does it create a vault.
        let empty = try TestHome()
        mkdir(empty.root + "/.twilio-cli", 0o700)
        try TestHome.write(Self.config, to: empty.root + "/.twilio-cli/config.json")
        let fresh = await empty.run(["import", "twilio-cli", "--dry-run"])
        #expect(fresh.exit == .success, "\(fresh.stderr)")
        #expect(fresh.stdout.contains("would import twilio-cli profile 'p' as 'p'"))
        #expect(TestHome.read(empty.vaultPath) == nil)
    }

    @Test func scrubKeepsEverythingButTheImportedSecrets() async throws {
        let home = try home()
        let result = await home.run(["import", "twilio-cli", "--scrub"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains("removed the API key and secret of 2 profile(s)"))
        #expect(result.stdout.contains("twvault exec default -- twilio"))
        expectNoSecrets(result)
        #expect(mode(configPath(home)) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.root + "/.twilio-cli") == ["config.json"])

        let config = try storedConfig(home)
        let profiles = try #require(config["profiles"] as? [String: [String: Any]])
        #expect(Set(profiles.keys) == ["default", "eu", "p", "bad name", "keychain", "badsid"])
        // The imported ones keep everything but their secrets, so twilio-cli still lists them.
        #expect(profiles["default"]?["accountSid"] as? String == Self.defaultSID)
        #expect(profiles["default"]?["apiKey"] == nil && profiles["default"]?["apiSecret"] == nil)
        #expect(profiles["eu"]?["region"] as? String == "ie1" && profiles["eu"]?["apiSecret"] == nil)
        // What was not imported keeps its secret; the rest of the file stays.
        #expect(profiles["p"]?["apiSecret"] as? String == Self.pSecret)
        #expect(profiles["bad name"]?["apiSecret"] as? String == Self.otherSecret)
        #expect(config["activeProfile"] as? String == "default")
        #expect((config["projects"] as? [[String: Any]])?.first?["id"] as? String == "legacy")
        #expect(((config["prompts"] as? [String: Any])?["tokenWarning"] as? [String: Any])?["acked"] as? Bool == true)
        #expect(config["requireProfileInput"] as? Bool == false)
        // The vault holds the secrets that left the file.
        #expect(try home.storedProfile("default").apiKeySecret == Self.defaultSecret)
        #expect(try home.storedProfile("eu").apiKeySecret == Self.euSecret)

        // Run again with --force: `p` is replaced, the others already hold their credentials,
        // and now `p`'s secret leaves the file too.
        let again = await home.run(["import", "twilio-cli", "--scrub", "--force"])
        #expect(again.exit == .success, "\(again.stderr)")
        #expect(again.stdout.contains("replaced 'p' with twilio-cli profile 'p' (api-key; age unknown)"))
        #expect(try home.storedProfile("p").apiKeySecret == Self.pSecret)
        let scrubbed = try #require(try storedConfig(home)["profiles"] as? [String: [String: Any]])
        #expect(scrubbed["p"]?["apiSecret"] == nil && scrubbed["bad name"]?["apiSecret"] != nil)
    }

    @Test func aProfileHoldingTheSameCredentialsCountsAsImportedForScrub() async throws {
        let home = try home()
        #expect(await home.run(["import", "twilio-cli"]).exit == .success)
        let result = await home.run(["import", "twilio-cli", "--scrub"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(
            result.stdout.contains(
                "skipped twilio-cli profile 'default': profile 'default' already holds its credentials"))
        #expect(result.stdout.contains("removed the API key and secret of 2 profile(s)"))
        let profiles = try #require(try storedConfig(home)["profiles"] as? [String: [String: Any]])
        #expect(profiles["default"]?["apiSecret"] == nil && profiles["p"]?["apiSecret"] as? String == Self.pSecret)
    }

    @Test(arguments: [
        "{\"profiles\": {\"default\": ", "[]", "{\"profiles\": [\"default\"]}", "{\"projects\": {}}", "",
    ])
    func aMalformedFileIsOneLineAndChangesNothing(_ text: String) async throws {
        let home = try home(config: text)
        let before = TestHome.read(home.vaultPath)
        let result = await home.run(["import", "twilio-cli", "--scrub"])
        #expect(result.exit == .dataError)
        #expect(result.stderr.hasPrefix("twvault: ") && result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdout.isEmpty)
        #expect(TestHome.read(home.vaultPath) == before)
        #expect(TestHome.read(configPath(home)) == Array(text.utf8))
    }

    @Test func aMissingFileIsNoInput() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let result = await home.run(["import", "twilio-cli"])
        #expect(result.exit == .noInput)
        #expect(result.stderr.contains("--config"))
    }

    @Test func globalOptionsBeforeTheGroupReachTheSubcommand() async throws {
        let home = try home()
        let other = home.root + "/other/vault.db"
        let result = await home.run(
            ["--vault", other, "import", "twilio-cli", "--config", configPath(home)],
            env: ["TWVAULT_NEW_PASSPHRASE": "a new passphrase", "TWVAULT_SESSION": ""])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("created vault \(other)"))
        #expect(await home.run(["list", "--vault", other]).stdout == "default\neu\np\n")
    }
}
