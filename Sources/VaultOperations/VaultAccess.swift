import FoundationEssentials
import SystemCalls
import Vault
import VaultCrypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The global options as plain values: what `VaultAccess` needs, buildable without
/// ArgumentParser by the hot-path parser.
public struct AccessOptions: Sendable {
    public var vault: String?
    public var passphraseFile: String?
    public var passphraseFd: Int32?
    public var quiet: Bool
    public var verbose: Bool

    public init(
        vault: String? = nil, passphraseFile: String? = nil, passphraseFd: Int32? = nil, quiet: Bool = false,
        verbose: Bool = false
    ) {
        self.vault = vault
        self.passphraseFile = passphraseFile
        self.passphraseFd = passphraseFd
        self.quiet = quiet
        self.verbose = verbose
    }
}

/// Finds the vault, reads passphrases from the channels of DESIGN §2, and unlocks.
public struct VaultAccess: Sendable {
    public let options: AccessOptions
    public let context: Context

    public init(_ options: AccessOptions, context: Context) {
        self.options = options
        self.context = context.withOutput(quiet: options.quiet, verbose: options.verbose)
    }

    /// `--vault`, `$TWVAULT_VAULT`, `$XDG_DATA_HOME/twvault/vault.db`, `~/.local/share/twvault/vault.db`.
    public var vaultPath: String {
        if let path = options.vault, !path.isEmpty { return path }
        if let path = context.env("TWVAULT_VAULT") { return path }
        if let data = context.env("XDG_DATA_HOME"), data.hasPrefix("/") { return data + "/twvault/vault.db" }
        let home = context.env("HOME") ?? "/"
        return home + "/.local/share/twvault/vault.db"
    }

    /// The vault path with the home directory shown as `~`.
    public var displayPath: String {
        let path = vaultPath
        if let home = context.env("HOME"), home != "/", path.hasPrefix(home + "/") {
            return "~" + path.dropFirst(home.count)
        }
        return path
    }

    public var sessions: SessionStore {
        SessionStore(directory: SessionStore.defaultDirectory(environment: context.environment))
    }

