import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Named crash points for the crash tests. Compiled into debug builds only: a release
/// binary has no way to stop itself half-way through a rotation.
public enum CrashPoint {
    /// The steps after which a crash can be asked for; the raw values are what
    /// `TWVAULT_TEST_CRASH_AFTER` names (docs/ROTATION.md lists them with their steps).
    public enum Step: String, CaseIterable, Sendable {
        /// API key: the `rotation` record says a key is about to be created.
        case apiKeyIntent = "api-key-intent"
        /// API key: Twilio created the key; the vault does not know it yet.
        case apiKeyCreate = "api-key-create"
        /// API key: the new key is stored as pending.
        case apiKeyStorePending = "api-key-store-pending"
        /// API key: Twilio accepted a call made with the new key.
        case apiKeyVerify = "api-key-verify"
        /// API key: the new key is current in the vault.
        case apiKeyPromote = "api-key-promote"
        /// API key: the old key is deleted at Twilio; the record is still there.
        case apiKeyDeleteOld = "api-key-delete-old"
        /// Auth token: the `rotation` record says a secondary token is about to be created.
        case authTokenIntent = "auth-token-intent"
        /// Auth token: Twilio created the secondary; the vault does not know it yet.
        case authTokenCreate = "auth-token-create"
        /// Auth token: the secondary is stored as pending.
        case authTokenStorePending = "auth-token-store-pending"
        /// Auth token: Twilio accepted a call made with the secondary.
        case authTokenVerify = "auth-token-verify"
        /// Auth token: the vault holds the secondary as current; Twilio has not promoted it.
        case authTokenSwitch = "auth-token-switch"
        /// Auth token: Twilio promoted the secondary; the record is still there.
        case authTokenPromote = "auth-token-promote"
        /// Ephemeral key: Twilio created the key; its ledger entry has no SID yet.
        case ephemeralCreate = "ephemeral-create"
        /// Ephemeral key: the command ended; its key is not deleted yet.
        case ephemeralChildExit = "ephemeral-child-exit"
        /// Sync: the merge is written to the vault; nothing is committed yet.
        case syncApplied = "sync-applied"
        /// Sync: the merged state is committed in the mirror; not pushed yet.
        case syncCommitted = "sync-committed"
        /// Sync: the commit is pushed; the mirror does not record it as merged yet.
        case syncPushed = "sync-pushed"
        /// Rekey: everything is written in the rekey's transaction; it is not committed.
        case rekeyWritten = "rekey-written"
        /// Rekey: committed; the session files and the old ciphertext are not cleared yet.
        case rekeyCommitted = "rekey-committed"
    }

    /// Ends the process at once (like kill -9: no clean-up, no buffered output) when
    /// `TWVAULT_TEST_CRASH_AFTER` names `step`.
    public static func reached(_ step: Step, _ context: Context) {
        #if DEBUG
            if context.environment["TWVAULT_TEST_CRASH_AFTER"] == step.rawValue { _exit(137) }
        #endif
    }
}
