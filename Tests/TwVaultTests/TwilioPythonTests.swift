import Foundation
import Testing
import TwilioStandIn

/// The client's view: credentials imported from a twilio-cli config reach the real
/// twilio-python client (installed by scripts/install-deps in `.build/twilio-python`) through
/// `twvault exec`, and it makes authenticated calls with them against the stand-in.
@Suite struct TwilioPythonTests {
    static let accountSID = "AC44444444444444444444444444444444"
    static let apiKey = "SK44444444444444444444444444444444"
    static let apiSecret = "py-client-secret-6e0d"

    /// The virtual environment's python, found from this file up to the checkout.
    static let python: String? = {
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            let candidate = directory.appendingPathComponent(".build/twilio-python/bin/python").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// Builds the client the way Twilio documents for an API key, from the variables `exec`
    /// set, sends every request to the stand-in instead of *.twilio.com, and prints what it saw.
    /// No secret is printed; the stand-in's log shows which one the client sent.
    static let script = """
        import os, sys
        from twilio.rest import Client
        from twilio.http.http_client import TwilioHttpClient

        stand_in = sys.argv[1]

        class StandIn(TwilioHttpClient):
            def request(self, method, url, *args, **kwargs):
                host_end = url.index("/", len("https://"))
                return super().request(method, stand_in + url[host_end:], *args, **kwargs)

        env = os.environ
        client = Client(env["TWILIO_API_KEY"], env["TWILIO_API_SECRET"], env["TWILIO_ACCOUNT_SID"],
                        http_client=StandIn())
        account = client.api.v2010.accounts(client.account_sid).fetch()
        messages = client.messages.list(limit=1)
        print("account", account.sid, account.status)
        print("messages", len(messages))
        print("view", client.username, client.region, client.edge)
        """

    @Test func importedCredentialsWorkInTwilioPythonThroughExec() async throws {
        let python = try #require(Self.python, "run scripts/install-deps: it installs twilio-python")
        let configuration = StandInConfiguration(accounts: [
            StandInAccount(
                sid: Self.accountSID, authToken: "py-client-auth-token-0000",
                apiKeys: [StandInAPIKey(sid: Self.apiKey, secret: Self.apiSecret, friendlyName: "cli")])
        ])
        try await withStandIn(configuration) { standIn in
            let h = try Harness()
            try h.makeVault()
            let config = h.root.path + "/twilio-cli/config.json"
            try FileManager.default.createDirectory(
                atPath: h.root.path + "/twilio-cli", withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try h.write(
                """
                {"profiles": {"work": {"accountSid": "\(Self.accountSID)", "apiKey": "\(Self.apiKey)",
                  "apiSecret": "\(Self.apiSecret)", "region": "ie1", "edge": "dublin"}},
                 "activeProfile": "work"}
                """, to: config)
            let imported = try await h.runAsync(["import", "twilio-cli", "--config", config], passphrase: true)
            #expect(imported.status == 0, "\(imported.stderr)")

            let script = h.root.path + "/client.py"
            try h.write(Self.script, to: script)
            let result = try await h.runAsync(
                ["exec", "work", "--", python, script, standIn.baseURL], passphrase: true)
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("account \(Self.accountSID) active"), "\(result.stdout)")
            #expect(lines.contains("messages 0"), "\(result.stdout)")
            #expect(lines.contains("view \(Self.apiKey) ie1 dublin"), "\(result.stdout)")
            #expect(!result.stdout.contains(Self.apiSecret) && !result.stderr.contains(Self.apiSecret))

            // Both calls reached the stand-in authenticated with the imported key and secret.
            let expected = "Basic " + Data("\(Self.apiKey):\(Self.apiSecret)".utf8).base64EncodedString()
            let calls = standIn.requests().filter { $0.path.hasPrefix("/2010-04-01/Accounts/\(Self.accountSID)") }
            #expect(calls.count == 2)
            #expect(calls.allSatisfy { $0.header("Authorization") == expected })
        }
    }
}
