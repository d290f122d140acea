import SystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// Reads secrets from the controlling terminal with echo turned off.
///
/// The prompt goes to `/dev/tty`, never to stdout, because `eval "$(twvault unlock)"`
/// captures stdout. The returned bytes are a plain array so that the caller can copy
/// them into its secret type (the vault's `SecretBytes`) and then zero the array; the
/// internal read buffer is wiped before it is freed.
public enum SecretPrompt {
    /// The longest line a Linux terminal delivers in canonical mode (N_TTY_BUF_SIZE - 1).
    static let maximumLength = 4095

    /// Shows `prompt` on the terminal and reads one line without echo.
    ///
    /// Echo is off (ECHO cleared, ECHONL set so the user sees the line end) only while
    /// reading; the previous settings are restored on return, on error, and on SIGINT,
    /// SIGTERM, SIGHUP or SIGQUIT, after which the signal's default action runs.
    /// - Returns: the line without its trailing newline. The caller copies and zeroes it.
    /// - Throws: `TerminalError.noTerminal` at once when there is no terminal.
    public static func read(prompt: String) throws(TerminalError) -> [UInt8] {
        try read(prompt: prompt, device: "/dev/tty")
    }

    /// Asks for a new secret twice and returns it when both entries are equal.
    /// - Throws: `TerminalError.confirmationMismatch` when they differ (both are wiped).
    public static func readNew(prompt: String, confirm: String) throws(TerminalError) -> [UInt8] {
        try readNew(prompt: prompt, confirm: confirm, device: "/dev/tty")
    }

    static func readNew(prompt: String, confirm: String, device: String) throws(TerminalError) -> [UInt8] {
        var first = try read(prompt: prompt, device: device)
        var second: [UInt8]
        do {
            second = try read(prompt: confirm, device: device)
        } catch {
            wipe(&first)
            throw error
        }
        defer { wipe(&second) }
        guard equalInConstantTime(first, second) else {
            wipe(&first)
            throw .confirmationMismatch
        }
        return first
    }

    /// `read(prompt:)` on any terminal device; tests pass a pseudo-terminal here.
    static func read(prompt: String, device: String) throws(TerminalError) -> [UInt8] {
        let fd = open(device, O_RDWR | O_NOCTTY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            switch code {
            case ENXIO, ENODEV, ENOENT, ENOTTY, EACCES: throw .noTerminal
            default: throw .systemCall(call: "open", errno: code)
            }
        }
        defer { close(fd) }
        guard isatty(fd) == 1 else { throw .noTerminal }

        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { throw .systemCall(call: "tcgetattr", errno: errno) }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        quiet.c_lflag |= tcflag_t(ECHONL) | tcflag_t(ICANON)

        let previousActions = TerminalRestorer.arm(fd: fd, saved: saved)
        defer { TerminalRestorer.disarm(previousActions) }
        // TCSAFLUSH drops type-ahead, which was typed while echo was still on.
        guard tcsetattr(fd, TCSAFLUSH, &quiet) == 0 else { throw .systemCall(call: "tcsetattr", errno: errno) }
        defer { _ = tcsetattr(fd, TCSAFLUSH, &saved) }

        try writeAll(fd, Array(prompt.utf8))
        return try readLine(fd)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(TerminalError) {
        let failure = bytes.withUnsafeBytes { SystemCall.writeAll(fd, $0) }
        if failure != 0 { throw .systemCall(call: "write", errno: failure) }
    }

    private static func readLine(_ fd: Int32) throws(TerminalError) -> [UInt8] {
        let capacity = maximumLength + 1
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
        defer {
            explicit_bzero(buffer.baseAddress!, capacity)
            buffer.deallocate()
        }
        var count = 0
        while true {
            if count == capacity { throw .inputTooLong }
            let got = SystemCall.retrying { Glibc.read(fd, buffer.baseAddress! + count, capacity - count) }
            if got < 0 { throw .systemCall(call: "read", errno: errno) }
            if got == 0 {
                if count == 0 { throw .endOfInput }
                break
            }
            count += got
            if buffer[count - 1] == UInt8(ascii: "\n") {
                count -= 1
                break
            }
        }
        if count > maximumLength { throw .inputTooLong }
        return Array(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    /// Zeroes `bytes` in place; the compiler may not elide `explicit_bzero`.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { explicit_bzero(base, buffer.count) }
        }
    }

    private static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
