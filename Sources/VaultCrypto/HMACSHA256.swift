internal import CSodium

/// HMAC-SHA-256 (RFC 2104, FIPS 198-1) with a key of any length.
///
/// Keys longer than the 64-byte block are hashed first, as RFC 2104 says; libsodium's
/// one-shot `crypto_auth_hmacsha256` takes only 32-byte keys, so the streaming functions
/// are used, which take any length.
public enum HMACSHA256 {
    /// The authentication code length in bytes (32).
    public static var byteCount: Int { Int(crypto_auth_hmacsha256_bytes()) }

    /// The authentication code of `message` under `key`.
    /// The corresponding libsodium functions are `crypto_auth_hmacsha256_init`,
    /// `crypto_auth_hmacsha256_update` and `crypto_auth_hmacsha256_final`.
    public static func authenticate(_ message: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> [UInt8] {
        Sodium.ensureInitialized()
        var state = crypto_auth_hmacsha256_state()
        // The state holds the key's inner and outer pads: wipe it however this returns.
        defer { withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress!, $0.count) } }
        var code = [UInt8](repeating: 0, count: byteCount)
        // init takes a non-null key even when its length is zero.
        var emptyKey: UInt8 = 0
        let keyPointer = key.baseAddress?.assumingMemoryBound(to: UInt8.self)
        if let keyPointer, key.count > 0 {
            _ = crypto_auth_hmacsha256_init(&state, keyPointer, key.count)
        } else {
            _ = crypto_auth_hmacsha256_init(&state, &emptyKey, 0)
        }
        _ = crypto_auth_hmacsha256_update(
            &state, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count))
        code.withUnsafeMutableBytes { out in
            _ = crypto_auth_hmacsha256_final(&state, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return code
    }

    /// The authentication code of `message` under `key`; see `authenticate(_:key:)` on buffers.
    public static func authenticate(_ message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        let message = Array(message)
        let key = Array(key)
        return message.withUnsafeBytes { m in key.withUnsafeBytes { k in authenticate(m, key: k) } }
    }

    /// The authentication code of `message` under a key held in secret memory.
    public static func authenticate(_ message: some Collection<UInt8>, key: SecretBytes) -> [UInt8] {
        let message = Array(message)
        return message.withUnsafeBytes { m in key.withUnsafeBytes { k in authenticate(m, key: k) } }
    }
}
