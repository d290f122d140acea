import NIOConcurrencyHelpers
import TwilioAuth
import TwilioHTTP
import Vault
import VaultCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The outside world an operation sees, passed explicitly: environment, the standard streams
/// and the terminal, output levels, clock, the HTTP transport and process spawning.
///
/// Production builds it from the process (`Context.live`, assembled by the command line);
/// tests build one whose parts they did not provide fail loudly when reached, so no test can
/// read the real home directory, a real terminal or the network by accident.
public struct Context: Sendable {
    public var environment: [String: String]
    public var console: any Console
    public var output: Output
    /// Seconds since 1970.
    public var clock: @Sendable () -> Int64
    public var http: HTTPClientProvider
    public var processes: any ProcessLauncher
    /// The name of the program that started this one (`/proc/PPID/comm`), e.g. `fish`: the
    /// shell whose syntax `export` and `unlock` print when no `--format` is given.
    public var parentProcessName: @Sendable () -> String?

    public init(
        environment: [String: String], console: any Console, clock: @escaping @Sendable () -> Int64,
        http: HTTPClientProvider, processes: any ProcessLauncher,
        parentProcessName: @escaping @Sendable () -> String? = { nil }
    ) {
        self.parentProcessName = parentProcessName
        self.environment = environment
        self.console = console
        self.output = Output(console: console)
        self.clock = clock
        self.http = http
        self.processes = processes
    }

    /// Seconds since 1970.
    public func now() -> Int64 { clock() }

