import FoundationEssentials
import TwilioAuth
import Vault

/// What every rotation of one profile shares (DESIGN §6): the profile, its vault, the lock
/// that keeps two rotations of it apart, Twilio's endpoints, and the one transaction that
/// stores the `rotation` record together with the profile.
///
/// Make before break: the new credential is created and verified while the old one stays
/// current, and before each remote step whose result must not be lost the `rotation`
/// record says what is about to happen. Whatever instant the process dies at, the profile
/// record holds a credential Twilio accepts, and `resume(_:)` finishes or undoes the rest.
/// The machines themselves are `APIKeyRotation`, `AuthTokenRotation` and `OAuthRotation`.
public struct RotationRun {
    public let name: String
    public let vault: UnlockedVault
    public let access: VaultAccess
    public let endpoints: TwilioEndpoints
    /// The profile's lock, taken by the caller before it read the `rotation` record: kept
    /// alive as long as the run so that no other process rotates or refreshes the profile.
    let lock: ProfileLock

    public init(name: String, vault: UnlockedVault, access: VaultAccess, holding lock: ProfileLock) {
        self.name = name
        self.vault = vault
        self.access = access
        self.lock = lock
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

    /// A step is done: the crash tests may stop the process here.
    func reached(_ step: CrashPoint.Step) { CrashPoint.reached(step, access.context) }

    /// Progress for `--verbose`.
    func note(_ message: some RotationMessage) { access.context.output.note(message.description) }

    // MARK: - Failures

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

    /// A failure that says `message`, with the exit status of `cause`.
    func failure(_ message: some RotationMessage, cause: any Error) -> RotationFailure {
        RotationFailure(message.description, status: RotationFailure.status(causedBy: cause))
    }

    /// The `rotation` record lacks something its step implies.
    func corrupt(_ message: some RotationMessage) -> VaultError { .corrupt(message.description) }

    /// The profile cannot be rotated this way.
    func usage(_ message: some RotationMessage) -> OperationError { .usage(message.description) }

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
        case .apiKey: try await APIKeyRotation(self).resume(state)
        case .authToken: try await AuthTokenRotation(self).resume(state)
        }
    }
}

/// A sentence a rotation says to the user: one line that never contains a secret (key SIDs
/// and rotation ids are not secret; errors are quoted by their one-line descriptions).
protocol RotationMessage: CustomStringConvertible {}

extension RotationMessage {
    /// The one-line description of `error` without its trailing full stop, to quote it.
    func reason(_ error: any Error) -> String { RotationFailure.reason(error) }

    /// The hint of a failure that `--resume` settles.
    func resumeHint(_ profile: String) -> String { "run `twvault rotate \(profile) --resume`" }
}

/// What became of a new credential that a rotation gave up on.
enum RotationCleanup {
    /// Deleted at Twilio.
    case deleted
    /// Still at Twilio: deleting it failed with this error.
    case notDeleted(any Error)
}
