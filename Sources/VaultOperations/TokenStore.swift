import TwilioAuth
import Vault

/// The one path by which an answer of the token endpoint enters the vault: the access token is
/// cached and a new refresh token replaces the stored one in the same transaction, since losing
/// either would strand the profile (the old refresh token is spent once the request was sent).
public enum TokenStore {
    /// What `store` wrote.
    public struct Stored: Sendable {
        public let cached: CachedToken
        /// The answer carried a refresh token different from the stored one, and it was stored.
        public let refreshTokenReplaced: Bool
    }

    /// Stores `token` for `profile`. `change` edits the profile record in the same transaction
    /// (e.g. a new client secret); `cacheAccessToken` decides, from the record as stored, whether
    /// the access token is cached.
    @discardableResult
    public static func store(
        _ token: TokenResponse, profile name: String, vault: UnlockedVault, now: Int64,
        change: (@Sendable (inout ProfileRecord) -> Void)? = nil,
        cacheAccessToken: @Sendable (ProfileRecord) -> Bool = { _ in true }
    ) throws -> Stored {
        let cached = CachedToken(
            accessToken: token.accessToken, idToken: token.idToken, tokenType: token.tokenType, scope: token.scope,
            expiresAt: Int64(token.expiresAt.timeIntervalSince1970), obtainedAt: now)
        let replaced = try vault.write { transaction in
            guard var record = try transaction.record(ProfileRecord.self, profile: name, kind: .profile) else {
                throw VaultError.profileNotFound(name)
            }
            var replaced = false
            if let newRefresh = token.refreshToken, newRefresh != record.refreshToken {
                record.refreshToken = newRefresh
                record.credentialTimes[CredentialKind.refreshToken.rawValue] = now
                replaced = true
            }
            change?(&record)
            if replaced || change != nil {
                try transaction.put(record, profile: name, kind: .profile, now: now)
            }
            if cacheAccessToken(record) {
                try transaction.put(cached, profile: name, kind: .token, now: now)
            }
            return replaced
        }
        return Stored(cached: cached, refreshTokenReplaced: replaced)
    }
}

/// The rotatable credentials, by the name their creation time is stored under.
public enum CredentialKind: String, Sendable, CaseIterable {
    case authToken = "auth_token"
    case apiKey = "api_key"
    case clientSecret = "client_secret"
    case refreshToken = "refresh_token"
}
