import Foundation
import Testing
import TwilioStandIn

/// Inputs that broke a fuzz harness's property (Fuzz/README.md), replayed in process.
@Suite struct FuzzRegressionTests {
    static let secret = "client-secret-for-fuzz-regressions-5e2a"

    /// Fuzz/corpus/token-response/echoed-secret-combining-mark.json: a server echoes the client
    /// secret followed by a combining mark. Redaction matched whole characters, the mark made
    /// the secret's last character another one, and the secret's bytes reached stderr.
    @Test func echoedSecretFollowedByACombiningMarkIsRedacted() async throws {
        try await withStandIn(StandInConfiguration(clients: [StandInClient(id: Harness.clientID, secret: Self.secret)]))
        {
            standIn in
            let h = try Harness()
            h.environment["TWVAULT_TOKEN_URL"] = standIn.baseURL + "/v2/token"
            try h.installFixtureVault(unlocked: true)
            let added = await h.call(
                ["add", "cc", "--stdin"],
                stdin: "TWILIO_CLIENT_ID=\(Harness.clientID)\nTWILIO_CLIENT_SECRET=\(Self.secret)\n")
            #expect(added.status == 0, "\(added.stderr)")
            for echo in ["\(Self.secret)\u{301}", "\(Self.secret)\u{200D}x", "x\(Self.secret)\u{20DD}"] {
                let body = #"{"code":20003,"message":"bad client_secret=\#(echo)","status":401}"#
                standIn.inject(
                    Fault(.respond(status: 401, headers: [], body: body), target: .path("/v2/token"), count: 1))
                let result = await h.call(["token", "cc"])
                #expect(result.status == 69, "\(result.stderr)")
                // Bytes, not characters: the mark also joins "]" of "[redacted]" into another character.
                #expect(
                    !Self.containsBytes(result.stderr, Self.secret), "the secret's bytes are in: \(result.stderr)")
                #expect(Self.containsBytes(result.stderr, "[redacted]"), "\(result.stderr)")
            }
        }
    }

    static func containsBytes(_ text: String, _ part: String) -> Bool {
        let haystack = Array(text.utf8)
        let needle = Array(part.utf8)
        return haystack.indices.contains { start in
            start + needle.count <= haystack.count && haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }
}
