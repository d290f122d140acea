import Foundation
import TwilioAuth
import Vault

/// One profile's rotations (DESIGN §6), run while the caller holds the profile's lock.
///
/// Make before break: the new credential is created and verified while the old one stays
/// current, and before each remote step whose result must not be lost the `rotation`
/// record says what is about to happen. Whatever instant the process dies at, the profile
/// record holds a credential Twilio accepts, and `resume(_:)` finishes or undoes the rest.
public struct RotationRun {
    public let name: String
    public let vault: UnlockedVault
    public let access: VaultAccess
    public let endpoints: TwilioEndpoints

    public init(name: String, vault: UnlockedVault, access: VaultAccess) {
        self.name = name
        self.vault = vault
        self.access = access
        self.endpoints = TwilioEndpoints(context: access.context)
    }

    public var now: Int64 { access.context.now() }

    public func profile() throws -> ProfileRecord { try vault.profile(name) }

    /// The unfinished rotation of this profile, if any.
    public func pending() throws -> RotationState? {
        try vault.record(RotationState.self, profile: name, kind: .rotation)
    }

    /// Stores `state` (or deletes the rotation record when `nil`) and applies `change` to the
    /// profile, in one transaction: the two never disagree after a crash.
    public func save(_ state: RotationState?, profile change: ((inout ProfileRecord) -> Void)? = nil) throws {
        let now = self.now
        let name = self.name
        try vault.write { transaction in
            if let change {
                guard var record = try transaction.record(ProfileRecord.self, profile: name, kind: .profile) else {
                    throw VaultError.profileNotFound(name)
                }
                change(&record)
                try transaction.put(record, profile: name, kind: .profile, now: now)
            }
            if var state {
                state.updatedAt = now
                try transaction.put(state, profile: name, kind: .rotation, now: now)
            } else {
                try transaction.delete(profile: name, kind: .rotation)
            }
        }
    }

    /// Whether a failed create call cannot have created anything: Twilio refused it (4xx).
    /// After a timeout, a lost answer or a 5xx, it may have.
    public static func certainlyNothingCreated(_ error: any Error) -> Bool {
        if case .refused = error as? TwilioError { return true }
        if case .invalidURL = error as? TwilioError { return true }
        return false
    }

    /// 401 from Twilio: the credential used is not (or no longer) valid.
    public static func isUnauthorized(_ error: any Error) -> Bool {
        if case .refused(let refusal) = error as? TwilioError { return refusal.status == 401 }
        return false
    }

    public func failure(_ message: String, cause: any Error) -> RotationFailure {
        RotationFailure(message, status: RotationFailure.status(causedBy: cause))
    }

    public func reason(_ error: any Error) -> String { RotationFailure.reason(error) }

    public var resumeHint: String { "run `twvault rotate \(name) --resume`" }

    // MARK: - Resuming

    public enum ResumeOutcome {
        /// The interrupted rotation is complete.
        case completed(String)
        /// It was undone; `restart` when it had not got far enough to be worth keeping (the
        /// new credential was never stored), so `--resume` starts it again.
        case rolledBack(String, restart: Bool)
    }

    /// Finishes or undoes the interrupted rotation `state`.
    public func resume(_ state: RotationState) async throws -> ResumeOutcome {
        switch state.kind {
        case .apiKey: try await resumeAPIKey(state)
        case .authToken: try await resumeAuthToken(state)
        }
    }
}

// MARK: - API keys

extension RotationRun {
    public func rotateAPIKey() async throws -> String {
        let record = try profile()
        let admin = try endpoints.admin(record, profile: name, purpose: "rotating an API key")
        guard let oldSID = record.apiKeySID else {
            throw OperationError.usage(
                "profile '\(name)' has no API key to rotate; add one with `twvault add \(name) --api-key SK… --force`")
        }
        var state = RotationState(id: RotationID.make(), kind: .apiKey, step: .creating, startedAt: now)
        state.oldKeySID = oldSID
        try save(state)
        access.context.output.note("recorded API-key rotation \(state.id) of '\(name)'; creating the new key")
        CrashPoint.reached("api-key-intent", access.context)
        let key: NewAPIKey
        do {
            key = try await admin.createAPIKey(friendlyName: RotationState.keyFriendlyName(id: state.id))
        } catch {
            throw try await failedCreatingKey(state, admin: admin, cause: error)
        }
        CrashPoint.reached("api-key-create", access.context)
        state.step = .created
        state.newKeySID = key.sid
        state.newKeySecret = key.secret
        try save(state)
        access.context.output.note("stored the new key \(key.sid) as pending; verifying it")
        CrashPoint.reached("api-key-store-pending", access.context)
        return try await finishAPIKey(state, admin: admin)
    }

