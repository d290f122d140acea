import NIOConcurrencyHelpers
import TwVault
import Vault
import VaultCrypto
import VaultOperations

#if canImport(Glibc)
    import Glibc
#endif

/// A private temporary home for one test: a vault path, a runtime directory for unlock
/// sessions and a passphrase file, all removed when the test ends.
public final class TestHome: @unchecked Sendable {
    public static let passphrase = "correct horse battery staple"
    public static let accountSID = "AC0123456789abcdef0123456789abcdef"
    public static let apiKeySID = "SK0123456789abcdef0123456789abcdef"
    public static let clientID = "OQ0123456789abcdefABCDEF0123456789"
    public static let authToken = "authtoken-secret-0f1e2d3c4b5a"
    public static let apiSecret = "apisecret-secret-a1b2c3d4e5f6"

    public let root: String
    public var vaultPath: String { root + "/vault/vault.db" }
    public var runtimeDirectory: String { root + "/run" }
    public var passphraseFile: String { root + "/passphrase" }
    /// Extra environment for every command of this home (e.g. `TWVAULT_SESSION`).
    public var environment: [String: String] = [:]

    public init() throws {
        var template = Array("/tmp/twvault-test-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw OperationError.temporary("cannot create a temporary directory")
        }
        root = String(cString: made)
        chmod(root, 0o700)
        mkdir(runtimeDirectory, 0o700)
        try Self.write(Self.passphrase + "\n", to: passphraseFile)
    }

    deinit { Self.removeTree(root) }

    /// The environment of every command: a clean one pointing at this home's vault.
    public func baseEnvironment(passphrase: Bool) -> [String: String] {
        var env: [String: String] = [
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": root, "XDG_RUNTIME_DIR": runtimeDirectory,
            "TWVAULT_VAULT": vaultPath, "LANG": "C.UTF-8",
        ]
        if passphrase { env["TWVAULT_PASSPHRASE_FILE"] = passphraseFile }
        for (key, value) in environment { env[key] = value }
        return env
    }

    /// Runs one command line in process and returns its status and output.
    @discardableResult
    public func run(
        _ arguments: [String], stdin: String? = nil, passphrase: Bool = false, env extra: [String: String] = [:],
        removing: [String] = [], console: TestConsole? = nil, http: HTTPClientProvider = .unavailable(),
        processes: any ProcessLauncher = NoProcesses(), clock: (@Sendable () -> Int64)? = nil
    ) async -> CommandResult {
        var env = baseEnvironment(passphrase: passphrase)
        for (key, value) in extra { env[key] = value }
        for key in removing { env.removeValue(forKey: key) }
        let console = console ?? TestConsole(stdin: stdin)
        let context = Context.test(environment: env, console: console, clock: clock, http: http, processes: processes)
        let status = await TwVaultMain.run(arguments, context: context)
        ForceRemedyCheck.check(arguments: arguments, stderr: console.stderr)
        return CommandResult(status: status, stdout: console.stdout, stderr: console.stderr)
    }

    /// Places a copy of the fixture vault (INTERACTIVE limits, one profile `p` with an account
    /// SID, auth token and API key) at `vaultPath`: no key derivation to create it.
    /// `unlocked` also places an unlock session of the fixture and keeps its
    /// `TWVAULT_SESSION`, as `eval "$(twvault unlock)"` would: no key derivation at all.
    public func installFixtureVault(unlocked: Bool = false) throws {
        if let token = try Self.installFixtureVault(
            vaultPath: vaultPath, runtimeDirectory: runtimeDirectory, unlocked: unlocked)
        {
            environment["TWVAULT_SESSION"] = token
        }
    }

