import FoundationEssentials
import VaultCrypto
import VaultStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Timed unlocks (docs/FORMAT.md, "Unlock sessions").
///
/// A token = "twv2." || hex(vault_id) || "." || base64url(session_id (16) || session_key (32)),
/// one entry of `TWVAULT_SESSION` (`SessionVariable`: one entry per vault). The file
/// `<dir>/<hex vault_id>-<hex session_id>.session` holds
/// "TWVSESS2" || u64be expires_at || nonce (24) || secretbox(vault_id || session_id ||
/// u64be expires_at || u64be lock_generation || DEK, session_key). Neither half alone yields
/// the data key: the environment variable holds no key material for the vault, the file
/// holds it only sealed. A session made by an unlock through a member slot appends the
/// identity's secret and public keys (32 + 32) after the DEK, sealed the same way. The sealed lock generation ties the session to the vault's state:
/// after `lock` raises it, the session is over even if its file was not found and removed.
/// Files of the first layout ("TWVSESS1", no generation) count as generation 0; tokens of the
/// first layout ("twv1.", no vault id) still open their vault.
public struct SessionStore: Sendable {
    public let directory: String
    static let magic = Array("TWVSESS2".utf8)
    static let firstMagic = Array("TWVSESS1".utf8)
    /// The longest unlock allowed (24 h).
    public static let maximumTTL: Int64 = 24 * 3600

    public init(directory: String) {
        self.directory = directory
    }

