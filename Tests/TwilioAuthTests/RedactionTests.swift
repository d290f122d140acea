import Foundation
import Testing
import TwilioStandIn

@testable import TwilioAuth

/// Secrets echoed back cut short or form-encoded are still redacted (DESIGN §4, Endpoints).
@Suite struct RedactionTests {
    static let secret = "cs-Secret-Value-4f7a9c"
    /// Every character class the form encoding treats differently: space, `+`, `&`, `=`,
    /// `%`, `/`, non-ASCII.
    static let awkwardSecret = "pa ss+wörd&x=1%2/€-tail-0123"

    static func redact(_ text: String, _ secrets: [String] = [secret]) -> String {
        TextSanitizer.redacting(secrets, in: text)
    }

    @Test(arguments: 8...22)
    func everyPrefixOfEightOrMoreIsRedacted(length: Int) {
        let prefix = String(Self.secret.prefix(length))
        #expect(Self.redact("client_secret=\(prefix)… was refused") == "client_secret=[redacted]… was refused")
    }

    @Test func shorterPrefixesAndUnrelatedTextAreKept() {
        let seven = String(Self.secret.prefix(7))
        #expect(Self.redact("client_secret=\(seven)") == "client_secret=\(seven)")
        #expect(Self.redact("cs-Secr3t is a fine name") == "cs-Secr3t is a fine name")
        #expect(Self.redact("") == "")
        // A secret of 4 to 7 characters is redacted only whole.
        #expect(Self.redact("abcdefg and abcde", ["abcdefg"]) == "[redacted] and abcde")
        // Shorter secrets would redact ordinary words.
        #expect(Self.redact("abc", ["abc"]) == "abc")
    }

    @Test func aSecretSeveralTimesAndTwoSecretsAreAllRedacted() {
        let other = "0123456789abcdef0123456789abcdef"
        let text = "\(Self.secret)\(Self.secret) \(other.prefix(9)) \(Self.secret.prefix(12))"
        #expect(Self.redact(text, [Self.secret, other]) == "[redacted][redacted] [redacted] [redacted]")
    }

    @Test(arguments: [
        // As twvault sends it (%20 for a space, upper-case hex).
        "pa%20ss%2Bw%C3%B6rd%26x%3D1%252%2F%E2%82%AC-tail-0123",
        // HTML form style: + for a space.
        "pa+ss%2Bw%C3%B6rd%26x%3D1%252%2F%E2%82%AC-tail-0123",
        // Lower-case hex.
        "pa%20ss%2bw%c3%b6rd%26x%3d1%252%2f%e2%82%ac-tail-0123",
        // Everything encoded, even unreserved characters.
        "%70%61%20%73%73%2B%77%C3%B6%72%64%26%78%3D%31%25%32%2F%E2%82%AC%2D%74%61%69%6C%2D%30%31%32%33",
        // Partly decoded by a proxy.
        "pa ss+w%C3%B6rd&x=1%252/€-tail-0123",
        // Cut after eight characters of the secret.
        "pa%20ss%2Bw%C3%B6r",
    ])
    func percentEncodedEchoesAreRedacted(echo: String) {
        let redacted = Self.redact("invalid value \"\(echo)\" for client_secret", [Self.awkwardSecret])
        #expect(redacted == "invalid value \"[redacted]\" for client_secret")
    }

    @Test func anEncodedPrefixShorterThanEightCharactersIsKept() {
        // Seven characters of the secret, encoded: nothing of eight or more matches.
        let echo = "pa%20ss%2Bw"
        #expect(Self.redact(echo, [Self.awkwardSecret]) == echo)
    }

    @Test func plainPercentInASecretIsMatchedEncodedOrNot() {
        let secret = "100%sure-secret"
        #expect(Self.redact("x 100%25sure-secret y", [secret]) == "x [redacted] y")
        #expect(Self.redact("x 100%sure-secret y", [secret]) == "x [redacted] y")
        #expect(Self.redact("x 100%25sure y", [secret]) == "x [redacted] y")
    }

    @Test func textBeyondTheScanLimitIsDropped() {
        let filler = String(repeating: "x", count: TextSanitizer.maximumScannedScalars)
        let redacted = Self.redact(filler + Self.secret)
        #expect(redacted == filler + "…")
    }

    /// A server that quotes the request body it received, cut short, in its error text: the
    /// error twvault shows contains nothing of the secret.
    @Test func aServerEchoingTheFormBodyCutShortIsRedacted() async throws {
        try await withStandIn { standIn, transport in
            let token = endpoint(standIn, transport)
            // The first answer is the stand-in's own refusal; it shows what was sent on the wire.
            _ = await #expect(throws: TwilioError.self) {
                try await token.clientCredentials(clientID: Fixture.clientID, clientSecret: Self.awkwardSecret)
            }
            let sent = try #require(standIn.tokenRequests().last).bodyText
            let encoded = FormEncoding.percentEncode(Self.awkwardSecret)
            #expect(sent.contains("client_secret=" + encoded))
            for cut in [encoded.count, 40, 20] {
                let start = try #require(sent.range(of: encoded)).lowerBound
                let echoed = String(sent[..<start]) + encoded.prefix(cut)
                respondOnce(standIn, status: 400, #"{"code":20001,"message":"Invalid body: \#(echoed)"}"#)
                let error = await #expect(throws: TwilioError.self) {
                    try await token.clientCredentials(clientID: Fixture.clientID, clientSecret: Self.awkwardSecret)
                }
                let shown = try #require(error).description
                #expect(shown.contains("client_secret=[redacted]"), "\(shown)")
                #expect(!shown.contains("pa%20ss"))
                #expect(!shown.contains("pa ss"))
            }
        }
    }

    /// A REST endpoint that quotes the request's Authorization header: neither the token nor
    /// the base64 that carries it is shown.
    @Test func anEchoedAuthorizationHeaderIsRedacted() async throws {
        try await withStandIn { standIn, transport in
            let pair = Data("\(Fixture.accountSID):\(Fixture.authToken)".utf8).base64EncodedString()
            standIn.inject(
                Fault(
                    .respond(
                        status: 401, headers: [HeaderField("Content-Type", "application/json")],
                        body: #"{"code":20003,"message":"Authorization: Basic \#(pair) (token \#(Fixture.authToken))"}"#
                    ),
                    target: .path("/2010-04-01/Accounts/\(Fixture.accountSID).json")))
            let error = await #expect(throws: TwilioError.self) { try await api(standIn, transport).fetchAccount() }
            let shown = try #require(error).description
            #expect(shown.contains("Authorization: Basic [redacted] (token [redacted])"), "\(shown)")
            #expect(!shown.contains(pair.prefix(16)))
            #expect(!shown.contains(Fixture.authToken.prefix(8)))
        }
    }
}
