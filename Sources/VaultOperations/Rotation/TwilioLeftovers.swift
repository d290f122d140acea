import TwilioAuth
import Vault

/// Credentials at Twilio that only a profile's records know of — an unfinished rotation, the
/// API keys of `exec --ephemeral-key` runs that were killed — settled before `remove` or
/// `add --force` or `import dotenv --force` deletes those records (DESIGN §4: a Twilio credential is never orphaned
/// silently).
///
/// The rotation is finished or undone by `rotate --resume`'s code; the keys are deleted. When
/// Twilio cannot be reached (or answers with anything but a refusal), the command is refused
/// with 75 and nothing is deleted, so it can simply be run again. When Twilio refuses (4xx: the
/// profile's auth token no longer works) or the profile lacks the auth token that manages keys,
/// waiting would not help: the command goes on and says, on stderr even with `--quiet`, what is
/// left at Twilio to delete by hand.
public enum TwilioLeftovers {
    /// What the refused command would have done, for its message.
    public struct Purpose: Sendable {
        /// "removed", "replaced".
        let done: String
        /// The command to run again, e.g. `twvault remove p`.
        let retry: String

        public static func remove(_ profile: String) -> Purpose {
            Purpose(done: "removed", retry: "twvault remove \(profile)")
        }

        /// `command` is the replacing command line to run again (default `twvault add p --force`).
        public static func replace(_ profile: String, by command: String? = nil) -> Purpose {
            Purpose(done: "replaced", retry: command ?? "twvault add \(profile) --force")
        }
    }

    /// Settles the leftovers of `profile` and returns its lock, to hold until the records are
    /// gone so that no rotation or ephemeral key of it starts meanwhile. Checks the vault MAC
    /// before any request.
    public static func settle(
        profile name: String, vault: UnlockedVault, access: VaultAccess, purpose: Purpose
    ) async throws -> ProfileLock {
        let lock = try ProfileLock(vaultPath: vault.file.path, profile: name)
        let rotation = try vault.record(RotationState.self, profile: name, kind: .rotation)
        let ledger = try vault.record(EphemeralKeyLedger.self, profile: name, kind: .ephemeralKeys)
        guard rotation != nil || !(ledger?.keys.isEmpty ?? true) else { return lock }
        try vault.checkIntegrity()

        if let rotation {
            let run = RotationRun(name: name, vault: vault, access: access, holding: lock)
            let what = "the interrupted \(rotation.kind.rawValue) rotation \(rotation.id) of '\(name)'"
            do {
                switch try await run.resume(rotation) {
                case .completed(let message): access.context.output.info("finished an interrupted rotation: \(message)")
                case .rolledBack(let message, _): access.context.output.info(message)
                }
            } catch {
                try handle(
                    error, purpose: purpose, access: access, failed: "could not settle \(what) at Twilio",
                    leftBehind: rotation.kind == .apiKey
                        ? "an API key named \(RotationState.keyFriendlyName(id: rotation.id)) may remain at Twilio"
                        : "a secondary auth token may remain at Twilio")
            }
        }

        for entry in ledger?.keys ?? [] {
            let key = entry.keySID ?? entry.friendlyName
            let what = "the ephemeral API key \(key) of '\(name)'"
            // A held lock means its `exec` is still running the command that uses the key.
            guard
                let entryLock = try? ProfileLock(
                    vaultPath: vault.file.path, profile: EphemeralKeys.lockName(entry), timeoutMilliseconds: 0)
            else {
                throw OperationError.temporary(
                    "\(what) is in use by a running `twvault exec`; nothing was \(purpose.done): run `\(purpose.retry)` again once it has ended"
                )
            }
            defer { withExtendedLifetime(entryLock) {} }
            // Read again: a rotation settled above may have changed the auth token.
            let record = try vault.profile(name)
            guard record.accountSID != nil, record.authToken != nil else {
                access.context.output.warnOnce(
                    "leftover:\(entry.id)",
                    "\(what) cannot be deleted without the profile's auth token: delete it in the Twilio console")
                continue
            }
            do {
                try await EphemeralKeys.delete(entry, profile: name, record: record, vault: vault, access: access)
                access.context.output.info("deleted the leftover ephemeral API key \(key) of '\(name)'")
            } catch {
                try handle(
                    error, purpose: purpose, access: access, failed: "could not delete \(what) at Twilio",
                    leftBehind: "delete \(key) in the Twilio console")
            }
        }
        return lock
    }

    /// Refuses the command (75), unless Twilio refused: then warns and lets it go on. Damage to
    /// the vault is passed on as it is.
    private static func handle(
        _ error: any Error, purpose: Purpose, access: VaultAccess, failed: String, leftBehind: String
    ) throws {
        if error is VaultError { throw error }
        let reason = RotationFailure.reason(error)
        if RotationFailure.status(causedBy: error) == .unavailable {
            access.context.output.warnOnce("leftover:\(failed)", "\(failed) (\(reason)): \(leftBehind)")
            return
        }
        throw OperationError.temporary(
            "\(failed) (\(reason)); nothing was \(purpose.done): run `\(purpose.retry)` again when Twilio can be reached"
        )
    }
}
