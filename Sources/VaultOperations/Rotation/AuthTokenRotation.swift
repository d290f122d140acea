import FoundationEssentials
import TwilioAuth
import Vault

/// The auth-token rotation (docs/ROTATION.md, "Auth token"): create Twilio's secondary token,
/// store it as pending, verify it, make it current in the vault, then ask Twilio to promote
/// it. Until promotion both tokens work and after it only the new one, so the vault switches
/// first and always holds a working token.
public struct AuthTokenRotation {
    public let run: RotationRun

    public init(_ run: RotationRun) { self.run = run }

    private typealias Message = AuthTokenRotationMessage

    private var name: String { run.name }

    public func rotate() async throws -> String {
        let admin = try managementClient(try run.profile())
        var state = RotationState(id: RotationID.make(), kind: .authToken, step: .creating, startedAt: run.now)
        try run.save(state)
        run.note(Message.recorded(rotation: state.id, profile: name))
        run.reached(.authTokenIntent)
        let secondary: String
        do {
            secondary = try await admin.createSecondaryAuthToken()
        } catch {
            throw try await failedCreating(state, admin: admin, cause: error)
        }
        run.reached(.authTokenCreate)
        state.step = .created
        state.newAuthToken = secondary
        try run.save(state)
        run.note(Message.storedPending)
        run.reached(.authTokenStorePending)
        return try await finish(state, admin: admin)
    }

    /// Finishes or undoes the interrupted auth-token rotation `state`.
    public func resume(_ state: RotationState) async throws -> RotationRun.ResumeOutcome {
        let record = try run.profile()
        switch state.step {
        case .creating, .abandoning:
            let admin = try managementClient(record)
            do {
                _ = try await admin.deleteSecondaryAuthToken()
            } catch {
                throw run.failure(Message.secondaryNotDeleted(profile: name, error: error), cause: error)
            }
            try run.save(nil)
            return .rolledBack(Message.undone(profile: name).description, restart: state.step == .creating)
        case .created:
            return .completed(try await finish(state, admin: try managementClient(record)))
        case .promoting, .promoted:
            guard let old = state.oldAuthToken, let account = record.accountSID else {
                throw run.corrupt(Message.lacksOldToken(profile: name))
            }
            let promoted: Bool
            do {
                promoted = try await hasPromoted(replacing: old, account: account)
            } catch {
                throw run.failure(Message.promotionCheckFailed(profile: name, error: error), cause: error)
            }
            if promoted { return .completed(try finishPromotion(primary: nil)) }
            return .completed(try await promote(state))
        }
    }

    // MARK: - Steps

    /// From `created`: verify the secondary token, make it current in the vault (both tokens
    /// work until promotion), record the old one, promote.
    private func finish(_ state: RotationState, admin: TwilioAPI) async throws -> String {
        var state = state
        guard let new = state.newAuthToken else { throw run.corrupt(Message.lacksPendingToken(profile: name)) }
        let account = admin.accountSID
        do {
            let info = try await run.endpoints.api(accountSID: account, username: account, password: new)
                .fetchAccount()
            guard info.sid == account else {
                throw RotationFailure(Message.answeredForAnotherAccount(info.sid).description, status: .protocolError)
            }
        } catch {
            throw try await abandon(state, admin: admin, cause: error)
        }
        run.reached(.authTokenVerify)
        state.step = .promoting
        state.oldAuthToken = admin.credentials.password
        // The secondary becomes current before promotion: before it both tokens work, after it
        // only the new one, so the vault holds a working token whenever the process stops.
        try run.save(state) { $0.authToken = new }
        run.note(Message.switched(profile: name))
        run.reached(.authTokenSwitch)
        return try await promote(state)
    }

    /// From `promoting`: ask Twilio to promote the secondary, then end the rotation.
    private func promote(_ state: RotationState) async throws -> String {
        guard state.newAuthToken != nil else { throw run.corrupt(Message.lacksNewToken(profile: name)) }
        guard let old = state.oldAuthToken else { throw run.corrupt(Message.lacksOldToken(profile: name)) }
        let account = try accountSID()
        let primary: String
        do {
            primary = try await requestPromotion(account: account, primary: old)
        } catch {
            return try await settlePromotion(state, cause: error)
        }
        run.reached(.authTokenPromote)
        return try finishPromotion(primary: primary)
    }