    /// From `created`: verify the pending key with a call only it authenticates, make it
    /// current, delete the old key.
    private func finishAPIKey(_ state: RotationState, admin: TwilioAPI) async throws -> String {
        var state = state
        guard let newSID = state.newKeySID, let secret = state.newKeySecret else {
            throw VaultError.corrupt("the rotation record of '\(name)' lacks its pending key")
        }
        do {
            let probe = try endpoints.api(accountSID: admin.accountSID, username: newSID, password: secret)
            try await probe.probeMessages()
        } catch {
            throw try await abandonAPIKey(state, admin: admin, cause: error)
        }
        CrashPoint.reached("api-key-verify", access.context)
        state.step = .promoted
        state.newKeySecret = nil
        let now = self.now
        try save(state) { record in
            record.apiKeySID = newSID
            record.apiKeySecret = secret
            record.credentialTimes[CredentialKind.apiKey.rawValue] = now
        }
        access.context.output.note("made \(newSID) the current key of '\(name)'; deleting the old key")
        CrashPoint.reached("api-key-promote", access.context)
        return try await deleteOldKey(state, admin: admin)
    }

    /// From `promoted`: the new key is current; delete the old one and end the rotation.
    private func deleteOldKey(_ state: RotationState, admin: TwilioAPI) async throws -> String {
        let newSID = state.newKeySID ?? "?"
        var deleted = ""
        if let old = state.oldKeySID, old != newSID {
            do {
                let outcome = try await admin.deleteAPIKey(sid: old)
                deleted =
                    outcome == .deleted ? "; the old key \(old) was deleted" : "; the old key \(old) was already gone"
            } catch {
                throw failure(
                    "the new API key \(newSID) of '\(name)' is current, but the old key \(old) could not be deleted (\(reason(error))): \(resumeHint)",
                    cause: error)
            }
        }
        CrashPoint.reached("api-key-delete-old", access.context)
        try save(nil)
        return "rotated the API key of '\(name)': \(newSID) is current\(deleted)"
    }

    /// The pending key failed verification: delete it, keep the old key current.
    private func abandonAPIKey(_ state: RotationState, admin: TwilioAPI, cause: any Error) async throws
        -> RotationFailure
    {
        var state = state
        state.step = .abandoning
        state.newKeySecret = nil
        try save(state)
        let newSID = state.newKeySID ?? "?"
        let old = state.oldKeySID ?? "the old key"
        let what = "the new API key \(newSID) of '\(name)' was created but could not be verified (\(reason(cause)))"
        do {
            _ = try await admin.deleteAPIKey(sid: newSID)
        } catch {
            return failure(
                "\(what); it could not be deleted (\(reason(error))) and \(old) stays current: \(resumeHint) to delete it",
                cause: cause)
        }
        try save(nil)
        return failure("\(what); it was deleted and \(old) stays current", cause: cause)
    }

    /// The create call failed. After a 4xx nothing exists; otherwise Twilio may have made the
    /// key without the answer arriving, so look for it by its FriendlyName.
    private func failedCreatingKey(_ state: RotationState, admin: TwilioAPI, cause: any Error) async throws
        -> RotationFailure
    {
        let old = state.oldKeySID ?? "the old key"
        let what = "could not create a new API key for '\(name)' (\(reason(cause)))"
        if Self.certainlyNothingCreated(cause) {
            try save(nil)
            return failure("\(what); nothing changed at Twilio and \(old) stays current", cause: cause)
        }
        do {
            let removed = try await deleteKeys(named: RotationState.keyFriendlyName(id: state.id), admin: admin)
            try save(nil)
            let found =
                removed.isEmpty
                ? "Twilio holds no key from it" : "the key \(removed.joined(separator: ", ")) it made was deleted"
            return failure("\(what); \(found) and \(old) stays current", cause: cause)
        } catch {
            return failure(
                "\(what), and whether Twilio made one could not be checked (\(reason(error))); \(old) stays current: \(resumeHint) to clean up",
                cause: cause)
        }
    }

