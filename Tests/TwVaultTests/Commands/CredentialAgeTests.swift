import Foundation
import Testing
import TwVaultTestSupport
import TwilioStandIn
import Vault
import VaultOperations

#if canImport(Glibc)
    import Glibc
#endif

/// Credential ages: an imported credential's age is unknown (not the import time) until
/// `--check` asks Twilio when the key was created; vaults whose times are known keep them.
@Suite(.serialized) struct CredentialAgeTests {
    typealias CLI = ImportTwilioCLICommandTests
    static let defaultCreated: Int64 = 1_281_930_301 // Mon, 16 Aug 2010 03:45:01 +0000
    static let euCreated: Int64 = 1_600_000_000
    static let fixtureKeyCreated: Int64 = 1_650_000_000

    /// The config's accounts: `default` with a Main key, `eu` with a Standard key and no auth
    /// token in the profile, and the fixture's account (auth token and a Standard key).
    static var configuration: StandInConfiguration {
        StandInConfiguration(accounts: [
            StandInAccount(
                sid: CLI.defaultSID, authToken: "default-auth-token-not-in-the-profile",
                apiKeys: [
                    StandInAPIKey(
                        sid: CLI.defaultKey, secret: CLI.defaultSecret,
                        dateCreated: Date(timeIntervalSince1970: TimeInterval(defaultCreated)), isMain: true)
                ]),
            StandInAccount(
                sid: CLI.euSID, authToken: "eu-auth-token-not-in-the-profile",
                apiKeys: [
                    StandInAPIKey(
                        sid: CLI.euKey, secret: CLI.euSecret,
                        dateCreated: Date(timeIntervalSince1970: TimeInterval(euCreated)))
                ]),
            StandInAccount(
                sid: TestHome.accountSID, authToken: TestHome.authToken,
                apiKeys: [
                    StandInAPIKey(
                        sid: TestHome.apiKeySID, secret: TestHome.apiSecret,
                        dateCreated: Date(timeIntervalSince1970: TimeInterval(fixtureKeyCreated)))
                ]),
        ])
    }

    func home() throws -> TestHome {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        mkdir(home.root + "/.twilio-cli", 0o700)
        try TestHome.write(CLI.config, to: home.root + "/.twilio-cli/config.json")
        return home
    }

    func ages(_ home: TestHome, _ profile: String) async throws -> [String: Any] {
        let result = await home.run(["show", profile, "--json"])
        #expect(result.exit == .success, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(object?["credential_age_seconds"] as? [String: Any])
    }

    @Test func importedAgesAreUnknownAndKnownAgesStay() async throws {
        let home = try home()
        #expect(await home.run(["import", "twilio-cli"]).exit == .success)
        let now = Context.systemClock()

        let imported = try await ages(home, "default")
        #expect(imported.count == 1 && imported["api_key"] is NSNull)
        // The fixture vault's profile keeps the times it was stored with.
        let known = try await ages(home, "p")
        let apiKeyAge = try #require(known["api_key"] as? Int)
        #expect(abs(Int64(apiKeyAge) - (now - 1_700_000_000)) < 600)
        #expect(known["auth_token"] as? Int == apiKeyAge)

        let shown = await home.run(["show", "default"])
        #expect(shown.stdout.contains("credential age   api_key unknown"))
        let listed = await home.run(["list", "--details"])
        let rows = listed.stdout.split(separator: "\n")
        #expect(rows.contains { $0.hasPrefix("default ") && $0.contains("api_key unknown") })
        #expect(rows.contains { $0.hasPrefix("p ") && $0.contains("api_key \(Durations.describe(Int64(apiKeyAge)))") })
        let json = await home.run(["list", "--details", "--json"])
        #expect(json.stdout.contains("\"api_key\" : null") || json.stdout.contains("\"api_key\":null"))

        // Copying keeps the age unknown; it does not become the copy's time.
        #expect(await home.run(["copy", "default", "default-copy"]).exit == .success)
        #expect(try home.storedProfile("default-copy").credentialTimes.isEmpty)
    }

