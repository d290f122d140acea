#if canImport(Glibc)
    import Glibc
#endif

/// Why a secret could not be read from the terminal.
public enum TerminalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// There is no controlling terminal (`/dev/tty` cannot be opened, or is not a tty).
    /// The command layer maps this to exit 77 at once, so scripts never hang.
    case noTerminal
    /// The user ended input (Ctrl-D) before typing anything.
    case endOfInput
    /// The line was longer than a terminal in canonical mode can deliver.
    case inputTooLong
    /// The two entries of a new secret differed.
    case confirmationMismatch
    /// A system call failed; `call` names it, `errno` is its error number.
    case systemCall(call: String, errno: Int32)

    public var description: String {
        switch self {
        case .noTerminal:
            "no terminal to prompt on; provide the passphrase with TWVAULT_PASSPHRASE_FILE, --passphrase-file or --passphrase-fd"
        case .endOfInput:
            "input ended before a value was entered"
        case .inputTooLong:
            "the entered value is too long for a terminal line"
        case .confirmationMismatch:
            "the two entries do not match; try again"
        case .systemCall(let call, let code):
            "\(call) failed on the terminal: \(String(cString: strerror(code)))"
        }
    }
}
