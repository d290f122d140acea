import Foundation
import Testing

@testable import TwilioAuth

@Suite struct PKCETests {
    @Test func rfc7636AppendixB() {
        let pkce = PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        #expect(pkce?.challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(PKCE.method == "S256")
    }

    @Test func generatedVerifierHasTheRightShape() {
        let first = PKCE()
        let second = PKCE()
        #expect(first.verifier.count == 43)
        #expect(first.verifier != second.verifier)
        #expect(PKCE(verifier: first.verifier) == first)
        #expect(first.challenge == PKCE.challenge(for: first.verifier))
    }

    @Test func verifierLengthAndAlphabetAreChecked() {
        #expect(PKCE(verifier: String(repeating: "a", count: 42)) == nil)
        #expect(PKCE(verifier: String(repeating: "a", count: 129)) == nil)
        #expect(PKCE(verifier: String(repeating: "a", count: 42) + "/") == nil)
        #expect(PKCE(verifier: String(repeating: "a", count: 128)) != nil)
    }

    @Test func stateIsRandomBase64URL() {
        let state = OAuthState.generate()
        #expect(state.count == 43)
        #expect(state != OAuthState.generate())
        #expect(Base64URL.decode(state)?.count == 32)
    }

    @Test func authorizeURLCarriesEveryParameter() throws {
        let pkce = PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")!
        let url = try AuthorizeURL.make(
            clientID: "OQabc", redirectURI: "http://127.0.0.1:8765/callback", scope: "offline_access profile",
            state: "xyz", pkce: pkce)
        #expect(
            url
                == "https://oauth.twilio.com/v2/authorize?response_type=code&client_id=OQabc"
                + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&scope=offline_access%20profile&state=xyz"
                + "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
        let error = #expect(throws: TwilioError.self) {
            try AuthorizeURL.make(
                base: "http://example.invalid/authorize", clientID: "x", redirectURI: "y", state: "s", pkce: pkce)
        }
        #expect(error?.kind == .invalidURL)
    }
}

@Suite struct EncodingTests {
    @Test func formEncodingEscapesAllButUnreserved() {
        let encoded = FormEncoding.encode([("a b", "x+y&z=1/é~._-"), ("empty", "")])
        #expect(encoded == "a%20b=x%2By%26z%3D1%2F%C3%A9~._-&empty=")
        #expect(FormEncoding.decode(encoded).map { [$0.0, $0.1] } == [["a b", "x+y&z=1/é~._-"], ["empty", ""]])
        #expect(FormEncoding.percentDecode("a+b%20c") == "a b c")
    }

    @Test func base64URLRoundTrips() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let encoded = Base64URL.encode(bytes)
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
            #expect(Base64URL.decode(encoded) == bytes)
            #expect(
                encoded
                    == Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: ""))
        }
        #expect(Base64URL.decode("a") == nil)
        #expect(Base64URL.decode("ab$d") == nil)
    }

    @Test func retryAfterAcceptsSecondsAndHTTPDates() {
        #expect(RetryAfter.parse("7") == .seconds(7))
        #expect(RetryAfter.parse(" 0 ") == .seconds(0))
        #expect(RetryAfter.parse("-1") == nil)
        #expect(RetryAfter.parse("soon") == nil)
        let now = Date(timeIntervalSince1970: 784_111_770) // Sun, 06 Nov 1994 08:49:30 GMT
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == .seconds(7))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:00 GMT", now: now) == .zero)
    }
}
