import Foundation
import Testing

/// End-to-end smoke test of the profile commands: the built binary, a new vault, secrets on
/// stdin, output parsed through a real shell. Everything else about each command runs in
/// process: Commands/.
@Suite struct CommandTests {
    static let managed = [
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_CLIENT_ID",
        "TWILIO_CLIENT_SECRET", "TWILIO_ACCESS_TOKEN", "TWILIO_REGION", "TWILIO_EDGE", "TWVAULT_PROFILE",
        "TWILIO_REFRESH_TOKEN",
    ]

    @Test func addListShowExportRoundTrip() throws {
        let h = try Harness()
        try h.makeVault(profile: "acme-prod")
        // Names need no passphrase.
        var result = try h.run(["list"])
        #expect(result.status == 0)
        #expect(result.stdout == "acme-prod\n")

        result = try h.run(["export", "acme-prod"], passphrase: true)
        #expect(result.status == 0, "\(result.stderr)")
        let values = try h.evalInBash(result.stdout, names: Self.managed)
        #expect(values["TWILIO_ACCOUNT_SID"] == Harness.accountSID)
        #expect(values["TWILIO_AUTH_TOKEN"] == Harness.authToken)
        #expect(values["TWILIO_API_KEY"] == Harness.apiKeySID)
        #expect(values["TWILIO_API_SECRET"] == Harness.apiSecret)
        #expect(values["TWVAULT_PROFILE"] == "acme-prod")
        #expect(values["TWILIO_CLIENT_ID"] == .some(nil))
        #expect(result.stdout.contains("unset TWILIO_CLIENT_ID"))
        #expect(result.stdout.contains("unset TWILIO_REGION"))

        result = try h.run(["show", "acme-prod", "--json"], passphrase: true)
        #expect(result.status == 0)
        let show = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
        #expect(show?["account_sid"] as? String == Harness.accountSID)
        #expect((show?["secrets"] as? [String: Bool])?["auth_token"] == true)
        #expect((show?["secrets"] as? [String: Bool])?["client_secret"] == false)
        #expect(!result.stdout.contains(Harness.authToken) && !result.stdout.contains(Harness.apiSecret))

        result = try h.run(["show", "acme-prod"], passphrase: true)
        #expect(result.stdout.contains("auth token       present"))
        #expect(!result.stdout.contains(Harness.authToken))

        result = try h.run(["list", "--details", "--json"], passphrase: true)
        let rows = try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]]
        #expect(rows?.count == 1)
        #expect(rows?.first?["name"] as? String == "acme-prod")
        #expect((rows?.first?["credentials"] as? [String]) == ["auth-token", "api-key"])
        #expect((rows?.first?["credential_age_seconds"] as? [String: Int])?.keys.sorted() == ["api_key", "auth_token"])

        result = try h.run(["list", "--json"])
        #expect(
            (try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: String]]) == [
                ["name": "acme-prod"]
            ])
    }
}
