#if canImport(Glibc)
    import Glibc
#endif

/// Whether the standard streams are terminals, for decisions such as "warn when
/// `export` prints secrets to a terminal" or "ask for confirmation only on a terminal".
enum StandardStreams {
    /// Standard input is a terminal. The corresponding C function is `isatty(0)`.
    static var inputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    /// Standard output is a terminal. The corresponding C function is `isatty(1)`.
    static var outputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    /// Standard error is a terminal. The corresponding C function is `isatty(2)`.
    static var errorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Whether file descriptor `fd` is a terminal. The corresponding C function is `isatty`.
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
}
