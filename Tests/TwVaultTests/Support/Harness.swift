import Foundation
import Testing
import TwVault
import TwVaultTestSupport
import VaultOperations

/// Runs the built `twvault` binary against a throwaway vault in a private temporary
/// directory, as a user or a script would: passphrase from a file, secrets on stdin.
final class Harness: @unchecked Sendable {
    let root: URL
    var vaultPath: String { root.path + "/vault/vault.db" }
    var passphraseFile: String { root.path + "/passphrase" }
    var runtimeDirectory: String { root.path + "/run" }
    /// Extra environment for every run.
    var environment: [String: String] = [:]

    static let passphrase = "correct horse battery staple"

    init() throws {
        root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("twvault-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.createDirectory(
            atPath: runtimeDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        try write(Harness.passphrase + "\n", to: passphraseFile)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func write(_ text: String, to path: String, mode: Int = 0o600) throws {
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    }

    /// The binary under test: `$TWVAULT_BINARY`, else the debug build beside the test bundle.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["TWVAULT_BINARY"] { return path }
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            let candidate = directory.appendingPathComponent(".build/debug/twvault").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        fatalError("twvault binary not found: run `swift build` first or set TWVAULT_BINARY")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stdoutData: Data
    }

    /// The environment of every run: a clean one, pointing at this harness's vault.
    func baseEnvironment() -> [String: String] {
        var env: [String: String] = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": root.path,
            "XDG_RUNTIME_DIR": runtimeDirectory,
            "TWVAULT_VAULT": vaultPath,
            "LANG": "C.UTF-8",
        ]
        for (key, value) in environment { env[key] = value }
        return env
    }

    /// Runs twvault. `passphrase: true` adds `TWVAULT_PASSPHRASE_FILE`.
    @discardableResult
    func run(
        _ arguments: [String], stdin: String? = nil, env extra: [String: String] = [:], passphrase: Bool = false,
        removing: [String] = []
    ) throws -> Result {
        var env = baseEnvironment()
        if passphrase { env["TWVAULT_PASSPHRASE_FILE"] = passphraseFile }
        for (key, value) in extra { env[key] = value }
        for key in removing { env.removeValue(forKey: key) }
        let result = try Harness.execute(Harness.binary, arguments, environment: env, stdin: stdin)
        ForceRemedyCheck.check(arguments: arguments, stderr: result.stderr)
        return result
    }

    /// Runs one command line in process, through the same entry point as the binary, with a
    /// test context: this harness's environment, `stdin`, a real HTTP client (for the stand-in)
    /// and a launcher that records instead of replacing the test process.
    func call(
        _ arguments: [String], stdin: String? = nil, env extra: [String: String] = [:], passphrase: Bool = false,
        removing: [String] = [], console: TestConsole? = nil, processes: (any ProcessLauncher)? = nil
    ) async -> Result {
        var env = baseEnvironment()
        if passphrase { env["TWVAULT_PASSPHRASE_FILE"] = passphraseFile }
        for (key, value) in extra { env[key] = value }
        for key in removing { env.removeValue(forKey: key) }
        let console = console ?? TestConsole(stdin: stdin)
        let context = Context.test(
            environment: env, console: console, http: .live(), processes: processes ?? RecordingLauncher())
        let status = await TwVaultMain.run(arguments, context: context)
        ForceRemedyCheck.check(arguments: arguments, stderr: console.stderr)
        let stdout = console.stdout
        return Result(status: status, stdout: stdout, stderr: console.stderr, stdoutData: Data(stdout.utf8))
    }

    /// `run` off the cooperative thread pool, for async tests whose in-process stand-in needs
    /// that pool to answer the binary's requests.
    func runAsync(
        _ arguments: [String], stdin: String? = nil, env extra: [String: String] = [:], passphrase: Bool = false,
        removing: [String] = []
    ) async throws -> Result {
        try await Harness.offPool {
            try self.run(arguments, stdin: stdin, env: extra, passphrase: passphrase, removing: removing)
        }
    }

    static func executeAsync(
        _ executable: String, _ arguments: [String], environment: [String: String],
        stdin: String? = nil
    ) async throws -> Result {
        try await offPool { try execute(executable, arguments, environment: environment, stdin: stdin) }
    }

