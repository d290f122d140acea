import FoundationEssentials
import SystemCalls
import Vault

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a command as a child (posix_spawn) and waits for it, forwarding SIGINT, SIGTERM and
/// SIGHUP: twvault must outlive the child to clean up after it, so `execve` will not do.
public enum ChildProcess {
    public static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Runs `argv` (PATH-searched like a shell) with `environment`; returns the exit status to
    /// pass on: the child's, or 128 + the signal that killed it.
    /// `started` runs once the child exists (or spawning failed).
    public static func run(
        _ argv: [String], environment: [String: String], started: () -> Void = {}
    ) throws -> Int32 {
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
        started()
        guard spawned == 0 else {
            let message = "cannot run \(Names.printable(argv[0])): \(String(cString: strerror(spawned)))"
            throw OperationError.cannotExecute(message, notFound: spawned == ENOENT)
        }
        SignalForwarding.started(pid)
        var status: Int32 = 0
        _ = SystemCall.retrying { waitpid(pid, &status, 0) }
        SignalForwarding.started(0)
        let terminatingSignal = status & 0x7f
        if terminatingSignal == 0 { return (status >> 8) & 0xff }
        return 128 + terminatingSignal
    }
}

extension ChildProcess {
    /// Starts `argv` (PATH-searched) in the background with stdin, stdout and stderr on
    /// /dev/null, and does not wait for it: for `login`'s browser.
    public static func startDetached(_ argv: [String], environment: [String: String]) throws {
        let program = try ProcessReplacement.resolve(
            argv[0], path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables { free(pointer) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var pid: pid_t = 0
        let spawned = arguments.withUnsafeBufferPointer { argvPointer in
            variables.withUnsafeBufferPointer { envPointer in
                posix_spawn(&pid, program, &actions, nil, argvPointer.baseAddress!, envPointer.baseAddress!)
            }
        }
        guard spawned == 0 else {
            throw OperationError.cannotExecute(
                "cannot run \(Names.printable(argv[0])): \(String(cString: strerror(spawned)))",
                notFound: spawned == ENOENT)
        }
    }
}

/// Signal handlers that pass SIGINT, SIGTERM and SIGHUP on to the running child.
///
/// A signal the kernel sends to the terminal's process group (Ctrl-C, hang-up) reaches the
/// child by itself: forwarding it too would deliver it twice. Only signals sent to twvault
/// alone (`kill PID`) are forwarded. Signals twvault inherited as ignored stay ignored, so
/// `nohup twvault exec …` keeps its meaning for the child.
public enum SignalForwarding {
    /// The child's pid while it runs; read by the signal handler.
    public nonisolated(unsafe) static var child: pid_t = 0
    /// A signal that arrived before the child existed, to deliver once it does.
    public nonisolated(unsafe) static var early: Int32 = 0

    public static func install() -> [(Int32, sigaction)] {
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

    public static func restore(_ saved: [(Int32, sigaction)]) {
        for (signal, old) in saved {
            var old = old
            sigaction(signal, &old, nil)
        }
    }

    public static func started(_ pid: pid_t) {
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

/// `execve` after a PATH search like a shell's: replaces this process with the command.
public enum ProcessReplacement {
    public static func execute(_ argv: [String], environment: [String: String]) throws -> Never {
        let program = try resolve(argv[0], path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        arguments.withUnsafeBufferPointer { argvPointer in
            variables.withUnsafeBufferPointer { envPointer in
                _ = execve(program, argvPointer.baseAddress!, envPointer.baseAddress!)
            }
        }
        let code = errno
        for pointer in arguments { free(pointer) }
        for pointer in variables {
            if let pointer {
                memset(pointer, 0, strlen(pointer))
                free(pointer)
            }
        }
        let message = "cannot run \(Names.printable(argv[0])): \(String(cString: strerror(code)))"
        throw OperationError.cannotExecute(message, notFound: code == ENOENT)
    }

    /// The file a shell would run for `name`: itself when it holds a '/', else the first
    /// executable match in PATH (127 when there is none, 126 when only non-executable ones).
    public static func resolve(_ name: String, path: String) throws -> String {
        guard !name.isEmpty else {
            throw OperationError.cannotExecute("cannot run an empty command name", notFound: true)
        }
        if name.contains("/") { return name }
        var foundButNotExecutable = false
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            var info = stat()
            guard stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            foundButNotExecutable = true
        }
        if foundButNotExecutable {
            throw OperationError.cannotExecute(
                "cannot run \(Names.printable(name)): permission denied", notFound: false)
        }
        throw OperationError.cannotExecute("\(Names.printable(name)): command not found", notFound: true)
    }
}

/// What a child run by `ProcessLauncher.capture` printed, and how it ended.
public struct CapturedOutput: Sendable {
    public var status: Int32
    public var output: [UInt8]
    public var errorOutput: [UInt8]

    public init(status: Int32, output: [UInt8], errorOutput: [UInt8]) {
        self.status = status
        self.output = output
        self.errorOutput = errorOutput
    }

    /// The error output as one line, for messages: its first `fatal:` or `error:` line, else
    /// its last non-empty line.
    public var errorLine: String {
        let text = String(decoding: errorOutput, as: UTF8.self)
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map {
            String($0.drop(while: { $0 == " " || $0 == "\t" }))
        }
        if let first = lines.first(where: { $0.hasPrefix("fatal:") || $0.hasPrefix("error:") }) { return first }
        return lines.last(where: { !$0.isEmpty }) ?? "no message"
    }
}

extension ChildProcess {
    /// Runs `argv` (PATH-searched) with `input` on its stdin, and waits for it. Its stdin,
    /// stdout and stderr are files in a private temporary directory (no pipe to deadlock on),
    /// deleted before this returns. Signals are not forwarded: the child is a helper.
    public static func capture(
        _ argv: [String], environment: [String: String], input: [UInt8]
    ) throws -> CapturedOutput {
        let program = try ProcessReplacement.resolve(
            argv[0], path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        let base = environment["TMPDIR"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp"
        var template = Array("\(base)/twvault-run-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw OperationError.cannotExecute(
                "cannot run \(Names.printable(argv[0])): no temporary directory in \(base)", notFound: false)
        }
        let directory = String(cString: made)
        let inputPath = directory + "/in"
        let outputPath = directory + "/out"
        let errorPath = directory + "/err"
        defer {
            unlink(inputPath)
            unlink(outputPath)
            unlink(errorPath)
            rmdir(directory)
        }
        try writeFile(inputPath, input)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = arguments.withUnsafeBufferPointer { argvPointer in
            variables.withUnsafeBufferPointer { envPointer in
                posix_spawn(&pid, program, &actions, nil, argvPointer.baseAddress!, envPointer.baseAddress!)
            }
        }
        guard spawned == 0 else {
            let message = "cannot run \(Names.printable(argv[0])): \(String(cString: strerror(spawned)))"
            throw OperationError.cannotExecute(message, notFound: spawned == ENOENT)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { break }
        }
        let signal = status & 0x7f
        return CapturedOutput(
            status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
            output: readFile(outputPath), errorOutput: readFile(errorPath))
    }

    private static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw OperationError.cannotExecute(
                "cannot write \(path): \(String(cString: strerror(errno)))", notFound: false)
        }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw OperationError.cannotExecute(
                    "cannot write \(path): \(String(cString: strerror(errno)))", notFound: false)
            }
            offset += written
        }
    }

    private static func readFile(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }
}
