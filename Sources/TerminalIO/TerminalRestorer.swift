#if canImport(Glibc)
    import Glibc
#endif

/// Puts the terminal's settings back if a signal ends the process while echo is off;
/// otherwise a Ctrl-C at the passphrase prompt would leave the user's shell without echo.
///
/// Signal handlers cannot capture context, so the saved state lives in globals. They are
/// written only while the handlers are not installed (`arm` writes, then installs;
/// `disarm` uninstalls, then clears), and prompts are not read concurrently.
enum TerminalRestorer {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// Saves the terminal state for the handler, installs it, and returns the replaced
    /// dispositions for `disarm`.
    static func arm(fd: Int32, saved: termios) -> [sigaction] {
        restorerFD = fd
        restorerSaved = saved
        var action = sigaction()
        action.__sigaction_handler.sa_handler = restoreAndReraise
        sigemptyset(&action.sa_mask)
        for signal in signals { sigaddset(&action.sa_mask, signal) }
        action.sa_flags = 0
        var previous: [sigaction] = []
        for signal in signals {
            var old = sigaction()
            _ = sigaction(signal, &action, &old)
            previous.append(old)
        }
        return previous
    }

    /// Puts back the dispositions `arm` replaced, then forgets the terminal.
    static func disarm(_ previous: [sigaction]) {
        for (signal, old) in zip(signals, previous) {
            var old = old
            _ = sigaction(signal, &old, nil)
        }
        restorerFD = -1
    }
}

/// Async-signal-safe: only `tcsetattr`, `signal` and `raise`.
private func restoreAndReraise(_ signal: Int32) {
    if restorerFD >= 0 {
        _ = tcsetattr(restorerFD, TCSANOW, &restorerSaved)
    }
    _ = Glibc.signal(signal, SIG_DFL)
    // Delivered when the handler returns (the signal is blocked while it runs).
    _ = raise(signal)
}

nonisolated(unsafe) private var restorerFD: Int32 = -1
nonisolated(unsafe) private var restorerSaved = termios()