    /// Deletes every key of the account with this FriendlyName; returns their SIDs.
    public func deleteKeys(named friendlyName: String, admin: TwilioAPI) async throws -> [String] {
        var removed: [String] = []
        for key in try await admin.listAPIKeys() where key.friendlyName == friendlyName {
            _ = try await admin.deleteAPIKey(sid: key.sid)
            removed.append(key.sid)
        }
        return removed
    }

    private func resumeAPIKey(_ state: RotationState) async throws -> ResumeOutcome {
        let record = try profile()
        let admin = try endpoints.admin(record, profile: name, purpose: "rotating an API key")
        let old = state.oldKeySID ?? "the old key"
        switch state.step {
        case .creating:
            let removed: [String]
            do {
                removed = try await deleteKeys(named: RotationState.keyFriendlyName(id: state.id), admin: admin)
            } catch {
                throw failure(
                    "could not look for the key of the interrupted API-key rotation of '\(name)' (\(reason(error))); \(old) stays current: \(resumeHint) again later",
                    cause: error)
            }
            try save(nil)
            let found =
                removed.isEmpty
                ? "Twilio held no key from it" : "deleted the key \(removed.joined(separator: ", ")) it left at Twilio"
            return .rolledBack(
                "the interrupted API-key rotation of '\(name)' had not stored its new key: \(found); \(old) is current",
                restart: true)
        case .created:
            return .completed(try await finishAPIKey(state, admin: admin))
        case .promoted, .promoting:
            return .completed(try await deleteOldKey(state, admin: admin))
        case .abandoning:
            let newSID = state.newKeySID ?? "?"
            if state.newKeySID != nil {
                do {
                    _ = try await admin.deleteAPIKey(sid: newSID)
                } catch {
                    throw failure(
                        "the unverified API key \(newSID) of '\(name)' could not be deleted (\(reason(error))); \(old) stays current: \(resumeHint) again later",
                        cause: error)
                }
            }
            try save(nil)
            return .rolledBack(
                "deleted the unverified API key \(newSID) of an earlier rotation of '\(name)'; \(old) is current",
                restart: false)
        }
    }
}

// MARK: - Auth tokens

extension RotationRun {
    public func rotateAuthToken() async throws -> String {
        let record = try profile()
        let admin = try endpoints.admin(record, profile: name, purpose: "rotating the auth token")
        var state = RotationState(id: RotationID.make(), kind: .authToken, step: .creating, startedAt: now)
        try save(state)
        access.context.output.note("recorded auth-token rotation \(state.id) of '\(name)'; creating a secondary token")
        CrashPoint.reached("auth-token-intent", access.context)
        let secondary: String
        do {
            secondary = try await admin.createSecondaryAuthToken()
        } catch {
            throw try await failedCreatingSecondary(state, admin: admin, cause: error)
        }
        CrashPoint.reached("auth-token-create", access.context)
        state.step = .created
        state.newAuthToken = secondary
        try save(state)
        access.context.output.note("stored the secondary token as pending; verifying it")
        CrashPoint.reached("auth-token-store-pending", access.context)
        return try await finishAuthToken(state, admin: admin)
    }

    /// From `created`: verify the secondary token, make it current in the vault (both tokens
    /// work until promotion), record the old one, promote.
    private func finishAuthToken(_ state: RotationState, admin: TwilioAPI) async throws -> String {
        var state = state
        guard let new = state.newAuthToken else {
            throw VaultError.corrupt("the rotation record of '\(name)' lacks its pending auth token")
        }
        let account = admin.accountSID
        do {
            let info = try await endpoints.api(accountSID: account, username: account, password: new).fetchAccount()
            guard info.sid == account else {
                throw RotationFailure("Twilio answered for another account (\(info.sid))", status: .protocolError)
            }
        } catch {
            throw try await abandonAuthToken(state, admin: admin, cause: error)
        }
        CrashPoint.reached("auth-token-verify", access.context)
        state.step = .promoting
        state.oldAuthToken = admin.credentials.password
        // The secondary becomes current before promotion: before it both tokens work, after it
        // only the new one, so the vault holds a working token whenever the process stops.
        try save(state) { $0.authToken = new }
        access.context.output.note("the vault now holds the new token of '\(name)'; asking Twilio to promote it")
        CrashPoint.reached("auth-token-switch", access.context)
        return try await promote(state)
    }