    @Test func updateCheckLearnsTheKeysCreationTime() async throws {
        try await withStandIn(Self.configuration) { standIn in
            let home = try home()
            home.environment["TWVAULT_API_URL"] = standIn.baseURL
            #expect(await home.run(["import", "twilio-cli"]).exit == .success)

            // A Main key asks about itself.
            let result = await home.run(["update", "default", "--check"], http: .live())
            #expect(result.exit == .success, "\(result.stderr)")
            #expect(result.stderr.contains("API key \(CLI.defaultKey) was created 2010-08-16T03:45:01Z"))
            #expect(try home.storedProfile("default").credentialTimes == ["api_key": Self.defaultCreated])
            let age = try #require(try await ages(home, "default")["api_key"] as? Int)
            #expect(abs(Int64(age) - (Context.systemClock() - Self.defaultCreated)) < 600)
            let asked = standIn.requests(to: "/2010-04-01/Accounts/\(CLI.defaultSID)/Keys/\(CLI.defaultKey).json")
            #expect(asked.count == 1)
            #expect(
                asked.first?.header("Authorization")
                    == "Basic " + Data("\(CLI.defaultKey):\(CLI.defaultSecret)".utf8).base64EncodedString())
            #expect(!result.stderr.contains(CLI.defaultSecret))

            // A Standard key may not, and the profile has no auth token: 69, the age stays unknown.
            let refused = await home.run(["update", "eu", "--check"], http: .live())
            #expect(refused.exit == .unavailable)
            // One error line besides the warning that names the stand-in as a non-Twilio endpoint.
            let errors = refused.stderr.split(separator: "\n").filter { !$0.hasPrefix("twvault: warning: ") }
            #expect(refused.stderr.contains("twvault: warning: sending credentials to "))
            #expect(errors.count == 1 && errors[0].contains("Standard API key"), "\(refused.stderr)")
            #expect(try home.storedProfile("eu").credentialTimes.isEmpty)

            // A Standard key with the auth token beside it: the token asks.
            let fallback = await home.run(["update", "p", "--check"], http: .live())
            #expect(fallback.exit == .success, "\(fallback.stderr)")
            #expect(try home.storedProfile("p").credentialTimes["api_key"] == Self.fixtureKeyCreated)
            #expect(try home.storedProfile("p").credentialTimes["auth_token"] == 1_700_000_000)
        }
    }

    /// DESIGN §10: a network wait longer than half a second shows one transient line on a
    /// terminal — here a REST call (the key's creation time), not only a token exchange.
    @Test func aSlowRequestOnATerminalShowsAWaitingLine() async throws {
        try await withStandIn(Self.configuration) { standIn in
            let home = try home()
            home.environment["TWVAULT_API_URL"] = standIn.baseURL
            #expect(await home.run(["import", "twilio-cli"]).exit == .success)
            // Far longer than the half second after which the line shows.
            standIn.inject(Fault(.delay(.seconds(3)), target: .step(.fetchKey)))
            let console = TestConsole(terminal: [.standardError])
            let result = await home.run(["update", "default", "--check"], console: console, http: .live())
            #expect(result.exit == .success, "\(result.stderr)")
            #expect(result.stderr.contains("waiting for 127.0.0.1…\r\u{1B}[K"), "\(result.stderr)")
            // Not on a terminal: nothing of it.
            standIn.inject(Fault(.delay(.seconds(3)), target: .step(.fetchKey)))
            let plain = await home.run(["update", "default", "--check"], http: .live())
            #expect(plain.exit == .success && !plain.stderr.contains("waiting for"), "\(plain.stderr)")
        }
    }

    @Test func importCheckKnowsWhatItCanAndSaysWhatItCannot() async throws {
        try await withStandIn(Self.configuration) { standIn in
            let home = try home()
            home.environment["TWVAULT_API_URL"] = standIn.baseURL
            let result = await home.run(["import", "twilio-cli", "--check"], http: .live())
            #expect(result.exit == .success, "\(result.stderr)")
            #expect(result.stdout.contains("as 'default' (api-key; API key created 2010-08-16T03:45:01Z;"))
            #expect(result.stdout.contains("as 'eu' (api-key, region ie1, edge dublin; age unknown: the check failed)"))
            #expect(result.stderr.contains("the age of 'eu' stays unknown"))
            #expect(try home.storedProfile("default").credentialTimes == ["api_key": Self.defaultCreated])
            #expect(try home.storedProfile("eu").credentialTimes.isEmpty)
            for secret in CLI.secrets { #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret)) }
        }
    }
}
