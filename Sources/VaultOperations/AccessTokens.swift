import FoundationEssentials
import TwilioAuth
import Vault

/// Valid OAuth access tokens for profiles with an OAuth client: from the vault's cache while
/// more than a minute remains, else from one exchange with the token endpoint, made by one
/// process at a time per profile.
public enum AccessTokens {
    /// Refresh when fewer than this many seconds remain.
    public static let refreshMargin: Int64 = 60

    /// The token to export, or `nil` for profiles without an OAuth client.
    nonisolated(nonsending) public static func valid(
        for name: String, record: ProfileRecord, vault: UnlockedVault, access: VaultAccess
    ) async throws -> String? {
        guard record.clientID != nil else { return nil }
        return try await obtain(for: name, vault: vault, access: access, force: false).accessToken
    }

    /// A cached token with time left, or a fresh one. `force` exchanges even when the cache is
    /// valid (`token --refresh`).
    nonisolated(nonsending) public static func obtain(
        for name: String, vault: UnlockedVault, access: VaultAccess, force: Bool
    ) async throws -> CachedToken {
        let now = access.context.now()
        let before = try vault.cachedToken(profile: name)
        if !force, let before, before.expiresAt - now > refreshMargin {
            access.context.output.note("using the cached access token of '\(name)'")
            return before
        }
        // One exchange per profile at a time across processes; the others wait here and then
        // find the new token in the vault.
        let lock = try ProfileLock(vaultPath: vault.file.path, profile: name)
        defer { withExtendedLifetime(lock) {} }
        if let cached = try vault.cachedToken(profile: name),
            cached.expiresAt - access.context.now() > refreshMargin,
            !force || cached.accessToken != before?.accessToken
        {
            // Another process exchanged while this one waited (for --refresh: after it asked).
            access.context.output.note("another process refreshed the token of '\(name)'")
            return cached
        }
        // Before the request: a rolled-back record must not be the one exchanged and replaced.
        try vault.checkIntegrity()
        let record = try vault.profile(name)
        let token = try await exchange(record, profile: name, access: access)
        let cached = try TokenStore.store(token, profile: name, vault: vault, now: access.context.now()).cached
        access.context.output.note(
            "stored a new access token for '\(name)' (valid \(Durations.describe(max(0, cached.expiresAt - access.context.now()))))"
        )
        return cached
    }

    /// One exchange: the refresh grant when the profile holds a refresh token, else client
    /// credentials.
    public static func exchange(_ record: ProfileRecord, profile: String, access: VaultAccess) async throws
        -> TokenResponse
    {
        guard let clientID = record.clientID else {
            throw OperationError.usage("profile '\(profile)' has no OAuth client: add one with --client-id")
        }
        let endpoint = try self.endpoint(record, access: access)
        do {
            if let refreshToken = record.refreshToken {
                access.context.output.note("refreshing the access token of '\(profile)' at \(hostOf(endpoint.url))")
                return try await endpoint.refresh(
                    refreshToken: refreshToken, clientID: clientID, clientSecret: record.clientSecret)
            }
            guard let secret = record.clientSecret else {
                throw OperationError.accessDenied(
                    "profile '\(profile)' has neither a refresh token nor a client secret: run `twvault login \(profile)`"
                )
            }
            access.context.output.note(
                "requesting a client-credentials token for '\(profile)' at \(hostOf(endpoint.url))")
            return try await endpoint.clientCredentials(
                clientID: clientID, clientSecret: secret, scope: record.scope,
                audience: record.audience)
        } catch let error as TwilioError {
            throw ProfileTwilioError(error: error, profile: profile)
        }
    }

    /// The profile's token URL, else `$TWVAULT_TOKEN_URL`, else Twilio's.
    public static func tokenURL(_ record: ProfileRecord, access: VaultAccess) -> String {
        record.tokenURL ?? EndpointOverride.token.url(access.context)
    }

    /// The profile's token endpoint. When `$TWVAULT_TOKEN_URL` chose it, its first request
    /// warns (a token URL stored in the profile does not).
    public static func endpoint(_ record: ProfileRecord, access: VaultAccess) throws -> TokenEndpoint {
        let transport = access.context.output.showingWaits(try access.context.http.transport())
        return TokenEndpoint(
            url: tokenURL(record, access: access),
            transport: record.tokenURL == nil
                ? EndpointOverride.watching([.token], context: access.context, transport: transport) : transport)
    }

    public static func hostOf(_ url: String) -> String {
        URLComponents(string: url)?.host ?? "the token endpoint"
    }
}

/// A Twilio error whose hint names the profile (`twvault login PROFILE`).
public struct ProfileTwilioError: Error, CustomStringConvertible {
    public let error: TwilioError
    public let profile: String
    /// What else the user can do, added to the message (e.g. `export --no-token`).
    public var hint: String?
    public var description: String {
        guard let hint else { return error.message(profile: profile) }
        var message = error.message(profile: profile)
        while message.hasSuffix(".") { message.removeLast() }
        return message + "; " + hint
    }

    public init(error: TwilioError, profile: String, hint: String? = nil) {
        self.error = error
        self.profile = profile
        self.hint = hint
    }
}