    /// From `promoting`: ask Twilio to promote the secondary, then end the rotation.
    private func promote(_ state: RotationState) async throws -> String {
        guard state.newAuthToken != nil, let old = state.oldAuthToken else {
            throw VaultError.corrupt("the rotation record of '\(name)' lacks its new or old auth token")
        }
        let account = try accountSID()
        let primary: String
        do {
            // As Twilio's examples do: the account SID with the primary (old) token, which
            // works until this call succeeds; the secondary only ever verified itself.
            primary = try await endpoints.api(accountSID: account, username: account, password: old)
                .promoteSecondaryAuthToken(primaryAuthToken: old)
        } catch {
            return try await settlePromotion(state, cause: error)
        }
        CrashPoint.reached("auth-token-promote", access.context)
        return try finishPromotion(primary: primary)
    }

    private func finishPromotion(primary: String?) throws -> String {
        let now = self.now
        try save(nil) { record in
            if let primary { record.authToken = primary }
            record.credentialTimes[CredentialKind.authToken.rawValue] = now
        }
        return "rotated the auth token of '\(name)': Twilio promoted the new token; the old one no longer works"
    }

    /// Promotion failed or its answer was lost. Whether it happened shows in the old token:
    /// it stops working at promotion.
    private func settlePromotion(_ state: RotationState, cause: any Error) async throws -> String {
        let account = try accountSID()
        guard let old = state.oldAuthToken else {
            throw VaultError.corrupt("the rotation record of '\(name)' lacks the old auth token")
        }
        do {
            _ = try await endpoints.api(accountSID: account, username: account, password: old).fetchAccount()
        } catch  where Self.isUnauthorized(error) {
            return try finishPromotion(primary: nil)
        } catch {
            throw failure(
                "promoting the new auth token of '\(name)' failed (\(reason(cause))) and whether Twilio did it could not be checked (\(reason(error))); the vault holds the new token, which works either way: \(resumeHint)",
                cause: cause)
        }
        // The old token still works: Twilio did not promote. Make it current again, then
        // delete the secondary.
        var state = state
        state.step = .abandoning
        try save(state) { $0.authToken = old }
        let admin = try endpoints.api(accountSID: account, username: account, password: old)
        let what = "Twilio did not promote the new auth token of '\(name)' (\(reason(cause)))"
        do {
            _ = try await admin.deleteSecondaryAuthToken()
        } catch {
            throw failure(
                "\(what); the old token is current again, but the new (secondary) token could not be deleted (\(reason(error))): \(resumeHint) to delete it",
                cause: cause)
        }
        try save(nil)
        throw failure("\(what); the new token was deleted and the old one stays current", cause: cause)
    }

    private func abandonAuthToken(_ state: RotationState, admin: TwilioAPI, cause: any Error) async throws
        -> RotationFailure
    {
        var state = state
        state.step = .abandoning
        state.newAuthToken = nil
        try save(state)
        let what =
            "a new auth token (Twilio's secondary) was created for '\(name)' but could not be verified (\(reason(cause)))"
        do {
            _ = try await admin.deleteSecondaryAuthToken()
        } catch {
            return failure(
                "\(what); it could not be deleted (\(reason(error))) and the old token stays current: \(resumeHint) to delete it",
                cause: cause)
        }
        try save(nil)
        return failure("\(what); it was deleted and the old token stays current", cause: cause)
    }

    private func failedCreatingSecondary(_ state: RotationState, admin: TwilioAPI, cause: any Error) async throws
        -> RotationFailure
    {
        let what = "could not create a new auth token for '\(name)' (\(reason(cause)))"
        if Self.certainlyNothingCreated(cause) {
            try save(nil)
            return failure("\(what); nothing changed at Twilio and the old token stays current", cause: cause)
        }
        // The answer may have been lost after Twilio made a secondary token: delete it.
        do {
            _ = try await admin.deleteSecondaryAuthToken()
        } catch {
            return failure(
                "\(what), and a secondary token Twilio may have made could not be deleted (\(reason(error))); the old token stays current: \(resumeHint) to clean up",
                cause: cause)
        }
        try save(nil)
        return failure("\(what); Twilio holds no secondary token and the old token stays current", cause: cause)
    }

