import FoundationEssentials
import TwilioAuth
import Vault

/// The API-key rotation (docs/ROTATION.md, "API key"): create a key, store it as pending,
/// verify it with a call only it authenticates, make it current, delete the old key. Key
/// management uses the profile's auth token, since standard API keys cannot manage keys.
public struct APIKeyRotation {
    public let run: RotationRun

    public init(_ run: RotationRun) { self.run = run }

    private typealias Message = APIKeyRotationMessage

    private var name: String { run.name }

    public func rotate() async throws -> String {
        let record = try run.profile()
        let admin = try managementClient(record)
        guard let oldSID = record.apiKeySID else { throw run.usage(Message.noKeyToRotate(profile: name)) }
        var state = RotationState(id: RotationID.make(), kind: .apiKey, step: .creating, startedAt: run.now)
        state.oldKeySID = oldSID
        try run.save(state)
        run.note(Message.recorded(rotation: state.id, profile: name))
        run.reached(.apiKeyIntent)
        let key: NewAPIKey
        do {
            key = try await admin.createAPIKey(friendlyName: RotationState.keyFriendlyName(id: state.id))
        } catch {
            throw try await failedCreating(state, admin: admin, cause: error)
        }
        run.reached(.apiKeyCreate)
        state.step = .created
        state.newKeySID = key.sid
        state.newKeySecret = key.secret
        try run.save(state)
        run.note(Message.storedPending(key: key.sid))
        run.reached(.apiKeyStorePending)
        return try await finish(state, admin: admin)
    }

    /// Finishes or undoes the interrupted API-key rotation `state`.
    public func resume(_ state: RotationState) async throws -> RotationRun.ResumeOutcome {
        let admin = try managementClient(try run.profile())
        switch state.step {
        case .creating:
            // Nothing was stored: delete whatever the create call made, then start again.
            let removed: [String]
            do {
                removed = try await deleteKeys(named: RotationState.keyFriendlyName(id: state.id), admin: admin)
            } catch {
                throw run.failure(
                    Message.lookupFailed(profile: name, oldKey: state.oldKeySID, error: error), cause: error)
            }
            try run.save(nil)
            let message = Message.rolledBackUnstored(profile: name, removed: removed, oldKey: state.oldKeySID)
            return .rolledBack(message.description, restart: true)
        case .created:
            return .completed(try await finish(state, admin: admin))
        case .promoted, .promoting:
            return .completed(try await deleteOldKey(state, admin: admin))
        case .abandoning:
            let newSID = state.newKeySID ?? "?"
            if state.newKeySID != nil {
                do {
                    _ = try await admin.deleteAPIKey(sid: newSID)
                } catch {
                    let message = Message.unverifiedNotDeleted(
                        key: newSID, profile: name, oldKey: state.oldKeySID, error: error)
                    throw run.failure(message, cause: error)
                }
            }
            try run.save(nil)
            let message = Message.deletedUnverified(key: newSID, profile: name, oldKey: state.oldKeySID)
            return .rolledBack(message.description, restart: false)
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

    // MARK: - Steps

    /// From `created`: verify the pending key with a call only it authenticates, make it
    /// current, delete the old key.
    private func finish(_ state: RotationState, admin: TwilioAPI) async throws -> String {
        var state = state
        guard let newSID = state.newKeySID, let secret = state.newKeySecret else {
            throw run.corrupt(Message.lacksPendingKey(profile: name))
        }
        do {
            let probe = try run.endpoints.api(accountSID: admin.accountSID, username: newSID, password: secret)
            try await probe.probeMessages()
        } catch {
            throw try await abandon(state, admin: admin, cause: error)
        }
        run.reached(.apiKeyVerify)
        state.step = .promoted
        state.newKeySecret = nil
        let now = run.now
        try run.save(state) { record in
            record.apiKeySID = newSID
            record.apiKeySecret = secret
            record.credentialTimes[CredentialKind.apiKey.rawValue] = now
        }
        run.note(Message.madeCurrent(key: newSID, profile: name))
        run.reached(.apiKeyPromote)
        return try await deleteOldKey(state, admin: admin)
    }

    /// From `promoted`: the new key is current; delete the old one and end the rotation.
    private func deleteOldKey(_ state: RotationState, admin: TwilioAPI) async throws -> String {
        let newSID = state.newKeySID ?? "?"
        var oldKey = Message.OldKeyDeletion.skipped
        if let old = state.oldKeySID, old != newSID {
            do {
                oldKey = try await admin.deleteAPIKey(sid: old) == .deleted ? .deleted(old) : .alreadyGone(old)
            } catch {
                let message = Message.oldKeyNotDeleted(key: newSID, profile: name, oldKey: old, error: error)
                throw run.failure(message, cause: error)
            }
        }
        run.reached(.apiKeyDeleteOld)
        try run.save(nil)
        return Message.rotated(profile: name, key: newSID, oldKey: oldKey).description
    }

    /// The pending key failed verification: delete it, keep the old key current.
    private func abandon(_ state: RotationState, admin: TwilioAPI, cause: any Error) async throws
        -> RotationFailure
    {
        var state = state
        state.step = .abandoning
        state.newKeySecret = nil
        try run.save(state)
        let newSID = state.newKeySID ?? "?"
        func unverified(_ cleanup: RotationCleanup) -> RotationFailure {
            let message = Message.unverified(
                key: newSID, profile: name, oldKey: state.oldKeySID, cause: cause, cleanup: cleanup)
            return run.failure(message, cause: cause)
        }
        do {
            _ = try await admin.deleteAPIKey(sid: newSID)
        } catch {
            return unverified(.notDeleted(error))
        }
        try run.save(nil)
        return unverified(.deleted)
    }

    /// The create call failed. After a 4xx nothing exists; otherwise Twilio may have made the
    /// key without the answer arriving, so look for it by its FriendlyName.
    private func failedCreating(_ state: RotationState, admin: TwilioAPI, cause: any Error) async throws
        -> RotationFailure
    {
        func notCreated(_ leftover: Message.Leftover) -> RotationFailure {
            let message = Message.notCreated(profile: name, oldKey: state.oldKeySID, cause: cause, leftover: leftover)
            return run.failure(message, cause: cause)
        }
        if RotationRun.certainlyNothingCreated(cause) {
            try run.save(nil)
            return notCreated(.nothingCreated)
        }
        do {
            let removed = try await deleteKeys(named: RotationState.keyFriendlyName(id: state.id), admin: admin)
            try run.save(nil)
            return notCreated(.removed(removed))
        } catch {
            return notCreated(.unchecked(error))
        }
    }

    private func managementClient(_ record: ProfileRecord) throws -> TwilioAPI {
        try run.endpoints.admin(record, profile: name, purpose: Message.purpose)
    }
}
