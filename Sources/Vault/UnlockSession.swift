import Foundation
import VaultCrypto
import VaultStore

/// Timed unlocks (docs/FORMAT.md, "Unlock sessions").
///
/// `TWVAULT_SESSION` = "twv1." || base64url(session_id (16) || session_key (32)). The file
/// `<dir>/<hex vault_id>-<hex session_id>.session` holds
/// "TWVSESS1" || u64be expires_at || nonce (24) || secretbox(vault_id || session_id ||
/// u64be expires_at || DEK, session_key). Neither half alone yields the data key: the
/// environment variable holds no key material for the vault, the file holds it only sealed.
public struct SessionStore: Sendable {
    public let directory: String
    static let magic = Array("TWVSESS1".utf8)
    static let tokenPrefix = "twv1."
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

    func fileName(vaultID: String, sessionID: [UInt8]) -> String {
        "\(directory)/\(vaultID)-\(ByteEncoding.hex(sessionID)).session"
    }

    /// Stores a session for `vault` valid for `ttl` seconds and returns its token.
    public func create(for vault: UnlockedVault, ttl: Int64, now: Int64 = Clock.now()) throws(VaultError) -> String {
        guard ttl > 0, ttl <= SessionStore.maximumTTL else {
            throw .invalidName("the unlock TTL must be between 1 second and 24 hours")
        }
        sweepExpired(now: now)
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
        let innerPrefix = inner.bytes
        let plaintext = SecretBytes(count: innerPrefix.count + vault.dataKey.count) { out in
            out.copyBytes(from: innerPrefix)
            vault.dataKey.withUnsafeBytes { key in
                (out.baseAddress! + innerPrefix.count).copyMemory(from: key.baseAddress!, byteCount: key.count)
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
        return SessionStore.tokenPrefix + tokenBytes.withUnsafeBytes { ByteEncoding.base64URL($0) }
    }

    /// Opens `file` with the data key held by the session `token`. An expired session is
    /// refused (77) and its file removed.
    public func unlock(_ file: VaultFile, token: String, now: Int64 = Clock.now()) throws(VaultError) -> UnlockedVault {
        guard token.hasPrefix(SessionStore.tokenPrefix),
            let decoded = try? ByteEncoding.secretFromBase64URL(
                String(token.dropFirst(SessionStore.tokenPrefix.count))),
            decoded.count == 48
        else {
            throw .sessionInvalid("malformed token")
        }
        let sessionID = decoded.withUnsafeBytes { Array($0[0..<16]) }
        let sessionKey = decoded.slice(16..<48)
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
        let parsed: (expires: Int64, sealed: [UInt8])? = bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            guard let magic = reader.take(8), Array(magic) == SessionStore.magic, let expires = reader.u64(),
                expires <= UInt64(Int64.max)
            else { return nil }
            return (Int64(expires), Array(raw[reader.offset...]))
        }
        guard let parsed else {
            SecureFiles.remove(path)
            throw .sessionInvalid("damaged session file")
        }
        guard parsed.expires > now else {
            SecureFiles.remove(path)
            throw .sessionExpired
        }
        guard let plaintext = try? SecretBox.open(parsed.sealed, key: sessionKey), plaintext.count == 16 + 16 + 8 + 32
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
        return try file.unlock(dataKey: plaintext.slice(40..<72))
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