    public func open() throws(VaultError) -> VaultFile {
        let file = try VaultFile.open(path: vaultPath, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        context.output.note("opened vault \(vaultPath)")
        return file
    }

    /// How long a writer waits for another process's lock before exiting 75:
    /// `$TWVAULT_BUSY_TIMEOUT_MS` (0 to 600000), else 5 s.
    public var busyTimeoutMilliseconds: Int32 {
        guard let text = context.env("TWVAULT_BUSY_TIMEOUT_MS"), let value = Int32(text), (0...600_000).contains(value)
        else {
            return 5000
        }
        return value
    }

    // MARK: Passphrase channels

    /// The explicit passphrase channels that are set. Two at once is a usage error.
    private func channel() throws -> PassphraseChannel? {
        var channels: [PassphraseChannel] = []
        if context.environment["TWVAULT_PASSPHRASE"] != nil { channels.append(.environment) }
        if let path = options.passphraseFile ?? context.env("TWVAULT_PASSPHRASE_FILE") { channels.append(.file(path)) }
        if let fd = options.passphraseFd {
            channels.append(.descriptor(fd))
        } else if let text = context.env("TWVAULT_PASSPHRASE_FD") {
            guard let fd = Int32(text), fd >= 0 else {
                throw OperationError.usage("TWVAULT_PASSPHRASE_FD must be a file descriptor number")
            }
            channels.append(.descriptor(fd))
        }
        guard channels.count <= 1 else {
            throw OperationError.usage(
                "more than one passphrase source is set (TWVAULT_PASSPHRASE, a passphrase file, a passphrase descriptor): use exactly one"
            )
        }
        return channels.first
    }

    /// The passphrase from the one configured channel, else the terminal, else exit 77.
    public func passphrase(prompt: String? = nil) throws -> SecretBytes {
        if let channel = try channel() {
            context.output.note("reading the passphrase from \(channel.name)")
            return try channel.read(context)
        }
        return try context.console.readSecret(
            prompt: prompt ?? passphrasePrompt, noTerminal: VaultError.noPassphraseSource)
    }

    /// "Passphrase for ~/.local/share/twvault/vault.db: ": which vault is being opened.
    public var passphrasePrompt: String { "Passphrase for \(displayPath(vaultPath)): " }

    /// `path` with the home directory shown as `~` and control characters as `?`.
    public func displayPath(_ path: String) -> String {
        var shown = path
        if let home = context.env("HOME"), home.hasPrefix("/"), home != "/" {
            let prefix = home.hasSuffix("/") ? String(home.dropLast()) : home
            if shown.hasPrefix(prefix + "/") { shown = "~" + shown.dropFirst(prefix.count) }
        }
        return String(
            String.UnicodeScalarView(
                shown.unicodeScalars.map {
                    $0.value < 0x20 || (0x7f...0x9f).contains($0.value) || (0x202a...0x202e).contains($0.value)
                        || (0x2066...0x2069).contains($0.value) ? "?" : $0
                }))
    }

    /// How many passphrases a terminal user may type before the command gives up (77).
    public static let promptAttempts = 3

    /// A new passphrase: `--new-passphrase-file`, `$TWVAULT_NEW_PASSPHRASE`, the terminal
    /// (asked twice), or — when `allowCurrentChannel`, i.e. creating a vault — the ordinary
    /// passphrase channel.
    public func newPassphrase(file: String?, allowCurrentChannel: Bool) throws -> SecretBytes {
        let passphrase: SecretBytes
        if let path = file {
            passphrase = try PassphraseChannel.file(path).read(context)
        } else if context.environment["TWVAULT_NEW_PASSPHRASE"] != nil {
            passphrase = try PassphraseChannel.newEnvironment.read(context)
        } else if allowCurrentChannel, let channel = try channel() {
            passphrase = try channel.read(context)
        } else {
            passphrase = try context.console.readNewSecret(
                prompt: "New passphrase: ", confirm: "Repeat the new passphrase: ",
                noTerminal: OperationError.accessDenied(
                    "no new passphrase: set TWVAULT_NEW_PASSPHRASE or --new-passphrase-file, or run in a terminal"))
        }
        guard passphrase.count > 0 else { throw OperationError.usage("the passphrase must not be empty") }
        return passphrase
    }

    // MARK: Unlocking

    /// Opens and unlocks: a valid `TWVAULT_SESSION` first (no KDF), else a passphrase.
    /// `allowSession: false` for commands that must prove knowledge of a passphrase.
    public func unlock(_ file: VaultFile, allowSession: Bool = true) throws -> UnlockedVault {
        var sessionError: VaultError?
        if allowSession, let token = context.env("TWVAULT_SESSION") {
            do {
                let vault = try sessions.unlock(file, token: token, now: context.now())
                context.output.note("unlocked with TWVAULT_SESSION")
                // Not needed now, but a passphrase descriptor left open would reach a child of exec.
                if case let .descriptor(fd)? = try? channel() { PassphraseChannel.release(fd) }
                return vault
            } catch {
                context.output.note("TWVAULT_SESSION not usable: \(error.description)")
                sessionError = error
            }
        }
        // A mistyped passphrase at the terminal may be typed again; other channels get one try.
        let attempts = try channel() == nil ? Self.promptAttempts : 1
        for attempt in 1...attempts {
            let passphrase: SecretBytes
            do {
                passphrase = try self.passphrase()
            } catch let error as VaultError where error == .noPassphraseSource {
                throw sessionError ?? error
            }
            do {
                let vault = try context.output.transient("unlocking \(displayPath)") { () throws(VaultError) in
                    // This user's identity has a member slot here: the passphrase opens the
                    // identity (one Argon2id run), the identity opens the data key.
                    if let publicKey = try IdentityFile.publicKey(at: identityPath),
                        try file.memberSlot(publicKey: publicKey) != nil
                    {
                        return try file.unlock(
                            identity: try IdentityFile.open(at: identityPath, passphrase: passphrase))
                    }
                    return try file.unlock(passphrase: passphrase)
                }
                context.output.note("unlocked with the passphrase of slot '\(Names.printable(vault.slotLabel ?? "?"))'")
                if let warning = vault.passphraseWarning { context.output.warn(warning) }
                return vault
            } catch {
                guard error == .wrongPassphrase, attempt < attempts else { throw error }
                context.console.write("wrong passphrase, try again\n", to: .standardError)
            }
        }
        throw VaultError.wrongPassphrase
    }

    public func openUnlocked(allowSession: Bool = true) throws -> UnlockedVault {
        try unlock(try open(), allowSession: allowSession)
    }

    // MARK: Identity

    /// `$XDG_CONFIG_HOME/twvault/identity` (an absolute XDG_CONFIG_HOME), else
    /// `~/.config/twvault/identity`: this user's key pair for member slots (DESIGN §12).
    public var identityPath: String {
        if let config = context.env("XDG_CONFIG_HOME"), config.hasPrefix("/") { return config + "/twvault/identity" }
        let home = context.env("HOME") ?? "/"
        return (home.hasSuffix("/") ? String(home.dropLast()) : home) + "/.config/twvault/identity"
    }

    /// The key pair of this user's identity when `vault` knows it: the vault was opened
    /// through this user's member slot (also from a session made that way). A later operation
    /// that meets a data key newly wrapped to this member opens it with this, without asking
    /// for the passphrase again. `nil` when the vault was opened with a passphrase slot.
    public func identity(of vault: UnlockedVault) -> Identity? {
        vault.memberIdentity
    }

}

/// One non-interactive source of a passphrase.
public enum PassphraseChannel {
    case environment
    case newEnvironment
    case file(String)
    case descriptor(Int32)