    /// `$XDG_RUNTIME_DIR/twvault`, else a per-user directory under the system temp dir.
    public static func defaultDirectory(environment: [String: String]) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            return runtime + "/twvault"
        }
        let temp = environment["TMPDIR"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp"
        return "\(temp)/twvault-\(geteuid())"
    }

    /// Every directory a session file of this user may be in, whatever environment made it:
    /// `$XDG_RUNTIME_DIR/twvault`, `/run/user/<euid>/twvault`, and the temp-dir fallback under
    /// `$TMPDIR` and under `/tmp`. `lock` looks in all of them.
    public static func candidateDirectories(environment: [String: String]) -> [String] {
        var directories: [String] = []
        func add(_ directory: String) { if !directories.contains(directory) { directories.append(directory) } }
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") { add(runtime + "/twvault") }
        add("/run/user/\(geteuid())/twvault")
        if let temp = environment["TMPDIR"], temp.hasPrefix("/") { add("\(temp)/twvault-\(geteuid())") }
        add("/tmp/twvault-\(geteuid())")
        return directories
    }

    /// Ends every unlock of `file` at once: raises the vault's lock generation, which ends
    /// sessions wherever their files are, then removes this vault's session files from every
    /// candidate directory this user owns. Returns how many files were removed.
    @discardableResult
    public static func endEveryUnlock(of file: VaultFile, environment: [String: String]) throws(VaultError) -> Int {
        try file.advanceLockGeneration()
        return removeSessionFiles(vaultIDHex: file.vaultIDHex, environment: environment)
    }

    /// Removes the session files of the vault with this id from every candidate directory this
    /// user owns (after the lock generation rose). Returns how many were removed.
    @discardableResult
    public static func removeSessionFiles(vaultIDHex: String, environment: [String: String]) -> Int {
        var ended = 0
        for directory in candidateDirectories(environment: environment) {
            var info = stat()
            // Not through a link, and only where this user's own sessions can be.
            guard lstat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid() else {
                continue
            }
            ended += SessionStore(directory: directory).endAll(vaultIDHex: vaultIDHex)
        }
        return ended
    }

    func fileName(vaultID: String, sessionID: [UInt8]) -> String {
        "\(directory)/\(vaultID)-\(ByteEncoding.hex(sessionID)).session"
    }

    /// Stores a session for `vault` valid for `ttl` seconds and returns its token.
    public func create(for vault: UnlockedVault, ttl: Int64, now: Int64 = Clock.now()) throws(VaultError) -> String {
        guard ttl > 0, ttl <= SessionStore.maximumTTL else {
            throw .invalidName("the unlock TTL must be between 1 second and 24 hours")
        }
        sweepExpired(now: now)
        let generation = try vault.file.lockGeneration()
        let sessionID = RandomBytes.make(16)
        let sessionKey = SecretBytes.random(count: SecretBox.keyLength)
        let expires = now + ttl
        var header = ByteWriter()
        header.append(SessionStore.magic)
        header.u64(UInt64(expires))
        var inner = ByteWriter()
        inner.append(vault.file.vaultID)
        inner.append(sessionID)
        inner.u64(UInt64(expires))
        inner.u64(generation)
        let innerPrefix = inner.bytes
        // A vault opened through a member slot also keeps the identity: DEK || secret key || public key.
        let identity = vault.memberIdentity
        let plaintext = SecretBytes(count: innerPrefix.count + vault.dataKey.count + (identity == nil ? 0 : 64)) {
            out in
            out.copyBytes(from: innerPrefix)
            vault.dataKey.withUnsafeBytes { key in
                (out.baseAddress! + innerPrefix.count).copyMemory(from: key.baseAddress!, byteCount: key.count)
            }
            if let identity {
                let offset = innerPrefix.count + 32
                identity.secretKey.withUnsafeBytes { key in
                    (out.baseAddress! + offset).copyMemory(from: key.baseAddress!, byteCount: 32)
                }
                (out.baseAddress! + offset + 32).copyMemory(from: identity.publicKey, byteCount: 32)
            }
        }
        let path = fileName(vaultID: vault.file.vaultIDHex, sessionID: sessionID)
        try translating(path: path) {
            try SecureFiles.makePrivateDirectory(directory)
            try SecureFiles.checkPrivateDirectory(directory)
            let sealed = try SecretBox.seal(plaintext, key: sessionKey)
            try SecureFiles.writeNew(path, bytes: header.bytes + sealed)
        }
        let tokenBytes = SecretBytes(count: 48) { out in
            out.copyBytes(from: sessionID)
            sessionKey.withUnsafeBytes { key in
                (out.baseAddress! + 16).copyMemory(from: key.baseAddress!, byteCount: 32)
            }
        }
        return SessionVariable.Entry(
            vaultIDHex: vault.file.vaultIDHex, body: tokenBytes.withUnsafeBytes { ByteEncoding.base64URL($0) }
        ).text
    }

    /// Opens `file` with the data key held by its entry in `token`, a `TWVAULT_SESSION` value
    /// (one token, or one per vault). An expired session is refused (77) and its file removed.
    public func unlock(_ file: VaultFile, token: String, now: Int64 = Clock.now()) throws(VaultError) -> UnlockedVault {
        try open(file, session: token, now: now).vault
    }

    /// `unlock`, also saying when the session that opened the vault ends. The entries for this
    /// vault are tried newest first; when none opens it, the error is the newest one's. A value
    /// with no well-formed entry is malformed; one with entries of other vaults only holds no
    /// unlock of this vault.
    public func open(_ file: VaultFile, session value: String, now: Int64 = Clock.now()) throws(VaultError) -> (
        vault: UnlockedVault, expiresAt: Int64
    ) {
        let variable = SessionVariable(value)
        guard !variable.entries.isEmpty else { throw .sessionInvalid("malformed token") }
        let candidates = variable.candidates(forVaultIDHex: file.vaultIDHex)
        var newestError: VaultError?
        for entry in candidates {
            do {
                return try open(file, entry: entry, now: now)
            } catch {
                if newestError == nil { newestError = error }
            }
        }
        throw newestError ?? .sessionNotForThisVault
    }

    func open(_ file: VaultFile, entry: SessionVariable.Entry, now: Int64) throws(VaultError) -> (
        vault: UnlockedVault, expiresAt: Int64
    ) {
        guard let decoded = entry.decoded() else { throw .sessionInvalid("malformed token") }
        let (sessionID, sessionKey) = decoded
        let path = fileName(vaultID: file.vaultIDHex, sessionID: sessionID)
        let bytes: [UInt8]
        do {
            try SecureFiles.checkPrivateDirectory(directory)
            try SecureFiles.checkPrivate(path)
            bytes = try SecureFiles.read(path, limit: 4096)
        } catch {
            if case .missing = error { throw .sessionExpired }
            throw .insecureFile(error.description)
        }
        let parsed: (expires: Int64, sealed: [UInt8], first: Bool)? = bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            guard let magic = reader.take(8), let expires = reader.u64(), expires <= UInt64(Int64.max) else {
                return nil
            }
            let first = Array(magic) == SessionStore.firstMagic
            guard first || Array(magic) == SessionStore.magic else { return nil }
            return (Int64(expires), Array(raw[reader.offset...]), first)
        }
        guard let parsed else {
            SecureFiles.remove(path)
            throw .sessionInvalid("damaged session file")
        }
        guard parsed.expires > now else {
            SecureFiles.remove(path)
            throw .sessionExpired
        }
        // vault_id (16) || session_id (16) || expires_at (8) [|| lock_generation (8)] || DEK (32)
        let keyOffset = parsed.first ? 40 : 48
        guard let plaintext = try? SecretBox.open(parsed.sealed, key: sessionKey),
            plaintext.count == keyOffset + 32 || (!parsed.first && plaintext.count == keyOffset + 96)
        else {
            throw .sessionInvalid("the session file does not open with this token")
        }
        let matches = plaintext.withUnsafeBytes { inner -> Bool in
            var expected = ByteWriter()
            expected.append(file.vaultID)
            expected.append(sessionID)
            expected.u64(UInt64(parsed.expires))
            return expected.bytes.withUnsafeBytes {
                ConstantTime.equal(UnsafeRawBufferPointer(rebasing: inner[0..<40]), $0)
            }
        }
        guard matches else { throw .sessionInvalid("the session belongs to another vault") }
        let generation: UInt64 =
            parsed.first ? 0 : plaintext.withUnsafeBytes { inner in inner[40..<48].reduce(0) { $0 << 8 | UInt64($1) } }
        let current = try file.lockGeneration()
        guard generation >= current else {
            // Made before the last `lock`: over, even though this file escaped the sweep.
            SecureFiles.remove(path)
            throw .sessionExpired
        }
        guard generation == current else {
            throw .sessionInvalid("the session names a lock generation this vault has not reached")
        }
        var identity: Identity?
        if plaintext.count == keyOffset + 96 {
            let secretKey = plaintext.slice(keyOffset + 32..<keyOffset + 64)
            let publicKey = plaintext.withUnsafeBytes { Array($0[(keyOffset + 64)..<(keyOffset + 96)]) }
            guard (try? PublicKeyBox.publicKey(of: secretKey)) == publicKey else {
                throw .sessionInvalid("the session's identity does not match its public key")
            }
            identity = Identity(publicKey: publicKey, secretKey: secretKey)
        }
        return (
            try file.unlock(dataKey: plaintext.slice(keyOffset..<keyOffset + 32), identity: identity), parsed.expires
        )
    }

    /// Ends every unlock of the vault with this id. Returns how many were ended.
    @discardableResult
    public func endAll(vaultIDHex: String) -> Int {
        let prefix = vaultIDHex + "-"
        var ended = 0
        for name in SecureFiles.list(directory) where name.hasPrefix(prefix) && name.hasSuffix(".session") {
            SecureFiles.remove("\(directory)/\(name)")
            ended += 1
        }
        return ended
    }

    /// Removes session files whose expiry has passed (of any vault).
    public func sweepExpired(now: Int64 = Clock.now()) {
        for name in SecureFiles.list(directory) where name.hasSuffix(".session") {
            let path = "\(directory)/\(name)"
            guard let bytes = try? SecureFiles.read(path, limit: 4096), bytes.count >= 16 else { continue }
            let expires = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if expires <= UInt64(max(now, 0)) { SecureFiles.remove(path) }
        }
    }
}