    /// A non-empty environment value.
    public func env(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    public var stdinIsTerminal: Bool { console.isTerminal(.standardInput) }
    public var stdoutIsTerminal: Bool { console.isTerminal(.standardOutput) }

    /// The same context with `--quiet` / `--verbose` applied to its output.
    public func withOutput(quiet: Bool, verbose: Bool) -> Context {
        var copy = self
        copy.output.quiet = quiet
        copy.output.verbose = verbose && !quiet
        return copy
    }

    /// The process environment, read from `environ`: `ProcessInfo` sets up more of Foundation
    /// than a warm `export` needs. Of a name listed twice the first wins, as with `getenv`.
    public static func processEnvironment() -> [String: String] {
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

    /// The name of this process's parent from `/proc`, without the trailing newline.
    public static let procParentName: @Sendable () -> String? = {
        let fd = open("/proc/\(getppid())/comm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        var name = String(decoding: buffer[0..<count], as: UTF8.self)
        while name.last == "\n" { name.removeLast() }
        return name
    }

    /// The wall clock, in whole seconds since 1970.
    public static let systemClock: @Sendable () -> Int64 = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }
}

/// One of the three standard streams.
public enum StandardStream: Int32, Sendable {
    case standardInput = 0
    case standardOutput = 1
    case standardError = 2
}

/// The standard streams and the controlling terminal.
public protocol Console: Sendable {
    /// Writes all of `text` to stdout or stderr, unbuffered.
    func write(_ text: String, to stream: StandardStream)
    func isTerminal(_ stream: StandardStream) -> Bool
    /// All of standard input as bytes (at most `limit`; more is malformed input).
    func readStandardInput(limit: Int) throws -> [UInt8]
    /// A secret typed without echo on the terminal; `noTerminal` when there is none.
    func readSecret(prompt: String, noTerminal: any Error) throws -> SecretBytes
    /// A new secret, typed twice without echo.
    func readNewSecret(prompt: String, confirm: String, noTerminal: any Error) throws -> SecretBytes
    /// A yes/no answer from the terminal; nil when there is no terminal to ask.
    func confirm(_ question: String) -> Bool?
}

/// Messages for people on stderr, results on stdout, with the levels of `--quiet` and
/// `--verbose`.
public struct Output: Sendable {
    public let console: any Console
    public var quiet = false
    public var verbose = false
    /// The keys of the warnings `warnOnce` gave; shared by every copy of this output.
    private let given = NIOLockedValueBox<Set<String>>([])

    public init(console: any Console) { self.console = console }

    public func stdout(_ text: String) { console.write(text, to: .standardOutput) }

    /// One line on stderr, prefixed with the program name. Like every line on stderr, it goes
    /// out with terminal controls and direction overrides escaped: messages carry names and
    /// paths that came from the vault file or the user.
    public func error(_ text: String) { console.write("twvault: \(Names.terminalSafe(text))\n", to: .standardError) }

    /// A warning, unless --quiet.
    public func warn(_ text: String) {
        if !quiet { console.write("twvault: warning: \(Names.terminalSafe(text))\n", to: .standardError) }
    }

    /// A warning given at most once for `key` by this output (one process, in production), even
    /// with --quiet: for what the user must not miss, such as where credentials are sent.
    public func warnOnce(_ key: String, _ text: String) {
        let first = given.withLockedValue { $0.insert(key).inserted }
        if first { console.write("twvault: warning: \(Names.terminalSafe(text))\n", to: .standardError) }
    }

    /// A note for --verbose. Never pass secrets.
    public func note(_ text: String) {
        if verbose { console.write("twvault: \(Names.terminalSafe(text))\n", to: .standardError) }
    }

    /// Progress for people, unless --quiet (stderr, so `$(…)` captures none of it).
    public func info(_ text: String) {
        if !quiet { console.write("\(Names.terminalSafe(text))\n", to: .standardError) }
    }

    /// Shows `text` on one line of a terminal's stderr until `body` ends, then erases it:
    /// feedback during a slow step (a key derivation, a network wait). Nothing when stderr is
    /// not a terminal or with --quiet.
    public func transient<T, Failure: Error>(_ text: String, _ body: () throws(Failure) -> T) throws(Failure) -> T {
        guard !quiet, console.isTerminal(.standardError) else { return try body() }
        console.write("\(text)…", to: .standardError)
        defer { console.write("\r\u{1B}[K", to: .standardError) }
        return try body()
    }

    /// `transient` for an asynchronous step, shown only once it has lasted half a second.
    public func transient<T: Sendable>(_ text: String, _ body: () async throws -> T) async rethrows -> T {
        guard !quiet, console.isTerminal(.standardError) else { return try await body() }
        let console = self.console
        let shown = NIOLockedValueBox(false)
        let timer = Task {
            try await Task.sleep(for: .milliseconds(500))
            shown.withLockedValue { shown in
                console.write("\(text)…", to: .standardError)
                shown = true
            }
        }
        defer {
            timer.cancel()
            shown.withLockedValue { shown in
                if shown { console.write("\r\u{1B}[K", to: .standardError) }
                shown = false
            }
        }
        return try await body()
    }
}

/// The HTTP transport, created on first use so that commands that send no request never start
/// an HTTP client, and shut down before the process exits or replaces itself.
public final class HTTPClientProvider: Sendable {
    private let make: @Sendable () throws -> NIOHTTPTransport
    private let state = NIOLockedValueBox<NIOHTTPTransport?>(nil)

    /// A provider of real HTTP clients with the default limits.
    public static func live() -> HTTPClientProvider {
        HTTPClientProvider { NIOHTTPTransport(limits: HTTPLimits()) }
    }

    /// A provider that throws when reached: for tests that make no request.
    public static func unavailable(_ reason: String = "this test provided no HTTP transport") -> HTTPClientProvider {
        HTTPClientProvider { throw ContextPartMissing(part: "HTTP transport", reason: reason) }
    }

    public init(make: @escaping @Sendable () throws -> NIOHTTPTransport) { self.make = make }

    /// The transport, created on first use.
    public func transport() throws -> NIOHTTPTransport {
        try state.withLockedValue { current in
            if let current { return current }
            let created = try make()
            current = created
            return created
        }
    }

    /// Shuts the client down, if one was created. Afterwards a new one may be created.
    nonisolated(nonsending) public func shutdown() async {
        let current = state.withLockedValue { current in
            defer { current = nil }
            return current
        }
        if let current { await current.shutdown() }
    }
}

/// A part of the context that the caller did not provide was reached.
public struct ContextPartMissing: Error, CustomStringConvertible {
    public init(part: String, reason: String) {
        self.part = part
        self.reason = reason
    }

    public let part: String
    public let reason: String
    public var description: String { "internal error: no \(part) available (\(reason))" }
}

/// Starting other programs: replacing this process (`exec`) or running a child and waiting
/// for it (`exec --ephemeral-key`).
public protocol ProcessLauncher: Sendable {
    /// Replaces this process with `argv` (PATH search as a shell does). Returns only by throwing.
    func replace(_ argv: [String], environment: [String: String]) throws -> Never
    /// Runs `argv` as a child with signals forwarded; its exit status (128 + N for signal N).
    func run(_ argv: [String], environment: [String: String]) throws -> Int32
    /// The file a shell would run for `name` (127/126 errors as a shell reports them).
    func resolve(_ name: String, path: String) throws -> String
    /// Starts `argv` in the background with its output discarded, and does not wait for it.
    func startDetached(_ argv: [String], environment: [String: String]) throws
    /// Runs `argv` (PATH-searched) as a helper with `input` on stdin and waits: its exit
    /// status and what it wrote (for `git`).
    func capture(_ argv: [String], environment: [String: String], input: [UInt8]) throws -> CapturedOutput
}

/// The process's own `execve` and `posix_spawn`.
public struct SystemProcessLauncher: ProcessLauncher {
    /// The user's soft core-file limit, which twvault set to 0 for itself: commands it starts
    /// get the user's limit back (they hold none of twvault's keys).
    let childCoreLimit: UInt64?

    public init(childCoreLimit: UInt64? = nil) { self.childCoreLimit = childCoreLimit }

    public func replace(_ argv: [String], environment: [String: String]) throws -> Never {
        setCoreLimit(childCoreLimit)
        defer { setCoreLimit(0) }
        try ProcessReplacement.execute(argv, environment: environment)
    }

    public func run(_ argv: [String], environment: [String: String]) throws -> Int32 {
        // posix_spawn copies the limits when the child starts; this process stays undumpable
        // (PR_SET_DUMPABLE 0) meanwhile.
        setCoreLimit(childCoreLimit)
        var restored = false
        defer { if !restored { setCoreLimit(0) } }
        return try ChildProcess.run(argv, environment: environment) {
            setCoreLimit(0)
            restored = true
        }
    }

    private func setCoreLimit(_ soft: UInt64?) {
        guard let soft else { return }
        let resource = __rlimit_resource_t(RLIMIT_CORE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return }
        limit.rlim_cur = rlim_t(min(soft, UInt64(limit.rlim_max)))
        _ = setrlimit(resource, &limit)
    }

    public func resolve(_ name: String, path: String) throws -> String {
        try ProcessReplacement.resolve(name, path: path)
    }

    public func startDetached(_ argv: [String], environment: [String: String]) throws {
        try ChildProcess.startDetached(argv, environment: environment)
    }

    public func capture(_ argv: [String], environment: [String: String], input: [UInt8]) throws -> CapturedOutput {
        try ChildProcess.capture(argv, environment: environment, input: input)
    }
}
