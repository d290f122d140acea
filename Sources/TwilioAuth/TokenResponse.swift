import FoundationEssentials

/// A successful answer of the token endpoint.
public struct TokenResponse: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessToken: String
    /// A new refresh token; it replaces the stored one (the old one may already be revoked).
    public var refreshToken: String?
    public var idToken: String?
    /// Always "Bearer": other types are refused as malformed.
    public var tokenType: String
    public var scope: String?
    public var expiresAt: Date

    public init(
        accessToken: String, refreshToken: String? = nil, idToken: String? = nil,
        tokenType: String = "Bearer", scope: String? = nil, expiresAt: Date
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.idToken = idToken
        self.tokenType = tokenType
        self.scope = scope
        self.expiresAt = expiresAt
    }

    /// Never shows the tokens, so printing a response by mistake leaks nothing.
    public var description: String {
        "TokenResponse(tokenType: \(tokenType), expiresAt: \(expiresAt), refreshToken: \(refreshToken == nil ? "absent" : "present"), scope: \(scope ?? "none"))"
    }

    public var debugDescription: String { description }
}

/// How the expiry of an access token is decided (DESIGN §5).
public struct ExpiryPolicy: Sendable, Equatable {
    /// Used when the token is no JWT with `exp` and the response has no `expires_in`.
    /// Short on purpose: a cached token believed valid past its real end fails later
    /// commands, while a short guess only costs an early exchange.
    public var defaultLifetime: Duration = .seconds(600)
    /// Longer lifetimes are not believed: Twilio's documentation shows the placeholder
    /// `expires_in: 1438315200000` (a date in milliseconds), and a server sending such a
    /// value would make twvault keep a token for millennia. They fail as malformed.
    public var maximumLifetime: Duration = .seconds(366 * 86_400)

    public init() {}
}

extension TokenResponse {
    /// Decodes a 2xx body. Throws `.malformedResponse` for anything but a JSON object with a
    /// non-empty string `access_token`, a bearer (or absent) `token_type`, and believable expiry.
    static func decode(
        _ body: [UInt8], host: String, now: Date, policy: ExpiryPolicy
    ) throws(TwilioError) -> TokenResponse {
        func malformed(_ reason: String) -> TwilioError { .malformedResponse(host: host, reason: reason) }
        guard let object = JSONValue.parse(body)?.objectValue else {
            throw malformed("the token response is not a JSON object")
        }
        func optionalString(_ key: String) throws(TwilioError) -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let value)?: return value.isEmpty ? nil : value
            default: throw malformed("\(key) is not a string")
            }
        }
        guard let accessToken = try optionalString("access_token") else {
            throw malformed("it has no access_token")
        }
        let tokenType = try optionalString("token_type") ?? "Bearer"
        guard tokenType.lowercased() == "bearer" else {
            throw malformed("token_type is \(TextSanitizer.oneLine(tokenType, limit: 40)), not Bearer")
        }
        let maximum = now.addingTimeInterval(policy.maximumLifetime.timeInterval)

        let expiresAt: Date
        if let exp = JWT.expiry(of: accessToken) {
            guard exp.isFinite, exp >= 0 else { throw malformed("the access token's exp claim is not a time") }
            let date = Date(timeIntervalSince1970: exp)
            guard date <= maximum else { throw malformed("the access token's exp claim is implausibly far away") }
            expiresAt = date
        } else if let seconds = try Self.expiresIn(object["expires_in"], malformed: malformed) {
            guard seconds <= policy.maximumLifetime.timeInterval else {
                throw malformed("expires_in is implausibly large")
            }
            expiresAt = now.addingTimeInterval(seconds)
        } else {
            expiresAt = now.addingTimeInterval(policy.defaultLifetime.timeInterval)
        }
        return TokenResponse(
            accessToken: accessToken,
            refreshToken: try optionalString("refresh_token"),
            idToken: try optionalString("id_token"),
            tokenType: "Bearer",
            scope: try optionalString("scope"),
            expiresAt: expiresAt)
    }

    /// `expires_in` as seconds: a number or a numeric string; nil when absent.
    private static func expiresIn(
        _ value: JSONValue?, malformed: (String) -> TwilioError
    ) throws(TwilioError) -> Double? {
        let seconds: Double
        switch value {
        case nil, .null?: return nil
        case .number(let number)?: seconds = number
        case .string(let text)?:
            guard let number = Double(text.trimmingBlanks()) else {
                throw malformed("expires_in is not a number")
            }
            seconds = number
        default: throw malformed("expires_in is not a number")
        }
        guard seconds.isFinite, seconds >= 0 else { throw malformed("expires_in is negative") }
        return seconds
    }
}

/// Reads claims of a JWT without checking its signature: twvault only needs to know when
/// to refresh, and the token's issuer checks it when it is used.
enum JWT {
    /// The `exp` claim, when `token` is a JWT whose payload carries a numeric one.
    static func expiry(of token: String) -> Double? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(parts[1]),
            let exp = JSONValue.parse(payload)?["exp"]
        else { return nil }
        return exp.numberValue
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
