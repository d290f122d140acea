import Foundation
import Vault

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a command as a child (posix_spawn) and waits for it, forwarding SIGINT, SIGTERM and
/// SIGHUP: twvault must outlive the child to clean up after it, so `execve` will not do.
enum ChildProcess {
    static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Runs `argv` (PATH-searched like a shell) with `environment`; returns the exit status to
    /// pass on: the child's, or 128 + the signal that killed it.
    static func run(_ argv: [String], environment: [String: String]) throws -> Int32 {
        let program = try ProcessReplacement.resolve(
            argv[0], path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables {
                if let pointer {
                    memset(pointer, 0, strlen(pointer))
                    free(pointer)
                }
            }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no blocked signals, whatever thread spawns it.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let previous = SignalForwarding.install()
        defer { SignalForwarding.restore(previous) }

        var pid: pid_t = 0
        let spawned = arguments.withUnsafeBufferPointer { argvPointer in
            variables.withUnsafeBufferPointer { envPointer in
                posix_spawn(&pid, program, nil, &attributes, argvPointer.baseAddress!, envPointer.baseAddress!)
            }
        }
        guard spawned == 0 else {
            let message = "cannot run \(Names.printable(argv[0])): \(String(cString: strerror(spawned)))"
            throw CLIError.cannotExecute(message, code: spawned == ENOENT ? 127 : 126)
        }
        SignalForwarding.started(pid)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { break }
        }
        SignalForwarding.started(0)
        let terminatingSignal = status & 0x7f
        if terminatingSignal == 0 { return (status >> 8) & 0xff }
        return 128 + terminatingSignal
    }
}

/// Signal handlers that pass SIGINT, SIGTERM and SIGHUP on to the running child.
///
/// A signal the kernel sends to the terminal's process group (Ctrl-C, hang-up) reaches the
/// child by itself: forwarding it too would deliver it twice. Only signals sent to twvault
/// alone (`kill PID`) are forwarded. Signals twvault inherited as ignored stay ignored, so
/// `nohup twvault exec …` keeps its meaning for the child.
enum SignalForwarding {
    /// The child's pid while it runs; read by the signal handler.
    nonisolated(unsafe) static var child: pid_t = 0
    /// A signal that arrived before the child existed, to deliver once it does.
    nonisolated(unsafe) static var early: Int32 = 0

    static func install() -> [(Int32, sigaction)] {
        child = 0
        early = 0
        var saved: [(Int32, sigaction)] = []
        for signal in ChildProcess.forwardedSignals {
            var old = sigaction()
            sigaction(signal, nil, &old)
            if unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                continue
            }
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = forward
            action.sa_flags = SA_SIGINFO | SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
            saved.append((signal, old))
        }
        return saved
    }

    static func restore(_ saved: [(Int32, sigaction)]) {
        for (signal, old) in saved {
            var old = old
            sigaction(signal, &old, nil)
        }
    }

    static func started(_ pid: pid_t) {
        child = pid
        if pid > 0, early != 0 { kill(pid, early) }
    }

    private static let forward:
        @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = {
            signal, info, _ in
            if let info, info.pointee.si_code == Int32(SI_KERNEL) { return }
            let pid = SignalForwarding.child
            if pid > 0 { kill(pid, signal) } else { SignalForwarding.early = signal }
        }
}
