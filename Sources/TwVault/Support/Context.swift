import Foundation
import Vault

#if canImport(Glibc)
    import Glibc
#endif

/// The outside world a command sees: environment, standard streams, terminal, clock.
/// Production builds it from the process; everything a command touches goes through it.
public struct CommandContext: Sendable {
    public var environment: [String: String]
    /// Seconds since 1970.
    public var now: @Sendable () -> Int64
    public var stdinIsTerminal: Bool
    public var stdoutIsTerminal: Bool

    public static func live() -> CommandContext {
        CommandContext(
            environment: processEnvironment(),
            now: { Int64(Date().timeIntervalSince1970) },
            stdinIsTerminal: isatty(0) == 1,
            stdoutIsTerminal: isatty(1) == 1)
    }

    /// The process environment, read from `environ`: `ProcessInfo` sets up more of Foundation
    /// than a warm `export` needs. Of a name listed twice the first wins, as with `getenv`.
    static func processEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) {
                let name = String(text[..<equals])
                if environment[name] == nil { environment[name] = String(text[text.index(after: equals)...]) }
            }
            entry += 1
        }
        return environment
    }

    @TaskLocal public static var current = CommandContext.live()

    /// A non-empty environment value.
    public func env(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }
}

/// Writes to the standard streams without buffering surprises: everything written is on its
/// way before a later `execve` replaces the process.
public enum Output {
    nonisolated(unsafe) static var quiet = false
    nonisolated(unsafe) static var verbose = false

    public static func stdout(_ text: String) { write(1, text) }

    /// One line on stderr, prefixed with the program name.
    /// Like every line on stderr, it goes out with terminal controls and direction overrides
    /// escaped: messages carry names and paths that came from the vault file or the user.
    public static func error(_ text: String) { write(2, "twvault: \(Names.terminalSafe(text))\n") }

    /// A warning, unless --quiet.
    public static func warn(_ text: String) {
        if !quiet { write(2, "twvault: warning: \(Names.terminalSafe(text))\n") }
    }

    /// A note for --verbose. Never pass secrets.
    public static func note(_ text: String) {
        if verbose { write(2, "twvault: \(Names.terminalSafe(text))\n") }
    }

    /// Progress for people, unless --quiet (stderr, so `$(…)` captures none of it).
    public static func info(_ text: String) {
        if !quiet { write(2, "\(Names.terminalSafe(text))\n") }
    }

    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
