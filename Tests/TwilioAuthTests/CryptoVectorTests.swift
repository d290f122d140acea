import Foundation
import Testing

@testable import TwilioAuth

@Suite struct SHA256Tests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func fipsVectorABC() {
        #expect(Self.hex(SHA256.hash("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func fipsVectorEmpty() {
        #expect(Self.hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func fipsVectorTwoBlocks() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(
            Self.hex(SHA256.hash(message.utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func paddingBoundaries() {
        // 55, 56 and 64 bytes straddle the length field; compare against known digests of "a"*n.
        #expect(
            Self.hex(SHA256.hash([UInt8](repeating: 0x61, count: 55)))
                == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(
            Self.hex(SHA256.hash([UInt8](repeating: 0x61, count: 56)))
                == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(
            Self.hex(SHA256.hash([UInt8](repeating: 0x61, count: 64)))
                == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func hmacRFC4231TestCase2() {
        let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Self.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}

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
        #expect(error?.exitCode == 64)
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
