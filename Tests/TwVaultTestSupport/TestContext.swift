import NIOConcurrencyHelpers
import TwilioAuth
import VaultCrypto
import VaultOperations

#if canImport(Glibc)
    import Glibc
#endif

/// A console for tests: stdin is given, stdout and stderr are recorded, terminal answers are
/// scripted. A prompt the test did not script fails loudly instead of reading a real terminal.
public final class TestConsole: Console, @unchecked Sendable {
    private let lock = NIOLockedValueBox(State())

    struct State {
        var stdin: [UInt8]? = nil
        var stdout = ""
        var stderr = ""
        var terminals: Set<Int32> = []
        var secrets: [String] = []
        var answers: [Bool] = []
        var prompts: [String] = []
        var finished = false
        var waiters: [Waiter] = []
    }

    struct Waiter {
        var condition: @Sendable (String) -> Bool
        var continuation: CheckedContinuation<String, Never>
    }

    /// `stdin` nil means standard input is closed (`/dev/null`); `terminal` lists the streams
    /// that are terminals; `secrets` answer the no-echo prompts in order; `answers` the
    /// yes/no questions.
    public init(
        stdin: String? = nil, terminal: Set<StandardStream> = [], secrets: [String] = [], answers: [Bool] = []
    ) {
        lock.withLockedValue { state in
            state.stdin = stdin.map { Array($0.utf8) }
            state.terminals = Set(terminal.map(\.rawValue))
            state.secrets = secrets
            state.answers = answers
        }
    }

    public var stdout: String { lock.withLockedValue { $0.stdout } }
    public var stderr: String { lock.withLockedValue { $0.stderr } }
    /// Every prompt and question shown, in order.
    public var prompts: [String] { lock.withLockedValue { $0.prompts } }

    public func write(_ text: String, to stream: StandardStream) {
        let ready = lock.withLockedValue { state in
            if stream == .standardOutput { state.stdout += text } else { state.stderr += text }
            return Self.takeReady(&state)
        }
        for (waiter, text) in ready { waiter.continuation.resume(returning: text) }
    }

    /// Waits until stderr satisfies `condition`, or until `finish()` says the command ended,
    /// and returns stderr as it is then: for a test that acts while a command runs (a browser
    /// following the URL that `login` printed).
    public func standardError(when condition: @escaping @Sendable (String) -> Bool) async -> String {
        await withCheckedContinuation { continuation in
            let ready = lock.withLockedValue { state in
                state.waiters.append(Waiter(condition: condition, continuation: continuation))
                return Self.takeReady(&state)
            }
            for (waiter, text) in ready { waiter.continuation.resume(returning: text) }
        }
    }

    /// Marks the command as ended: every waiter gets stderr as it is.
    public func finish() {
        let ready = lock.withLockedValue { state in
            state.finished = true
            return Self.takeReady(&state)
        }
        for (waiter, text) in ready { waiter.continuation.resume(returning: text) }
    }

    private static func takeReady(_ state: inout State) -> [(Waiter, String)] {
        let text = state.stderr
        let finished = state.finished
        var ready: [(Waiter, String)] = []
        state.waiters.removeAll { waiter in
            guard finished || waiter.condition(text) else { return false }
            ready.append((waiter, text))
            return true
        }
        return ready
    }

    public func isTerminal(_ stream: StandardStream) -> Bool {
        lock.withLockedValue { $0.terminals.contains(stream.rawValue) }
    }

    public func readStandardInput(limit: Int) throws -> [UInt8] {
        try lock.withLockedValue { state in
            guard let bytes = state.stdin else { return [] }
            guard bytes.count <= limit else {
                throw OperationError.malformedInput("stdin is larger than \(limit / 1024) KiB")
            }
            state.stdin = []
            return bytes
        }
    }

    public func readSecret(prompt: String, noTerminal: any Error) throws -> SecretBytes {
        try lock.withLockedValue { state in
            state.prompts.append(prompt)
            guard state.terminals.contains(0) || !state.secrets.isEmpty else { throw noTerminal }
            guard !state.secrets.isEmpty else {
                throw ContextPartMissing(part: "scripted secret", reason: "the test gave no answer for '\(prompt)'")
            }
            return SecretBytes(utf8: state.secrets.removeFirst())
        }
    }

