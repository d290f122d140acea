import FoundationEssentials
import TwilioAuth
import Vault

/// The OAuth rotations (docs/ROTATION.md, "Refresh token and client secret"). Each is one
/// exchange whose result is stored in one transaction, so there is no `rotation` record and
/// nothing to resume.
public struct OAuthRotation {
    public let run: RotationRun

    public init(_ run: RotationRun) { self.run = run }

    private typealias Message = OAuthRotationMessage

    private var name: String { run.name }

    /// A refresh grant; the new refresh token is stored (with its access token) before
    /// anything else happens, since the old one is spent once the request is sent.
    public func rotateRefreshToken() async throws -> String {
        let record = try run.profile()
        guard record.clientID != nil, record.refreshToken != nil else {
            throw run.usage(Message.noRefreshToken(profile: name))
        }
        let token = try await AccessTokens.exchange(record, profile: name, access: run.access)
        let stored = try TokenStore.store(token, profile: name, vault: run.vault, now: run.now)
        guard stored.refreshTokenReplaced else {
            throw RotationFailure(Message.refreshTokenNotReplaced(profile: name).description, status: .unavailable)
        }
        return Message.rotatedRefreshToken(profile: name).description
    }

    /// Verifies `secret` with a client-credentials exchange, then stores it; the replaced
    /// secret is kept (sealed) until the next rotation.
    public func rotateClientSecret(_ secret: String) async throws -> String {
        let record = try run.profile()
        guard let clientID = record.clientID else { throw run.usage(Message.noClient(profile: name)) }
        guard secret != record.clientSecret else { throw run.usage(Message.sameClientSecret(profile: name)) }
        let endpoint = try AccessTokens.endpoint(record, access: run.access)
        let token: TokenResponse
        do {
            token = try await endpoint.clientCredentials(
                clientID: clientID, clientSecret: secret, scope: record.scope, audience: record.audience)
        } catch {
            throw run.failure(Message.clientSecretRefused(profile: name, error: error), cause: error)
        }
        let now = run.now
        try TokenStore.store(
            token, profile: name, vault: run.vault, now: now,
            change: { record in
                record.previousClientSecret = record.clientSecret
                record.clientSecret = secret
                record.credentialTimes[CredentialKind.clientSecret.rawValue] = now
            },
            // A client-credentials profile can use the token the check produced.
            cacheAccessToken: { $0.refreshToken == nil })
        return Message.rotatedClientSecret(profile: name).description
    }
}

/// What the OAuth rotations say.
enum OAuthRotationMessage: RotationMessage {
    case rotatedRefreshToken(profile: String)
    case rotatedClientSecret(profile: String)

    case noRefreshToken(profile: String)
    case refreshTokenNotReplaced(profile: String)
    case noClient(profile: String)
    case sameClientSecret(profile: String)
    case clientSecretRefused(profile: String, error: TwilioError)

    var description: String {
        switch self {
        case .rotatedRefreshToken(let profile):
            return "rotated the refresh token of '\(profile)'"
        case .rotatedClientSecret(let profile):
            return "rotated the client secret of '\(profile)'; the previous one is kept until the next rotation"
        case .noRefreshToken(let profile):
            return "profile '\(profile)' has no refresh token to rotate: sign in with `twvault login \(profile)`"
        case .refreshTokenNotReplaced(let profile):
            return
                "the token endpoint issued no new refresh token for '\(profile)' (the app may not rotate refresh tokens); the current one stays"
        case .noClient(let profile):
            return
                "profile '\(profile)' has no OAuth client whose secret could be rotated; add one with `twvault update \(profile) --client-id OQ…`"
        case .sameClientSecret(let profile):
            return "the new client secret of '\(profile)' is the one already stored"
        case .clientSecretRefused(let profile, let error):
            // The endpoint's own sentence, which names the profile in its hint.
            var reason = error.message(profile: profile)
            while reason.hasSuffix(".") { reason.removeLast() }
            return
                "the token endpoint did not accept the new client secret of '\(profile)' (\(reason)); nothing was stored and the current secret stays"
        }
    }
}
