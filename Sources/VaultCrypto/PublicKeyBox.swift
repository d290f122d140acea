internal import CSodium

/// X25519 key pairs and anonymous sealed boxes (libsodium `crypto_box_keypair`,
/// `crypto_box_seal`, `crypto_box_seal_open`).
///
/// A sealed box is `ephemeral public key (32) || tag (16) || ciphertext`: anyone holding the
/// public key can seal, only the holder of the secret key can open, and the box does not say
/// who sealed it.
public enum PublicKeyBox {
    public static var publicKeyLength: Int { Int(crypto_box_publickeybytes()) }
    public static var secretKeyLength: Int { Int(crypto_box_secretkeybytes()) }
    /// Bytes a sealed box adds to its plaintext (48).
    public static var sealOverhead: Int { Int(crypto_box_sealbytes()) }

    /// A new key pair: the public key, and the secret key in secret memory.
    public static func makeKeyPair() -> (publicKey: [UInt8], secretKey: SecretBytes) {
        Sodium.ensureInitialized()
        var publicKey = [UInt8](repeating: 0, count: publicKeyLength)
        let secretKey = SecretBytes(count: secretKeyLength) { out in
            _ = crypto_box_keypair(&publicKey, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return (publicKey, secretKey)
    }

    /// The public key that belongs to `secretKey` (X25519 scalar multiplication of the base point).
    public static func publicKey(of secretKey: SecretBytes) throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialized()
        guard secretKey.count == secretKeyLength else {
            throw .invalidLength(what: "secret key", expected: secretKeyLength, actual: secretKey.count)
        }
        var publicKey = [UInt8](repeating: 0, count: publicKeyLength)
        let status = secretKey.withUnsafeBytes { key in
            crypto_scalarmult_base(&publicKey, key.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard status == 0 else { throw .authenticationFailed }
        return publicKey
    }

    /// Seals `plaintext` to `publicKey` with a fresh ephemeral key pair.
    public static func seal(_ plaintext: SecretBytes, to publicKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialized()
        guard publicKey.count == publicKeyLength else {
            throw .invalidLength(what: "public key", expected: publicKeyLength, actual: publicKey.count)
        }
        var out = [UInt8](repeating: 0, count: plaintext.count + sealOverhead)
        let status = plaintext.withUnsafeBytes { message in
            var empty: UInt8 = 0
            return withUnsafePointer(to: &empty) { emptyPointer in
                crypto_box_seal(
                    &out, message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyPointer,
                    UInt64(message.count), publicKey)
            }
        }
        guard status == 0 else { throw .authenticationFailed }
        return out
    }

    /// Opens a sealed box with the key pair, or throws `authenticationFailed`.
    public static func open(
        _ sealed: [UInt8], publicKey: [UInt8], secretKey: SecretBytes
    ) throws(CryptoError) -> SecretBytes {
        Sodium.ensureInitialized()
        guard publicKey.count == publicKeyLength, secretKey.count == secretKeyLength else {
            throw .invalidLength(what: "key pair", expected: publicKeyLength, actual: publicKey.count)
        }
        guard sealed.count >= sealOverhead else { throw .authenticationFailed }
        var status: Int32 = 0
        let plaintext = SecretBytes(count: sealed.count - sealOverhead) { out in
            var scratch: UInt8 = 0
            secretKey.withUnsafeBytes { key in
                status = withUnsafeMutablePointer(to: &scratch) { scratchPointer in
                    crypto_box_seal_open(
                        out.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? scratchPointer, sealed,
                        UInt64(sealed.count), publicKey, key.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard status == 0 else { throw .authenticationFailed }
        return plaintext
    }
}
