import VaultCrypto
import VaultStore

/// The file that keeps a user's identity (`$XDG_CONFIG_HOME/twvault/identity`, 0600), its
/// secret key sealed under the user's passphrase with the vault's Argon2id policy
/// (docs/FORMAT.md, "Identity file"):
///
///     "TWVIDEN1" (8) || u64be(ops_limit) || u64be(mem_limit) || salt (16) || public_key (32)
///     || nonce (24) || secretbox("twvault-identity" (16) || public_key || secret_key, nonce, kek)
///     kek = pwhash(32, NFC(passphrase), salt, ops_limit, mem_limit)
///
/// The public key is in the clear so that `identity show`, and an unlock looking for this
/// user's member slot, need no passphrase; the sealed copy is compared with it on opening.
public enum IdentityFile {
    static let magic = Array("TWVIDEN1".utf8)
    static let innerLabel = Array("twvault-identity".utf8)
    static var length: Int { 8 + 16 + Argon2id.saltLength + 32 + SecretBox.overhead + 16 + 64 }

    /// The public key the file at `path` names, without the passphrase; `nil` when there is no file.
    public static func publicKey(at path: String) throws(VaultError) -> [UInt8]? {
        guard let parsed = try read(path) else { return nil }
        return parsed.publicKey
    }

    /// Opens the identity with `passphrase` (one Argon2id run); `wrongPassphrase` when it is not
    /// this identity's.
    public static func open(at path: String, passphrase: SecretBytes) throws(VaultError) -> Identity {
        guard let parsed = try read(path) else { throw .identityNotFound(path: path) }
        let kek = try PassphraseSlot.derive(passphrase: passphrase, salt: parsed.salt, limits: parsed.limits)
        guard let inner = try? SecretBox.open(parsed.sealed, key: kek), inner.count == 16 + 64 else {
            throw .wrongPassphrase
        }
        let matches = inner.withUnsafeBytes { bytes in
            (innerLabel + parsed.publicKey).withUnsafeBytes {
                ConstantTime.equal(UnsafeRawBufferPointer(rebasing: bytes[0..<48]), $0)
            }
        }
        guard matches else { throw .corrupt("the identity file \(path) does not match its own public key") }
        return Identity(publicKey: parsed.publicKey, secretKey: inner.slice(48..<80))
    }

    /// Writes a new identity to `path` (atomically, 0600, in a private directory it creates);
    /// an existing file is never replaced (73).
    public static func create(
        at path: String, identity: Identity, passphrase: SecretBytes, limits: KDFLimits
    ) throws(VaultError) {
        try Passphrase.checkNew(passphrase)
        try limits.checkPolicy()
        let directory = SecureFiles.directory(of: path)
        do {
            try SecureFiles.makePrivateDirectory(directory)
            try SecureFiles.checkPrivateDirectory(directory)
        } catch { throw .insecureFile(error.description) }
        if SecureFiles.exists(path) { throw .identityExists(path: path) }
        let salt = RandomBytes.make(Argon2id.saltLength)
        let kek = try PassphraseSlot.derive(passphrase: passphrase, salt: salt, limits: limits)
        let inner = SecretBytes(count: 16 + 64) { out in
            out.copyBytes(from: innerLabel + identity.publicKey)
            identity.secretKey.withUnsafeBytes { key in
                (out.baseAddress! + 48).copyMemory(from: key.baseAddress!, byteCount: 32)
            }
        }
        let sealed: [UInt8]
        do { sealed = try SecretBox.seal(inner, key: kek) } catch { throw .system("could not seal the identity") }
        var writer = ByteWriter()
        writer.append(magic)
        writer.u64(limits.opsLimit)
        writer.u64(limits.memLimit)
        writer.append(salt)
        writer.append(identity.publicKey)
        writer.append(sealed)
        do {
            try SecureFiles.writeNew(path, bytes: writer.bytes)
            try SecureFiles.sync(directory, directory: true)
        } catch { throw .system("cannot write the identity file: \(error.description)") }
    }

    private struct Parsed {
        let limits: KDFLimits
        let salt: [UInt8]
        let publicKey: [UInt8]
        let sealed: [UInt8]
    }

    private static func read(_ path: String) throws(VaultError) -> Parsed? {
        let bytes: [UInt8]
        do {
            try SecureFiles.checkPrivate(path)
            bytes = try SecureFiles.read(path, limit: 4096)
        } catch {
            if case .missing = error { return nil }
            throw .insecureFile(error.description)
        }
        let parsed = bytes.withUnsafeBytes { raw -> Parsed? in
            guard raw.count == length else { return nil }
            var reader = ByteReader(raw)
            guard let head = reader.take(8), Array(head) == magic, let ops = reader.u64(), let mem = reader.u64(),
                let salt = reader.take(Argon2id.saltLength), let publicKey = reader.take(32)
            else { return nil }
            return Parsed(
                limits: KDFLimits(opsLimit: ops, memLimit: mem), salt: Array(salt), publicKey: Array(publicKey),
                sealed: Array(raw[reader.offset...]))
        }
        guard let parsed else { throw .corrupt("the identity file \(path) is damaged or of an unknown format") }
        do { try parsed.limits.checkPolicy() } catch let VaultError.kdfOutsidePolicy(message) {
            throw .kdfOutsidePolicy("identity file: \(message)")
        }
        return parsed
    }
}
