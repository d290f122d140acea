internal import CSodium

/// Subkeys from a master key, and keyed hashing (BLAKE2b).
public enum KeyDerivation {
    /// Derives subkey number `subkeyID` of `length` bytes for an 8-character `context`.
    /// The corresponding libsodium function is `crypto_kdf_derive_from_key`.
    public static func subkey(
        of key: SecretBytes, id subkeyID: UInt64, context: String, length: Int = 32
    ) throws(CryptoError) -> SecretBytes {
        Sodium.ensureInitialized()
        let contextBytes = Array(context.utf8)
        guard contextBytes.count == Int(crypto_kdf_contextbytes()) else {
            throw .invalidLength(
                what: "KDF context", expected: Int(crypto_kdf_contextbytes()), actual: contextBytes.count)
        }
        guard key.count == Int(crypto_kdf_keybytes()) else {
            throw .invalidLength(what: "KDF key", expected: Int(crypto_kdf_keybytes()), actual: key.count)
        }
        guard length >= Int(crypto_kdf_bytes_min()), length <= Int(crypto_kdf_bytes_max()) else {
            throw .invalidLength(what: "subkey", expected: 32, actual: length)
        }
        var status: Int32 = 0
        let subkey = SecretBytes(count: length) { out in
            key.withUnsafeBytes { k in
                contextBytes.withUnsafeBytes { ctx in
                    status = crypto_kdf_derive_from_key(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), length, subkeyID,
                        ctx.baseAddress!.assumingMemoryBound(to: CChar.self),
                        k.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard status == 0 else { throw .invalidLength(what: "subkey", expected: 32, actual: length) }
        return subkey
    }

    /// BLAKE2b of `message` keyed with `key` (or unkeyed when `nil`), `length` bytes.
    /// The corresponding libsodium function is `crypto_generichash`.
    public static func hash(_ message: UnsafeRawBufferPointer, key: SecretBytes?, length: Int = 32) -> [UInt8] {
        Sodium.ensureInitialized()
        checkBlake2bSizes(key: key?.count ?? 0, length: length)
        var out = [UInt8](repeating: 0, count: length)
        out.withUnsafeMutableBytes { buffer in
            let outPointer = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let messagePointer = message.baseAddress?.assumingMemoryBound(to: UInt8.self)
            if let key {
                key.withUnsafeBytes { k in
                    _ = crypto_generichash(
                        outPointer, length, messagePointer, UInt64(message.count),
                        k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count)
                }
            } else {
                _ = crypto_generichash(outPointer, length, messagePointer, UInt64(message.count), nil, 0)
            }
        }
        return out
    }

    /// BLAKE2b of `message`; see `hash(_:key:length:)`.
    public static func hash(_ message: [UInt8], key: SecretBytes?, length: Int = 32) -> [UInt8] {
        message.withUnsafeBytes { hash($0, key: key, length: length) }
    }

    /// A keyed BLAKE2b output kept in secret memory, for deriving keys from a key and a
    /// variable-length context. The corresponding libsodium function is `crypto_generichash`.
    public static func keyedHashKey(_ message: [UInt8], key: SecretBytes, length: Int = 32) -> SecretBytes {
        Sodium.ensureInitialized()
        checkBlake2bSizes(key: key.count, length: length)
        return SecretBytes(count: length) { out in
            key.withUnsafeBytes { k in
                message.withUnsafeBytes { m in
                    _ = crypto_generichash(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), length,
                        m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count),
                        k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count)
                }
            }
        }
    }

    /// crypto_generichash refuses these sizes without writing its output: a constant MAC or key
    /// must never come out silently. Callers pass constants, so this is a programming error.
    private static func checkBlake2bSizes(key: Int, length: Int) {
        precondition(key <= Int(crypto_generichash_keybytes_max()), "BLAKE2b key longer than 64 bytes")
        precondition(length >= 1 && length <= Int(crypto_generichash_bytes_max()), "BLAKE2b output must be 1-64 bytes")
    }
}
