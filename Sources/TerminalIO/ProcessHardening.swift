#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide protections applied first thing at start-up.
public enum ProcessHardening {
    /// What `apply()` did.
    public struct Applied: Sendable {
        /// The names of the calls that failed (for `--verbose`).
        public var failed: [String] = []
        /// The user's soft core-file limit before `apply()`, for the commands twvault starts.
        public var originalCoreSoftLimit: UInt64?
    }

    /// Applies every protection; each is best effort, since a failure must not stop the tool.
    ///
    /// - `umask(077)`: files and directories the vault creates are private from birth,
    ///   with no window in which another user could open them.
    /// - `setrlimit(RLIMIT_CORE)` with a soft limit of 0: a crash never writes keys or
    ///   passphrases to a core file. The hard limit stays, so the user's own limit can be given
    ///   back to the commands twvault starts (`Applied.originalCoreSoftLimit`).
    /// - `prctl(PR_SET_DUMPABLE, 0)`: other processes of the same user cannot ptrace the
    ///   process or read `/proc/<pid>/mem`, and no core dump is made (this also makes
    ///   `/proc/self` owned by root, which twvault does not need).
    @discardableResult
    public static func apply() -> Applied {
        var applied = Applied()
        umask(0o077)
        var original = rlimit()
        if getrlimit(coreLimitResource, &original) == 0 {
            applied.originalCoreSoftLimit = UInt64(original.rlim_cur)
        }
        var noCore = rlimit(rlim_cur: 0, rlim_max: original.rlim_max)
        if setrlimit(coreLimitResource, &noCore) != 0 { applied.failed.append("setrlimit(RLIMIT_CORE)") }
        #if os(Linux)
            if systemPrctl(prSetDumpable, 0, 0, 0, 0) != 0 { applied.failed.append("prctl(PR_SET_DUMPABLE)") }
        #endif
        return applied
    }

    #if os(Linux)
        /// Whether the process may be dumped or traced by its user: 1 normally, 0 after `apply()`.
        /// The corresponding C call is `prctl(PR_GET_DUMPABLE)`.
        static var isDumpable: Bool { systemPrctl(prGetDumpable, 0, 0, 0, 0) == 1 }

        /// From `<linux/prctl.h>`, which the Glibc module does not import.
        private static let prGetDumpable: Int32 = 3
        private static let prSetDumpable: Int32 = 4
    #endif

    /// Glibc imports `RLIMIT_CORE` as an enum case of `__rlimit_resource`; setrlimit wants the raw value.
    private static var coreLimitResource: __rlimit_resource_t {
        #if os(Linux)
            __rlimit_resource_t(RLIMIT_CORE.rawValue)
        #else
            RLIMIT_CORE
        #endif
    }
}

#if os(Linux)
    /// glibc's `prctl`, which the Glibc module does not import (`<sys/prctl.h>` is not in its
    /// umbrella) and which this target cannot reach through a C shim of its own. It is declared
    /// variadic in C; on the Linux x86_64 and arm64 ABIs integer arguments are passed the same
    /// way to variadic and fixed-argument functions, so a fixed five-argument call is sound.
    @_silgen_name("prctl")
    private func systemPrctl(_ option: Int32, _ arg2: UInt, _ arg3: UInt, _ arg4: UInt, _ arg5: UInt) -> Int32
#endif
