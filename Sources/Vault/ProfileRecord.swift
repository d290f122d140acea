import FoundationEssentials
import VaultCrypto

/// A profile's credentials and settings: the payload of its `profile` record.
///
/// Everything here is sealed, including identifiers (account SID, key SID, client id) and
/// settings that change behaviour (token URL, region): only the profile's name is in clear.
public struct ProfileRecord: Codable, Sendable, Equatable {
    public var accountSID: String?
    public var authToken: String?
    public var apiKeySID: String?
    public var apiKeySecret: String?
    public var clientID: String?
    public var clientSecret: String?
    public var refreshToken: String?
    public var region: String?
    public var edge: String?
    public var tokenURL: String?
    public var scope: String?
    public var audience: String?
    /// Seconds since 1970 when the profile was first stored.
    public var createdAt: Int64
    /// When each rotatable credential was last set, by name: `auth_token`, `api_key`,
    /// `client_secret`, `refresh_token` (seconds since 1970). A credential held without an
    /// entry has an unknown creation time: every writer sets the time together with the
    /// secret, except `import`, which cannot know it (see `knownCredentialTimes`).
    public var credentialTimes: [String: Int64]
    /// The client secret that the last rotation replaced, kept until the next rotation.
    public var previousClientSecret: String?

    public init(createdAt: Int64) {
        self.createdAt = createdAt
        self.credentialTimes = [:]
    }

    enum CodingKeys: String, CodingKey {
        case accountSID = "account_sid"
        case authToken = "auth_token"
        case apiKeySID = "api_key_sid"
        case apiKeySecret = "api_key_secret"
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case refreshToken = "refresh_token"
        case region, edge
        case tokenURL = "token_url"
        case scope, audience
        case createdAt = "created_at"
        case credentialTimes = "credential_times"
        case previousClientSecret = "previous_client_secret"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accountSID = try c.decodeIfPresent(String.self, forKey: .accountSID)
        authToken = try c.decodeIfPresent(String.self, forKey: .authToken)
        apiKeySID = try c.decodeIfPresent(String.self, forKey: .apiKeySID)
        apiKeySecret = try c.decodeIfPresent(String.self, forKey: .apiKeySecret)
        clientID = try c.decodeIfPresent(String.self, forKey: .clientID)
        clientSecret = try c.decodeIfPresent(String.self, forKey: .clientSecret)
        refreshToken = try c.decodeIfPresent(String.self, forKey: .refreshToken)
        region = try c.decodeIfPresent(String.self, forKey: .region)
        edge = try c.decodeIfPresent(String.self, forKey: .edge)
        tokenURL = try c.decodeIfPresent(String.self, forKey: .tokenURL)
        scope = try c.decodeIfPresent(String.self, forKey: .scope)
        audience = try c.decodeIfPresent(String.self, forKey: .audience)
        createdAt = try c.decode(Int64.self, forKey: .createdAt)
        credentialTimes = try c.decodeIfPresent([String: Int64].self, forKey: .credentialTimes) ?? [:]
        previousClientSecret = try c.decodeIfPresent(String.self, forKey: .previousClientSecret)
    }

    /// Whether the profile holds at least one set of credentials that can authenticate.
    public var hasUsableCredentials: Bool {
        (accountSID != nil && authToken != nil) || (accountSID != nil && apiKeySID != nil && apiKeySecret != nil)
            || (clientID != nil && (clientSecret != nil || refreshToken != nil))
    }

    /// The `credentialTimes` names of the rotatable credentials the profile holds.
    public var heldCredentials: [String] {
        var held: [String] = []
        if authToken != nil { held.append("auth_token") }
        if apiKeySecret != nil { held.append("api_key") }
        if clientSecret != nil { held.append("client_secret") }
        if refreshToken != nil { held.append("refresh_token") }
        return held
    }

    /// Every entry of `credentialTimes`, plus nil for each held credential whose time is
    /// unknown (an imported one, until `--check` learns it).
    public var knownCredentialTimes: [String: Int64?] {
        var times: [String: Int64?] = credentialTimes.mapValues { $0 }
        for name in heldCredentials where credentialTimes[name] == nil { times[name] = .some(nil) }
        return times
    }

    /// The kinds of credential present, for listings: `auth-token`, `api-key`, `oauth`.
    public var credentialKinds: [String] {
        var kinds: [String] = []
        if authToken != nil { kinds.append("auth-token") }
        if apiKeySID != nil { kinds.append("api-key") }
        if clientID != nil { kinds.append(refreshToken != nil ? "oauth-refresh" : "oauth-client") }
        return kinds
    }
}

/// A cached OAuth access token: the payload of a profile's `token` record.
public struct CachedToken: Codable, Sendable, Equatable {
    public var accessToken: String
    public var idToken: String?
    public var tokenType: String
    public var scope: String?
    /// Seconds since 1970 when the token stops being valid.
    public var expiresAt: Int64
    /// Seconds since 1970 when it was obtained.
    public var obtainedAt: Int64

    public init(
        accessToken: String, idToken: String? = nil, tokenType: String = "Bearer", scope: String? = nil,
        expiresAt: Int64, obtainedAt: Int64
    ) {
        self.accessToken = accessToken
        self.idToken = idToken
        self.tokenType = tokenType
        self.scope = scope
        self.expiresAt = expiresAt
        self.obtainedAt = obtainedAt
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case idToken = "id_token"
        case tokenType = "token_type"
        case scope
        case expiresAt = "expires_at"
        case obtainedAt = "obtained_at"
    }
}

/// JSON payload encoding for records.
enum PayloadCoding {
    static func encode<T: Encodable>(_ value: T) throws(VaultError) -> SecretBytes {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(value)
            defer { data.resetBytes(in: 0..<data.count) }
            return SecretBytes(copying: data)
        } catch {
            throw .system("could not encode a record")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from payload: SecretBytes, what: String) throws(VaultError) -> T {
        let result = payload.withUnsafeBytes { bytes in
            Result { () throws(VaultError) in try decode(type, from: bytes, what: what) }
        }
        return try result.get()
    }

    /// Decodes without copying `bytes` (they may be secret memory lent for the call).
    static func decode<T: Decodable>(
        _ type: T.Type, from bytes: UnsafeRawBufferPointer, what: String
    ) throws(VaultError) -> T {
        guard let base = bytes.baseAddress else { throw .corrupt("\(what) authenticates but is empty") }
        do {
            return try JSONDecoder().decode(
                type,
                from: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none)
            )
        } catch {
            throw .corrupt("\(what) authenticates but its contents do not decode")
        }
    }
}
