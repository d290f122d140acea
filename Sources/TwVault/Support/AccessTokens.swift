import Foundation
import TwilioAuth
import Vault

/// Valid OAuth access tokens for profiles with an OAuth client: from the vault's cache while
/// more than a minute remains, else from one exchange with the token endpoint, made by one
/// process at a time per profile.
enum AccessTokens {
    /// Refresh when fewer than this many seconds remain.
    static let refreshMargin: Int64 = 60

    /// The token to export, or `nil` for profiles without an OAuth client.
    static func valid(for name: String, record: ProfileRecord, vault: UnlockedVault, access: VaultAccess) async throws
        -> String?
    {
        guard record.clientID != nil else { return nil }
        return try await obtain(for: name, vault: vault, access: access, force: false).accessToken
    }

    /// A cached token with time left, or a fresh one. `force` exchanges even when the cache is
    /// valid (`token --refresh`).
    static func obtain(for name: String, vault: UnlockedVault, access: VaultAccess, force: Bool) async throws
        -> CachedToken
    {
        let now = access.context.now()
        let before = try vault.record(CachedToken.self, profile: name, kind: .token)
        if !force, let before, before.expiresAt - now > refreshMargin {
            Output.note("using the cached access token of '\(name)'")
            return before
        }
        // One exchange per profile at a time across processes; the others wait here and then
        // find the new token in the vault.
        let lock = try ProfileLock(vaultPath: vault.file.path, profile: name)
        defer { withExtendedLifetime(lock) {} }
        if let cached = try vault.record(CachedToken.self, profile: name, kind: .token),
            cached.expiresAt - access.context.now() > refreshMargin,
            !force || cached.accessToken != before?.accessToken
        {
            // Another process exchanged while this one waited (for --refresh: after it asked).
            Output.note("another process refreshed the token of '\(name)'")
            return cached
        }
        let record = try vault.profile(name)
        let token = try await exchange(record, profile: name, access: access)
        let cached = CachedToken(
            accessToken: token.accessToken, idToken: token.idToken, tokenType: token.tokenType, scope: token.scope,
            expiresAt: Int64(token.expiresAt.timeIntervalSince1970), obtainedAt: access.context.now())
        try vault.write { transaction in
            // A rotated refresh token replaces the stored one in the same transaction as the
            // access token: losing either would strand the profile.
            if let newRefresh = token.refreshToken, newRefresh != record.refreshToken {
                guard var current = try transaction.record(ProfileRecord.self, profile: name, kind: .profile) else {
                    throw VaultError.profileNotFound(name)
                }
                current.refreshToken = newRefresh
                current.credentialTimes["refresh_token"] = access.context.now()
                try transaction.put(current, profile: name, kind: .profile, now: access.context.now())
            }
            try transaction.put(cached, profile: name, kind: .token, now: access.context.now())
        }
        Output.note(
            "stored a new access token for '\(name)' (valid \(Durations.describe(max(0, cached.expiresAt - access.context.now()))))"
        )
        return cached
    }

    /// One exchange: the refresh grant when the profile holds a refresh token, else client
    /// credentials.
    static func exchange(_ record: ProfileRecord, profile: String, access: VaultAccess) async throws -> TokenResponse {
        guard let clientID = record.clientID else {
            throw CLIError.usage("profile '\(profile)' has no OAuth client: add one with --client-id")
        }
        let endpoint = TokenEndpoint(url: tokenURL(record, access: access), transport: try Transport.shared())
        do {
            if let refreshToken = record.refreshToken {
                Output.note("refreshing the access token of '\(profile)' at \(hostOf(endpoint.url))")
                return try await endpoint.refresh(
                    refreshToken: refreshToken, clientID: clientID, clientSecret: record.clientSecret)
            }
            guard let secret = record.clientSecret else {
                throw CLIError.accessDenied(
                    "profile '\(profile)' has neither a refresh token nor a client secret: run `twvault login \(profile)`"
                )
            }
            Output.note("requesting a client-credentials token for '\(profile)' at \(hostOf(endpoint.url))")
            return try await endpoint.clientCredentials(
                clientID: clientID, clientSecret: secret, scope: record.scope,
                audience: record.audience)
        } catch let error as TwilioError {
            throw ProfileTwilioError(error: error, profile: profile)
        }
    }

    /// The profile's token URL, else `$TWVAULT_TOKEN_URL`, else Twilio's.
    static func tokenURL(_ record: ProfileRecord, access: VaultAccess) -> String {
        record.tokenURL ?? access.context.env("TWVAULT_TOKEN_URL") ?? TokenEndpoint.defaultURL
    }

    static func hostOf(_ url: String) -> String {
        URLComponents(string: url)?.host ?? "the token endpoint"
    }
}

/// A Twilio error whose hint names the profile (`twvault login PROFILE`).
struct ProfileTwilioError: Error, CustomStringConvertible {
    let error: TwilioError
    let profile: String
    var description: String { error.message(profile: profile) }
    var exitCode: Int32 { error.exitStatus }
}

/// The process's HTTP transport, created on first use: commands that need no request
/// never start an HTTP client.
enum Transport {
    nonisolated(unsafe) private static var instance: AsyncHTTPTransport?

    static func shared() throws -> AsyncHTTPTransport {
        if let instance { return instance }
        let transport = AsyncHTTPTransport(limits: HTTPLimits())
        instance = transport
        return transport
    }

    /// Shuts the client down before exit, if one was created.
    static func shutdown() async {
        if let instance { await instance.shutdown() }
        instance = nil
    }
}
