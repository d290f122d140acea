internal import CSodium

/// Authenticated encryption with XSalsa20-Poly1305.
///
/// A sealed box is `nonce (24 bytes) || tag (16 bytes) || ciphertext`, exactly the output of
/// `crypto_secretbox_easy` with its nonce in front.
public enum SecretBox {
    public static var keyLength: Int { Int(crypto_secretbox_keybytes()) }
    public static var nonceLength: Int { Int(crypto_secretbox_noncebytes()) }
    public static var tagLength: Int { Int(crypto_secretbox_macbytes()) }
    /// Bytes a sealed box adds to its plaintext.
    public static var overhead: Int { nonceLength + tagLength }

    /// Seals `plaintext` under `key` with a fresh random nonce.
    /// The corresponding libsodium function is `crypto_secretbox_easy`.
    public static func seal(_ plaintext: UnsafeRawBufferPointer, key: SecretBytes) throws(CryptoError) -> [UInt8] {
        try seal(plaintext, nonce: RandomBytes.make(nonceLength), key: key)
    }

    /// Seals `plaintext` under `key`.
    public static func seal(_ plaintext: SecretBytes, key: SecretBytes) throws(CryptoError) -> [UInt8] {
        let nonce = RandomBytes.make(nonceLength)
        let result = plaintext.withUnsafeBytes { bytes in
            Result { () throws(CryptoError) in
                try seal(bytes, nonce: nonce, key: key)
            }
        }
        return try result.get()
    }

    /// Seals with a caller-chosen nonce. Only known-answer tests choose nonces; a nonce must
    /// never be used twice with one key.
    public static func seal(
        _ plaintext: UnsafeRawBufferPointer, nonce: [UInt8], key: SecretBytes
    ) throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialized()
        guard key.count == keyLength else { throw .invalidLength(what: "key", expected: keyLength, actual: key.count) }
        guard nonce.count == nonceLength else {
            throw .invalidLength(what: "nonce", expected: nonceLength, actual: nonce.count)
        }
        var out = [UInt8](repeating: 0, count: nonceLength + tagLength + plaintext.count)
        let nonceLength = self.nonceLength
        out.withUnsafeMutableBytes { buffer in
            buffer.baseAddress!.copyMemory(from: nonce, byteCount: nonceLength)
            let cipher = buffer.baseAddress!.advanced(by: nonceLength).assumingMemoryBound(to: UInt8.self)
            key.withUnsafeBytes { k in
                _ = crypto_secretbox_easy(
                    cipher, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(cipher),
                    UInt64(plaintext.count), nonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return out
    }

    /// Opens a sealed box into secret memory, or throws `authenticationFailed`.
    /// The corresponding libsodium function is `crypto_secretbox_open_easy`.
    public static func open(_ sealed: [UInt8], key: SecretBytes) throws(CryptoError) -> SecretBytes {
        Sodium.ensureInitialized()
        guard key.count == keyLength else { throw .invalidLength(what: "key", expected: keyLength, actual: key.count) }
        guard sealed.count >= overhead else { throw .authenticationFailed }
        let nonceLength = self.nonceLength
        var status: Int32 = 0
        let plaintext = SecretBytes(count: sealed.count - overhead) { out in
            sealed.withUnsafeBytes { box in
                let nonce = box.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let cipher = nonce.advanced(by: nonceLength)
                var scratch: UInt8 = 0
                key.withUnsafeBytes { k in
                    status = withUnsafeMutablePointer(to: &scratch) { scratchPointer in
                        crypto_secretbox_open_easy(
                            out.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? scratchPointer,
                            cipher, UInt64(box.count - nonceLength), nonce,
                            k.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    }
                }
            }
        }
        guard status == 0 else { throw .authenticationFailed }
        return plaintext
    }
}