    /// Runs blocking work on a plain thread and awaits its result.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
        }
    }

    static func execute(
        _ executable: String, _ arguments: [String], environment: [String: String],
        stdin: String? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        // Read both pipes to the end before waiting, so a full pipe cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async {
            errorData = errors.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorData, as: UTF8.self), stdoutData: outputData)
    }

    // MARK: Fixtures

    static let accountSID = "AC0123456789abcdef0123456789abcdef"
    static let otherAccountSID = "ACfedcba9876543210fedcba9876543210"
    static let apiKeySID = "SK0123456789abcdef0123456789abcdef"
    static let clientID = "OQ0123456789abcdefABCDEF0123456789"
    static let authToken = "authtoken-secret-0f1e2d3c4b5a"
    static let apiSecret = "apisecret-secret-a1b2c3d4e5f6"

    /// Creates the vault (INTERACTIVE limits, for speed) with one profile `p` from stdin.
    func makeVault(profile: String = "p", lines: String? = nil) throws {
        let input =
            lines ?? """
                TWILIO_ACCOUNT_SID=\(Harness.accountSID)
                TWILIO_AUTH_TOKEN=\(Harness.authToken)
                TWILIO_API_KEY=\(Harness.apiKeySID)
                TWILIO_API_SECRET=\(Harness.apiSecret)

                """
        let result = try run(["add", profile, "--stdin", "--kdf", "interactive"], stdin: input, passphrase: true)
        #expect(result.status == 0, "add failed: \(result.stderr)")
    }

    /// Places a copy of the prebuilt fixture vault (profile `p` with `accountSID`, `authToken`,
    /// `apiKeySID` and `apiSecret`; passphrase `passphrase`): what `makeVault()` makes, without
    /// its key derivation. `unlocked` also sets `TWVAULT_SESSION` to a session of it, as
    /// `unlock()` does, without a key derivation either.
    func installFixtureVault(unlocked: Bool = false) throws {
        if let token = try TestHome.installFixtureVault(
            vaultPath: vaultPath, runtimeDirectory: runtimeDirectory, unlocked: unlocked)
        {
            environment["TWVAULT_SESSION"] = token
        }
    }

    /// `unlock()` in process.
    func callUnlock(ttl: String = "10m") async {
        let result = await call(["unlock", "--ttl", ttl], passphrase: true)
        #expect(result.status == 0, "unlock failed: \(result.stderr)")
        let prefix = "export TWVAULT_SESSION='"
        let line = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(line.hasPrefix(prefix) && line.hasSuffix("'"))
        environment["TWVAULT_SESSION"] = String(line.dropFirst(prefix.count).dropLast())
    }

    /// `makeVault(profile:lines:)` in process.
    func callMakeVault(profile: String = "p", lines: String) async {
        let result = await call(["add", profile, "--stdin", "--kdf", "interactive"], stdin: lines, passphrase: true)
        #expect(result.status == 0, "add failed: \(result.stderr)")
    }

    /// `eval "$(twvault unlock)"`: sets TWVAULT_SESSION for later runs.
    func unlock(ttl: String = "10m") throws {
        let result = try run(["unlock", "--ttl", ttl], passphrase: true)
        #expect(result.status == 0, "unlock failed: \(result.stderr)")
        let prefix = "export TWVAULT_SESSION='"
        let line = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(line.hasPrefix(prefix) && line.hasSuffix("'"))
        environment["TWVAULT_SESSION"] = String(line.dropFirst(prefix.count).dropLast())
    }

    /// Parses `export NAME='value'` / `unset NAME` lines by running them through bash.
    func evalInBash(_ script: String, names: [String]) throws -> [String: String?] {
        let printer = names.map { "if [ \"${\($0)+set}\" = set ]; then printf '%s=%s\\0' \($0) \"$\($0)\"; fi" }.joined(
            separator: "; ")
        let result = try Harness.execute(
            "/bin/bash", ["-c", "eval \"$(cat)\"; " + printer], environment: ["PATH": "/usr/bin:/bin"], stdin: script)
        var values: [String: String?] = Dictionary(uniqueKeysWithValues: names.map { ($0, nil) })
        for entry in result.stdout.split(separator: "\0", omittingEmptySubsequences: true) {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return values
    }

    /// Every file under the harness root, for grepping secrets.
    func allFileBytes(under path: String? = nil) -> [(String, Data)] {
        let base = path ?? root.path
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        var files: [(String, Data)] = []
        for case let relative as String in enumerator {
            let full = base + "/" + relative
            if let data = FileManager.default.contents(atPath: full) { files.append((full, data)) }
        }
        return files
    }
}
