internal import VaultCrypto

/// Proof Key for Code Exchange (RFC 7636) with the S256 method.
public struct PKCE: Sendable, Equatable {
    public static let method = "S256"

    /// 43 characters of base64url (32 random bytes); sent only with the token request.
    public let verifier: String
    /// base64url(SHA-256(verifier)); sent in the authorize URL.
    public let challenge: String

    /// A fresh verifier from the system's random source (getrandom on Linux).
    public init() {
        var generator = SystemRandomNumberGenerator()
        self.init(using: &generator)
    }

    public init(using generator: inout some RandomNumberGenerator) {
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let verifier = Base64URL.encode(bytes)
        self.verifier = verifier
        self.challenge = Self.challenge(for: verifier)
    }

    /// Adopts a verifier given elsewhere; nil unless it has 43–128 characters of
    /// A–Z a–z 0–9 - . _ ~ (RFC 7636 §4.1).
    public init?(verifier: String) {
        guard (43...128).contains(verifier.utf8.count),
            verifier.utf8.allSatisfy({ byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                    UInt8(ascii: "_"), UInt8(ascii: "~"):
                    true
                default: false
                }
            })
        else { return nil }
        self.verifier = verifier
        self.challenge = Self.challenge(for: verifier)
    }

    /// base64url(SHA-256(`verifier`)), with libsodium's SHA-256.
    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(verifier.utf8))
    }
}

/// The OAuth `state` parameter: an unguessable value that ties the redirect to this login.
public enum OAuthState {
    /// 32 random bytes as base64url (43 characters).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    public static func generate(using generator: inout some RandomNumberGenerator) -> String {
        Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}

/// Builds the URL that starts the authorization-code flow in a browser.
public enum AuthorizeURL {
    public static let defaultURL = "https://oauth.twilio.com/v2/authorize"

    /// `base` with response_type=code, client_id, redirect_uri, scope (when given), state,
    /// code_challenge and code_challenge_method=S256 appended as a query.
    public static func make(
        base: String = defaultURL, clientID: String, redirectURI: String, scope: String? = nil,
        state: String, pkce: PKCE
    ) throws(TwilioError) -> String {
        _ = try EndpointURL.validate(base)
        var fields = [("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI)]
        if let scope, !scope.isEmpty { fields.append(("scope", scope)) }
        fields += [("state", state), ("code_challenge", pkce.challenge), ("code_challenge_method", PKCE.method)]
        let separator = base.contains("?") ? (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&") : "?"
        return base + separator + FormEncoding.encode(fields)
    }
}
