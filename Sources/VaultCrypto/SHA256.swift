internal import CSodium

/// SHA-256 (FIPS 180-4), for public values such as the PKCE S256 challenge.
///
/// Not for passphrases or keys: a fast hash of a secret is what an offline guesser wants.
public enum SHA256 {
    /// The digest length in bytes (32).
    public static var byteCount: Int { Int(crypto_hash_sha256_bytes()) }

    /// The digest of `message`.
    /// The corresponding libsodium function is `crypto_hash_sha256`.
    public static func hash(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        Sodium.ensureInitialized()
        var digest = [UInt8](repeating: 0, count: byteCount)
        digest.withUnsafeMutableBytes { out in
            // Returns 0 on every input: the only failure would be a null output pointer.
            _ = crypto_hash_sha256(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count))
        }
        return digest
    }

    /// The digest of `message`; see `hash(_:)` on a buffer.
    /// The corresponding libsodium function is `crypto_hash_sha256`.
    public static func hash(_ message: some Collection<UInt8>) -> [UInt8] {
        if let digest = message.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return Array(message).withUnsafeBytes { hash($0) }
    }
}
