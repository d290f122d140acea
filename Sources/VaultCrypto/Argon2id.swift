internal import CSodium

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Password hashing with Argon2id, version 1.3.
public enum Argon2id {
    /// The algorithm identifier stored beside every slot (`crypto_pwhash_ALG_ARGON2ID13`).
    public static var algorithmIdentifier: Int { Int(crypto_pwhash_alg_argon2id13()) }
    /// Salt length in bytes (`crypto_pwhash_SALTBYTES`, 16).
    public static var saltLength: Int { Int(crypto_pwhash_saltbytes()) }

    /// libsodium's named limits.
    public static var interactive: (ops: UInt64, mem: UInt64) {
        (UInt64(crypto_pwhash_argon2id_opslimit_interactive()), UInt64(crypto_pwhash_argon2id_memlimit_interactive()))
    }
    public static var moderate: (ops: UInt64, mem: UInt64) {
        (UInt64(crypto_pwhash_argon2id_opslimit_moderate()), UInt64(crypto_pwhash_argon2id_memlimit_moderate()))
    }
    public static var sensitive: (ops: UInt64, mem: UInt64) {
        (UInt64(crypto_pwhash_argon2id_opslimit_sensitive()), UInt64(crypto_pwhash_argon2id_memlimit_sensitive()))
    }

    /// Derives `length` key bytes from `passphrase` and `salt` with the given limits.
    /// Callers enforce their own policy on the limits before calling: this runs whatever
    /// libsodium accepts. A failure to allocate `memLimit` bytes (a machine smaller than the
    /// limits, or an address-space limit) is `keyDerivationOutOfMemory`, never a crash.
    /// The corresponding libsodium function is `crypto_pwhash`.
    public static func deriveKey(
        passphrase: SecretBytes, salt: [UInt8], opsLimit: UInt64, memLimit: UInt64, length: Int = 32
    ) throws(CryptoError) -> SecretBytes {
        Sodium.ensureInitialized()
        guard salt.count == saltLength else {
            throw .invalidLength(what: "salt", expected: saltLength, actual: salt.count)
        }
        var status: Int32 = 0
        var failure: Int32 = 0
        let key = SecretBytes(count: length) { out in
            status = passphrase.withUnsafeBytes { pass in
                salt.withUnsafeBytes { saltBytes in
                    crypto_pwhash(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(length),
                        pass.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(pass.count),
                        saltBytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        opsLimit, Int(clamping: memLimit), crypto_pwhash_alg_argon2id13())
                }
            }
            if status != 0 { failure = errno }
        }
        guard status == 0 else {
            // libsodium's Argon2 allocates its memory with mmap or malloc; both set ENOMEM.
            throw failure == ENOMEM ? .keyDerivationOutOfMemory(bytes: memLimit) : .keyDerivationFailed
        }
        return key
    }
}