    /// Copies the fixture vault to `vaultPath` (its directory made 0700); with `unlocked`, puts
    /// a copy of the fixture's unlock session (valid for 24 hours from the fixture's creation)
    /// under `runtimeDirectory/twvault` and returns its `TWVAULT_SESSION` token. Every copy is
    /// the same vault (one vault ID and key), so the session opens each of them.
    public static func installFixtureVault(vaultPath: String, runtimeDirectory: String, unlocked: Bool) throws
        -> String?
    {
        let directory = String(vaultPath[..<(vaultPath.lastIndex(of: "/") ?? vaultPath.endIndex)])
        mkdir(directory, 0o700)
        let fixture = try FixtureVault.shared.get()
        for suffix in ["", "-wal"] {
            guard let bytes = Self.read(fixture.vaultPath + suffix) else { continue }
            try Self.write(bytes, to: vaultPath + suffix)
        }
        guard unlocked else { return nil }
        let sessions = runtimeDirectory + "/twvault"
        mkdir(runtimeDirectory, 0o700)
        mkdir(sessions, 0o700)
        guard let bytes = Self.read(fixture.sessionFile) else {
            throw OperationError.temporary("cannot read the fixture's unlock session")
        }
        let name = fixture.sessionFile[fixture.sessionFile.index(after: fixture.sessionFile.lastIndex(of: "/")!)...]
        try Self.write(bytes, to: sessions + "/" + name)
        return fixture.sessionToken
    }

    /// Unlocks in process and keeps `TWVAULT_SESSION` for later commands.
    public func unlock(ttl: String = "10m") async throws {
        let result = await run(["unlock", "--ttl", ttl], passphrase: true)
        let prefix = "export TWVAULT_SESSION='"
        guard result.status == 0, result.stdout.hasPrefix(prefix) else {
            throw OperationError.accessDenied("unlock failed: \(result.stderr)")
        }
        let line = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        environment["TWVAULT_SESSION"] = String(line.dropFirst(prefix.count).dropLast())
    }

    // MARK: Files

    public static func write(_ text: String, to path: String, mode: mode_t = 0o600) throws {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw OperationError.temporary("cannot write \(path)") }
        defer { close(fd) }
        fchmod(fd, mode)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else { throw OperationError.temporary("cannot write \(path)") }
            offset += written
        }
    }

    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }

    static func removeTree(_ path: String) {
        guard let directory = opendir(path) else {
            unlink(path)
            return
        }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var info = stat()
            if lstat(child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { removeTree(child) } else { unlink(child) }
        }
        closedir(directory)
        rmdir(path)
    }
}

/// What a command printed and how it ended.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// The exit status by name.
    public var exit: VaultOperations.ExitStatus? { ExitStatus(rawValue: status) }
}

/// One vault built per test process (the only Argon2id run most command tests pay), copied
/// into each test's home, with one unlock session of it.
final class FixtureVault: Sendable {
    struct Built: Sendable {
        var vaultPath: String
        var sessionFile: String
        var sessionToken: String
    }

    static let shared = FixtureVault()
    private let built = NIOLockedValueBox<Result<Built, OperationError>?>(nil)

    func get() throws -> Built {
        try built.withLockedValue { cached in
            if let cached { return try cached.get() }
            let result: Result<Built, OperationError>
            do { result = .success(try Self.build()) } catch {
                result = .failure(error as? OperationError ?? .temporary("\(error)"))
            }
            cached = result
            return try result.get()
        }
    }

    private static func build() throws(OperationError) -> Built {
        var template = Array("/tmp/twvault-fixture-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw OperationError.temporary("cannot create the fixture directory")
        }
        let root = String(cString: made)
        let path = root + "/vault.db"
        let sessions = SessionStore(directory: root + "/run/twvault")
        mkdir(root + "/run", 0o700)
        let token: String
        do {
            let vault = try VaultFile.create(
                path: path, passphrase: SecretBytes(utf8: TestHome.passphrase), limits: .interactive)
            var record = ProfileRecord(createdAt: 1_700_000_000)
            record.accountSID = TestHome.accountSID
            record.authToken = TestHome.authToken
            record.apiKeySID = TestHome.apiKeySID
            record.apiKeySecret = TestHome.apiSecret
            record.credentialTimes = ["auth_token": 1_700_000_000, "api_key": 1_700_000_000]
            try vault.write { transaction in
                try transaction.put(record, profile: "p", kind: .profile, now: 1_700_000_000)
            }
            token = try sessions.create(for: vault, ttl: SessionStore.maximumTTL)
        } catch {
            throw OperationError.temporary("cannot build the fixture vault: \(error)")
        }
        guard let directory = opendir(sessions.directory) else {
            throw OperationError.temporary("the fixture's unlock session is missing")
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasSuffix(".session") {
                return Built(vaultPath: path, sessionFile: sessions.directory + "/" + name, sessionToken: token)
            }
        }
        throw OperationError.temporary("the fixture's unlock session is missing")
    }
}