    public var name: String {
        switch self {
        case .environment: "TWVAULT_PASSPHRASE"
        case .newEnvironment: "TWVAULT_NEW_PASSPHRASE"
        case let .file(path): "the file \(path)"
        case let .descriptor(fd): "descriptor \(fd)"
        }
    }

    /// The passphrase, with exactly one trailing newline removed for files and descriptors.
    public func read(_ context: Context) throws -> SecretBytes {
        switch self {
        case .environment:
            return PassphraseChannel.environmentBytes("TWVAULT_PASSPHRASE", context)
        case .newEnvironment:
            return PassphraseChannel.environmentBytes("TWVAULT_NEW_PASSPHRASE", context)
        case let .file(path):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw OperationError.accessDenied(
                    "cannot read the passphrase file \(path): \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            try PassphraseChannel.checkPrivate(fd: fd, path: path)
            return try SecretReader.readAll(fd: fd, what: "the passphrase file").strippingOneNewline()
        case let .descriptor(fd):
            guard fcntl(fd, F_GETFD) != -1 else {
                throw OperationError.usage("passphrase descriptor \(fd) is not open")
            }
            // Closed once read (or refused), so the descriptor never reaches a child of exec.
            defer { PassphraseChannel.release(fd) }
            try PassphraseChannel.checkPrivate(fd: fd, path: PassphraseChannel.openedPath(fd) ?? "descriptor \(fd)")
            return try SecretReader.readAll(fd: fd, what: "passphrase descriptor \(fd)").strippingOneNewline()
        }
    }

    /// As ssh does for private keys: a regular file that holds a passphrase must be this
    /// user's and closed to group and others, or anyone who can read it has the passphrase
    /// (and anyone who can write it chooses a new one). Pipes and terminals pass.
    static func checkPrivate(fd: Int32, path: String) throws {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return }
        guard info.st_uid == geteuid() else {
            throw OperationError.accessDenied(
                "the passphrase file \(path) belongs to another user (uid \(info.st_uid)): keep it in a file of your own, then run: chmod 600 '\(path)'"
            )
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw OperationError.accessDenied(
                "the passphrase file \(path) is open to other users (mode \(String(mode, radix: 8))): run: chmod 600 '\(path)'"
            )
        }
    }

    /// The path a descriptor was opened from, for the `chmod` hint.
    static func openedPath(_ fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard count > 0, buffer[0] == CChar(UInt8(ascii: "/")) else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Closes a passphrase descriptor. 0, 1 and 2 are pointed at /dev/null instead, so that
    /// the next file opened cannot take their number.
    static func release(_ fd: Int32) {
        guard fd > 2 else {
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            if null >= 0 {
                _ = dup2(null, fd)
                close(null)
            }
            return
        }
        close(fd)
    }

    /// A passphrase variable's bytes as the process received them: the environment is decoded
    /// into Swift strings with every invalid UTF-8 sequence replaced, which would hide a
    /// passphrase that is not UTF-8. The decoded value is the fallback (a context built by tests).
    static func environmentBytes(_ name: String, _ context: Context) -> SecretBytes {
        let value = context.environment[name] ?? ""
        if let raw = getenv(name), String(cString: raw) == value {
            return SecretBytes(copying: UnsafeRawBufferPointer(start: raw, count: strlen(raw)))
        }
        return SecretBytes(utf8: value)
    }
}

/// Reads secrets from descriptors into wipeable memory.
public enum SecretReader {
    public static let limit = 64 * 1024

    /// Everything `fd` holds, at most `limit` bytes (more is malformed input).
    public static func readAll(fd: Int32, what: String, limit: Int = SecretReader.limit) throws -> SecretBytes {
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        defer { for index in buffer.indices { buffer[index] = 0 } }
        var count = 0
        while count <= limit {
            let got = buffer.withUnsafeMutableBytes { bytes in
                SystemCall.retrying { Glibc.read(fd, bytes.baseAddress! + count, limit + 1 - count) }
            }
            if got < 0 {
                throw OperationError.accessDenied("cannot read \(what): \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            count += got
        }
        guard count <= limit else {
            throw OperationError.malformedInput("\(what) is larger than \(limit / 1024) KiB")
        }
        return SecretBytes(copying: buffer[0..<count])
    }
}

extension SecretBytes {
    /// Without one trailing "\n" (exactly one: a second is part of the secret).
    public func strippingOneNewline() -> SecretBytes {
        let endsWithNewline = withUnsafeBytes { $0.last == UInt8(ascii: "\n") }
        return endsWithNewline ? slice(0..<count - 1) : self
    }
}
