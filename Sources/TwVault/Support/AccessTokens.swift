import Vault

/// Valid OAuth access tokens for profiles with an OAuth client.
enum AccessTokens {
    /// Refresh when fewer than this many seconds remain.
    static let refreshMargin: Int64 = 60

    /// The cached token when it has more than a minute left; `nil` for profiles without an
    /// OAuth client.
    static func valid(for name: String, record: ProfileRecord, vault: UnlockedVault, access: VaultAccess) async throws -> String? {
        guard record.clientID != nil else { return nil }
        if let cached = try vault.record(CachedToken.self, profile: name, kind: .token),
           cached.expiresAt - access.context.now() > refreshMargin {
            return cached.accessToken
        }
        return nil
    }
}