    public func readNewSecret(prompt: String, confirm: String, noTerminal: any Error) throws -> SecretBytes {
        let first = try readSecret(prompt: prompt, noTerminal: noTerminal)
        let second = try readSecret(prompt: confirm, noTerminal: noTerminal)
        guard first.withUnsafeBytes({ a in second.withUnsafeBytes { b in Array(a) == Array(b) } }) else {
            throw OperationError.usage("the two entries differ: nothing was changed")
        }
        return first
    }

    public func confirm(_ question: String) -> Bool? {
        lock.withLockedValue { state in
            state.prompts.append(question)
            guard state.terminals.contains(0) else { return nil }
            return state.answers.isEmpty ? false : state.answers.removeFirst()
        }
    }
}

/// Process spawning for tests: records what would have been run. `replace` ends the command
/// as `execve` would (status 0); `run` answers with `childStatus`, or runs `child` in the
/// child's place (on the command's thread, while the command waits) and answers with its
/// status.
public final class RecordingLauncher: ProcessLauncher, @unchecked Sendable {
    public struct Launch: Sendable {
        public var argv: [String]
        public var environment: [String: String]
        public var replaced: Bool
    }

    private let launches = NIOLockedValueBox<[Launch]>([])
    private let childStatus: Int32
    private let child: (@Sendable (Launch) -> Int32)?

    public init(childStatus: Int32 = 0, child: (@Sendable (Launch) -> Int32)? = nil) {
        self.childStatus = childStatus
        self.child = child
    }

    public var recorded: [Launch] { launches.withLockedValue { $0 } }

    public func replace(_ argv: [String], environment: [String: String]) throws -> Never {
        _ = try resolve(argv[0], path: environment["PATH"] ?? "/usr/bin:/bin")
        launches.withLockedValue { $0.append(Launch(argv: argv, environment: environment, replaced: true)) }
        throw ProcessEnded(status: 0)
    }

    public func run(_ argv: [String], environment: [String: String]) throws -> Int32 {
        _ = try resolve(argv[0], path: environment["PATH"] ?? "/usr/bin:/bin")
        let launch = Launch(argv: argv, environment: environment, replaced: false)
        launches.withLockedValue { $0.append(launch) }
        return child?(launch) ?? childStatus
    }

    public func resolve(_ name: String, path: String) throws -> String {
        try SystemProcessLauncher().resolve(name, path: path)
    }

    public func startDetached(_ argv: [String], environment: [String: String]) throws {
        launches.withLockedValue { $0.append(Launch(argv: argv, environment: environment, replaced: false)) }
    }

    /// Recorded, then refused: a test that needs a helper's output runs the real one.
    public func capture(_ argv: [String], environment: [String: String], input: [UInt8]) throws -> CapturedOutput {
        launches.withLockedValue { $0.append(Launch(argv: argv, environment: environment, replaced: false)) }
        throw NoProcesses.missing()
    }
}

/// A launcher for tests that start no process: any attempt fails loudly.
public struct NoProcesses: ProcessLauncher {
    public init() {}
    static func missing() -> ContextPartMissing {
        ContextPartMissing(part: "process launcher", reason: "this test starts no process")
    }
    public func replace(_ argv: [String], environment: [String: String]) throws -> Never { throw Self.missing() }
    public func run(_ argv: [String], environment: [String: String]) throws -> Int32 { throw Self.missing() }
    public func resolve(_ name: String, path: String) throws -> String { throw Self.missing() }
    public func startDetached(_ argv: [String], environment: [String: String]) throws { throw Self.missing() }
    public func capture(_ argv: [String], environment: [String: String], input: [UInt8]) throws -> CapturedOutput {
        throw Self.missing()
    }
}

/// A clock that tests move by hand.
public final class TestClock: @unchecked Sendable {
    private let seconds: NIOLockedValueBox<Int64>
    public init(_ start: Int64 = 1_800_000_000) { seconds = NIOLockedValueBox(start) }
    public var now: Int64 { seconds.withLockedValue { $0 } }
    public func advance(by delta: Int64) { seconds.withLockedValue { $0 += delta } }
    public var function: @Sendable () -> Int64 { { self.now } }
}

extension Context {
    /// A context for tests: only what is given exists. No HTTP transport and no process
    /// launcher unless provided; the wall clock unless a test clock is given.
    public static func test(
        environment: [String: String], console: TestConsole = TestConsole(),
        clock: (@Sendable () -> Int64)? = nil, http: HTTPClientProvider = .unavailable(),
        processes: any ProcessLauncher = NoProcesses()
    ) -> Context {
        Context(
            environment: environment, console: console, clock: clock ?? Context.systemClock, http: http,
            processes: processes)
    }
}