    private func accountSID() throws -> String {
        guard let account = try profile().accountSID else {
            throw OperationError.usage("profile '\(name)' has no account SID")
        }
        return account
    }

    private func resumeAuthToken(_ state: RotationState) async throws -> ResumeOutcome {
        let record = try profile()
        switch state.step {
        case .creating, .abandoning:
            let admin = try endpoints.admin(record, profile: name, purpose: "rotating the auth token")
            do {
                _ = try await admin.deleteSecondaryAuthToken()
            } catch {
                throw failure(
                    "could not delete the secondary auth token of the interrupted rotation of '\(name)' (\(reason(error))); the old token stays current: \(resumeHint) again later",
                    cause: error)
            }
            try save(nil)
            let restart = state.step == .creating
            return .rolledBack(
                "the interrupted auth-token rotation of '\(name)' was undone: Twilio holds no secondary token and the old token is current",
                restart: restart)
        case .created:
            let admin = try endpoints.admin(record, profile: name, purpose: "rotating the auth token")
            return .completed(try await finishAuthToken(state, admin: admin))
        case .promoting, .promoted:
            guard let old = state.oldAuthToken, let account = record.accountSID else {
                throw VaultError.corrupt("the rotation record of '\(name)' lacks the old auth token")
            }
            do {
                _ = try await endpoints.api(accountSID: account, username: account, password: old).fetchAccount()
            } catch  where Self.isUnauthorized(error) {
                // The old token no longer works: Twilio promoted the new one.
                return .completed(try finishPromotion(primary: nil))
            } catch {
                throw failure(
                    "could not check whether Twilio promoted the new auth token of '\(name)' (\(reason(error))); the vault holds the new token, which works either way: \(resumeHint) again later",
                    cause: error)
            }
            return .completed(try await promote(state))
        }
    }
}

// MARK: - OAuth refresh tokens and client secrets

extension RotationRun {
    /// A refresh grant; the new refresh token is stored (with its access token) before
    /// anything else happens, since the old one is spent once the request is sent.
    public func rotateRefreshToken() async throws -> String {
        let record = try profile()
        guard record.clientID != nil, record.refreshToken != nil else {
            throw OperationError.usage(
                "profile '\(name)' has no refresh token to rotate: sign in with `twvault login \(name)`")
        }
        let token = try await AccessTokens.exchange(record, profile: name, access: access)
        let stored = try TokenStore.store(token, profile: name, vault: vault, now: now)
        guard stored.refreshTokenReplaced else {
            throw RotationFailure(
                "the token endpoint issued no new refresh token for '\(name)' (the app may not rotate refresh tokens); the current one stays",
                status: .unavailable)
        }
        return "rotated the refresh token of '\(name)'"
    }

    /// Verifies `secret` with a client-credentials exchange, then stores it; the replaced
    /// secret is kept (sealed) until the next rotation.
    public func rotateClientSecret(_ secret: String) async throws -> String {
        let record = try profile()
        guard let clientID = record.clientID else {
            throw OperationError.usage("profile '\(name)' has no OAuth client whose secret could be rotated")
        }
        guard secret != record.clientSecret else {
            throw OperationError.usage("the new client secret of '\(name)' is the one already stored")
        }
        let endpoint = TokenEndpoint(
            url: AccessTokens.tokenURL(record, access: access), transport: try access.context.http.transport())
        let token: TokenResponse
        do {
            token = try await endpoint.clientCredentials(
                clientID: clientID, clientSecret: secret, scope: record.scope, audience: record.audience)
        } catch {
            throw failure(
                "the token endpoint did not accept the new client secret of '\(name)' (\(error.message(profile: name).trimmingCharacters(in: ["."]))); nothing was stored and the current secret stays",
                cause: error)
        }
        let now = self.now
        try TokenStore.store(
            token, profile: name, vault: vault, now: now,
            change: { record in
                record.previousClientSecret = record.clientSecret
                record.clientSecret = secret
                record.credentialTimes[CredentialKind.clientSecret.rawValue] = now
            },
            // A client-credentials profile can use the token the check produced.
            cacheAccessToken: { $0.refreshToken == nil })
        return "rotated the client secret of '\(name)'; the previous one is kept until the next rotation"
    }
}
