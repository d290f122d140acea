/// What the auth-token rotation says: progress for `--verbose`, results, and failures that
/// say which token Twilio and the vault hold.
enum AuthTokenRotationMessage: RotationMessage {
    /// What became of a secondary token a failed create call may have made.
    enum Leftover {
        /// Twilio refused the call: nothing was made.
        case nothingCreated
        /// Deleted at Twilio (or there was none).
        case deleted
        /// Deleting it failed with this error.
        case notDeleted(any Error)
    }

    /// For the error that says the profile cannot manage tokens.
    static let purpose = "rotating the auth token"

    // Progress.
    case recorded(rotation: String, profile: String)
    case storedPending
    case switched(profile: String)

    // Results.
    case rotated(profile: String)
    case undone(profile: String)

    // Failures.
    case noAccountSID(profile: String)
    case lacksPendingToken(profile: String)
    case lacksNewToken(profile: String)
    case lacksOldToken(profile: String)
    case answeredForAnotherAccount(String)
    case notCreated(profile: String, cause: any Error, leftover: Leftover)
    case unverified(profile: String, cause: any Error, cleanup: RotationCleanup)
    case promotionUnchecked(profile: String, cause: any Error, error: any Error)
    case notPromoted(profile: String, cause: any Error, cleanup: RotationCleanup)
    case secondaryNotDeleted(profile: String, error: any Error)
    case promotionCheckFailed(profile: String, error: any Error)

    var description: String {
        switch self {
        case .recorded(let rotation, let profile):
            return "recorded auth-token rotation \(rotation) of '\(profile)'; creating a secondary token"
        case .storedPending:
            return "stored the secondary token as pending; verifying it"
        case .switched(let profile):
            return "the vault now holds the new token of '\(profile)'; asking Twilio to promote it"

        case .rotated(let profile):
            return "rotated the auth token of '\(profile)': Twilio promoted the new token; the old one no longer works"
        case .undone(let profile):
            return
                "the interrupted auth-token rotation of '\(profile)' was undone: Twilio holds no secondary token and the old token is current"

        case .noAccountSID(let profile):
            return "profile '\(profile)' has no account SID"
        case .lacksPendingToken(let profile):
            return "the rotation record of '\(profile)' lacks its pending auth token"
        case .lacksNewToken(let profile):
            return "the rotation record of '\(profile)' lacks its new auth token"
        case .lacksOldToken(let profile):
            return "the rotation record of '\(profile)' lacks the old auth token"
        case .answeredForAnotherAccount(let account):
            return "Twilio answered for another account (\(account))"
        case .notCreated(let profile, let cause, let leftover):
            let what = "could not create a new auth token for '\(profile)' (\(reason(cause)))"
            switch leftover {
            case .nothingCreated:
                return "\(what); nothing changed at Twilio and the old token stays current"
            case .deleted:
                return "\(what); Twilio holds no secondary token and the old token stays current"
            case .notDeleted(let error):
                return
                    "\(what), and a secondary token Twilio may have made could not be deleted (\(reason(error))); the old token stays current: \(resumeHint(profile)) to clean up"
            }
        case .unverified(let profile, let cause, let cleanup):
            let what =
                "a new auth token (Twilio's secondary) was created for '\(profile)' but could not be verified (\(reason(cause)))"
            switch cleanup {
            case .deleted:
                return "\(what); it was deleted and the old token stays current"
            case .notDeleted(let error):
                return
                    "\(what); it could not be deleted (\(reason(error))) and the old token stays current: \(resumeHint(profile)) to delete it"
            }
        case .promotionUnchecked(let profile, let cause, let error):
            return
                "promoting the new auth token of '\(profile)' failed (\(reason(cause))) and whether Twilio did it could not be checked (\(reason(error))); the vault holds the new token, which works either way: \(resumeHint(profile))"
        case .notPromoted(let profile, let cause, let cleanup):
            let what = "Twilio did not promote the new auth token of '\(profile)' (\(reason(cause)))"
            switch cleanup {
            case .deleted:
                return "\(what); the new token was deleted and the old one stays current"
            case .notDeleted(let error):
                return
                    "\(what); the old token is current again, but the new (secondary) token could not be deleted (\(reason(error))): \(resumeHint(profile)) to delete it"
            }
        case .secondaryNotDeleted(let profile, let error):
            return
                "could not delete the secondary auth token of the interrupted rotation of '\(profile)' (\(reason(error))); the old token stays current: \(resumeHint(profile)) again later"
        case .promotionCheckFailed(let profile, let error):
            return
                "could not check whether Twilio promoted the new auth token of '\(profile)' (\(reason(error))); the vault holds the new token, which works either way: \(resumeHint(profile)) again later"
        }
    }
}