    /// `POST {accounts}/v1/AuthTokens/Promote`, authenticated as Twilio's examples do: the
    /// account SID with the primary (old) token, which works until this call succeeds; the
    /// secondary only ever verified itself. Returns the new primary.
    private func requestPromotion(account: String, primary: String) async throws -> String {
        try await run.endpoints.api(accountSID: account, username: account, password: primary)
            .promoteSecondaryAuthToken(primaryAuthToken: primary)
    }

    private func finishPromotion(primary: String?) throws -> String {
        let now = run.now
        try run.save(nil) { record in
            if let primary { record.authToken = primary }
            record.credentialTimes[CredentialKind.authToken.rawValue] = now
        }
        return Message.rotated(profile: name).description
    }

    /// Promotion failed or its answer was lost. Whether it happened shows in the old token:
    /// it stops working at promotion.
    private func settlePromotion(_ state: RotationState, cause: any Error) async throws -> String {
        let account = try accountSID()
        guard let old = state.oldAuthToken else { throw run.corrupt(Message.lacksOldToken(profile: name)) }
        let promoted: Bool
        do {
            promoted = try await hasPromoted(replacing: old, account: account)
        } catch {
            throw run.failure(Message.promotionUnchecked(profile: name, cause: cause, error: error), cause: cause)
        }
        if promoted { return try finishPromotion(primary: nil) }
        // The old token still works: Twilio did not promote. Make it current again, then
        // delete the secondary.
        var state = state
        state.step = .abandoning
        try run.save(state) { $0.authToken = old }
        let admin = try run.endpoints.api(accountSID: account, username: account, password: old)
        do {
            _ = try await admin.deleteSecondaryAuthToken()
        } catch {
            throw run.failure(
                Message.notPromoted(profile: name, cause: cause, cleanup: .notDeleted(error)), cause: cause)
        }
        try run.save(nil)
        throw run.failure(Message.notPromoted(profile: name, cause: cause, cleanup: .deleted), cause: cause)
    }

    /// Whether Twilio promoted the secondary: the token it replaces stops working (401) then.
    /// Any other failure of the check is thrown.
    private func hasPromoted(replacing old: String, account: String) async throws -> Bool {
        do {
            _ = try await run.endpoints.api(accountSID: account, username: account, password: old).fetchAccount()
            return false
        } catch  where RotationRun.isUnauthorized(error) {
            return true
        }
    }

    /// The secondary failed verification: delete it, keep the old token current.
    private func abandon(_ state: RotationState, admin: TwilioAPI, cause: any Error) async throws
        -> RotationFailure
    {
        var state = state
        state.step = .abandoning
        state.newAuthToken = nil
        try run.save(state)
        do {
            _ = try await admin.deleteSecondaryAuthToken()
        } catch {
            return run.failure(
                Message.unverified(profile: name, cause: cause, cleanup: .notDeleted(error)), cause: cause)
        }
        try run.save(nil)
        return run.failure(Message.unverified(profile: name, cause: cause, cleanup: .deleted), cause: cause)
    }

    /// The create call failed. After a 4xx nothing exists; otherwise the answer may have been
    /// lost after Twilio made a secondary token, so delete it.
    private func failedCreating(_ state: RotationState, admin: TwilioAPI, cause: any Error) async throws
        -> RotationFailure
    {
        if RotationRun.certainlyNothingCreated(cause) {
            try run.save(nil)
            return run.failure(Message.notCreated(profile: name, cause: cause, leftover: .nothingCreated), cause: cause)
        }
        do {
            _ = try await admin.deleteSecondaryAuthToken()
        } catch {
            let message = Message.notCreated(profile: name, cause: cause, leftover: .notDeleted(error))
            return run.failure(message, cause: cause)
        }
        try run.save(nil)
        return run.failure(Message.notCreated(profile: name, cause: cause, leftover: .deleted), cause: cause)
    }

    private func accountSID() throws -> String {
        guard let account = try run.profile().accountSID else { throw run.usage(Message.noAccountSID(profile: name)) }
        return account
    }

    private func managementClient(_ record: ProfileRecord) throws -> TwilioAPI {
        try run.endpoints.admin(record, profile: name, purpose: Message.purpose)
    }
}
