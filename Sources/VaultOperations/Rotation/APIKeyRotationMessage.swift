/// What the API-key rotation says: progress for `--verbose`, results, and failures that say
/// what state Twilio and the vault are in. `oldKey` is nil when the record names no old key.
enum APIKeyRotationMessage: RotationMessage {
    /// What a failed create call left at Twilio.
    enum Leftover {
        /// Twilio refused the call: nothing was made.
        case nothingCreated
        /// The keys found by the rotation's FriendlyName (usually none), now deleted.
        case removed([String])
        /// Whether Twilio made a key could not be checked.
        case unchecked(any Error)
    }

    /// What became of the old key once the new one was current.
    enum OldKeyDeletion {
        /// The record names no old key, or names the new one.
        case skipped
        case deleted(String)
        case alreadyGone(String)
    }

    /// For the error that says the profile cannot manage keys.
    static let purpose = "rotating an API key"

    // Progress.
    case recorded(rotation: String, profile: String)
    case storedPending(key: String)
    case madeCurrent(key: String, profile: String)

    // Results.
    case rotated(profile: String, key: String, oldKey: OldKeyDeletion)
    case rolledBackUnstored(profile: String, removed: [String], oldKey: String?)
    case deletedUnverified(key: String, profile: String, oldKey: String?)

    // Failures.
    case noKeyToRotate(profile: String)
    case lacksPendingKey(profile: String)
    case notCreated(profile: String, oldKey: String?, cause: any Error, leftover: Leftover)
    case unverified(key: String, profile: String, oldKey: String?, cause: any Error, cleanup: RotationCleanup)
    case oldKeyNotDeleted(key: String, profile: String, oldKey: String, error: any Error)
    case lookupFailed(profile: String, oldKey: String?, error: any Error)
    case unverifiedNotDeleted(key: String, profile: String, oldKey: String?, error: any Error)

    var description: String {
        switch self {
        case .recorded(let rotation, let profile):
            return "recorded API-key rotation \(rotation) of '\(profile)'; creating the new key"
        case .storedPending(let key):
            return "stored the new key \(key) as pending; verifying it"
        case .madeCurrent(let key, let profile):
            return "made \(key) the current key of '\(profile)'; deleting the old key"

        case .rotated(let profile, let key, let oldKey):
            let deleted =
                switch oldKey {
                case .skipped: ""
                case .deleted(let old): "; the old key \(old) was deleted"
                case .alreadyGone(let old): "; the old key \(old) was already gone"
                }
            return "rotated the API key of '\(profile)': \(key) is current\(deleted)"
        case .rolledBackUnstored(let profile, let removed, let oldKey):
            let found =
                removed.isEmpty
                ? "Twilio held no key from it" : "deleted the key \(removed.joined(separator: ", ")) it left at Twilio"
            return
                "the interrupted API-key rotation of '\(profile)' had not stored its new key: \(found); \(old(oldKey)) is current"
        case .deletedUnverified(let key, let profile, let oldKey):
            return
                "deleted the unverified API key \(key) of an earlier rotation of '\(profile)'; \(old(oldKey)) is current"

        case .noKeyToRotate(let profile):
            return
                "profile '\(profile)' has no API key to rotate; add one with `twvault update \(profile) --api-key SK…`"
        case .lacksPendingKey(let profile):
            return "the rotation record of '\(profile)' lacks its pending key"
        case .notCreated(let profile, let oldKey, let cause, let leftover):
            let what = "could not create a new API key for '\(profile)' (\(reason(cause)))"
            switch leftover {
            case .nothingCreated:
                return "\(what); nothing changed at Twilio and \(old(oldKey)) stays current"
            case .removed(let removed):
                let found =
                    removed.isEmpty
                    ? "Twilio holds no key from it" : "the key \(removed.joined(separator: ", ")) it made was deleted"
                return "\(what); \(found) and \(old(oldKey)) stays current"
            case .unchecked(let error):
                return
                    "\(what), and whether Twilio made one could not be checked (\(reason(error))); \(old(oldKey)) stays current: \(resumeHint(profile)) to clean up"
            }
        case .unverified(let key, let profile, let oldKey, let cause, let cleanup):
            let what = "the new API key \(key) of '\(profile)' was created but could not be verified (\(reason(cause)))"
            switch cleanup {
            case .deleted:
                return "\(what); it was deleted and \(old(oldKey)) stays current"
            case .notDeleted(let error):
                return
                    "\(what); it could not be deleted (\(reason(error))) and \(old(oldKey)) stays current: \(resumeHint(profile)) to delete it"
            }
        case .oldKeyNotDeleted(let key, let profile, let oldKey, let error):
            return
                "the new API key \(key) of '\(profile)' is current, but the old key \(oldKey) could not be deleted (\(reason(error))): \(resumeHint(profile))"
        case .lookupFailed(let profile, let oldKey, let error):
            return
                "could not look for the key of the interrupted API-key rotation of '\(profile)' (\(reason(error))); \(old(oldKey)) stays current: \(resumeHint(profile)) again later"
        case .unverifiedNotDeleted(let key, let profile, let oldKey, let error):
            return
                "the unverified API key \(key) of '\(profile)' could not be deleted (\(reason(error))); \(old(oldKey)) stays current: \(resumeHint(profile)) again later"
        }
    }

    private func old(_ sid: String?) -> String { sid ?? "the old key" }
}
