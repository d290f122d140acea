internal import CSodium

/// Secret memory reused across many operations of one run, such as opening every record of a
/// vault in `verify`: one `sodium_malloc` for the run instead of one per derived key and per
/// plaintext, each of which costs an mmap, mprotects, an mlock and their undoing.
///
/// Like `SecretBytes`, the memory comes from `sodium_malloc` and is wiped by `sodium_free`; the
/// part lent to a caller is also wiped as soon as the caller returns. A class, so that exactly
/// one owner frees the allocation; not `Sendable`, since its bytes change with every use.
public final class SecretScratch {
    private var pointer: UnsafeMutableRawPointer
    /// Bytes available without growing.
    public private(set) var capacity: Int

    public init(capacity: Int = 4096) {
        Sodium.ensureInitialized()
        self.capacity = max(capacity, 1)
        self.pointer = Self.allocate(self.capacity)
    }

    deinit {
        // sodium_free zeroes the whole allocation before releasing it.
        sodium_free(pointer)
    }

    private static func allocate(_ count: Int) -> UnsafeMutableRawPointer {
        guard let pointer = sodium_malloc(count) else { fatalError("sodium_malloc failed: out of memory") }
        return pointer
    }

    /// Lends the first `count` bytes (growing the scratch if needed) to `body`; they must not
    /// escape it, and are zeroed when it returns or throws.
    public func withUnsafeMutableBytes<R>(
        count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R
    ) rethrows -> R {
        precondition(count >= 0, "negative size")
        if count > capacity {
            sodium_free(pointer)
            capacity = max(count, capacity * 2)
            pointer = Self.allocate(capacity)
        }
        defer { sodium_memzero(pointer, count) }
        return try body(UnsafeMutableRawBufferPointer(start: pointer, count: count))
    }
}

@available(*, unavailable)
extension SecretScratch: Sendable {}

extension KeyDerivation {
    /// BLAKE2b of `message` keyed with `key`, written into `output` (1–64 bytes): a derived key
    /// placed in a `SecretScratch`. The corresponding libsodium function is `crypto_generichash`.
    public static func hash(_ message: [UInt8], key: SecretBytes, into output: UnsafeMutableRawBufferPointer) {
        Sodium.ensureInitialized()
        precondition(key.count <= Int(crypto_generichash_keybytes_max()), "BLAKE2b key longer than 64 bytes")
        precondition(
            output.count >= 1 && output.count <= Int(crypto_generichash_bytes_max()),
            "BLAKE2b output must be 1-64 bytes")
        key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                _ = crypto_generichash(
                    output.baseAddress!.assumingMemoryBound(to: UInt8.self), output.count,
                    m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count),
                    k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count)
            }
        }
    }
}

extension SecretBox {
    /// Opens a sealed box under `key` into the start of `output`, which must hold at least
    /// `sealed.count - overhead` bytes; returns the plaintext's length, or throws
    /// `authenticationFailed`. The corresponding libsodium function is `crypto_secretbox_open_easy`.
    public static func open(
        _ sealed: [UInt8], key: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) -> Int {
        Sodium.ensureInitialized()
        guard key.count == keyLength else { throw .invalidLength(what: "key", expected: keyLength, actual: key.count) }
        guard sealed.count >= overhead else { throw .authenticationFailed }
        let length = sealed.count - overhead
        guard output.count >= length else {
            throw .invalidLength(what: "plaintext buffer", expected: length, actual: output.count)
        }
        let nonceLength = self.nonceLength
        let status = sealed.withUnsafeBytes { box in
            let nonce = box.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return crypto_secretbox_open_easy(
                output.baseAddress!.assumingMemoryBound(to: UInt8.self), nonce.advanced(by: nonceLength),
                UInt64(box.count - nonceLength), nonce, key.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard status == 0 else { throw .authenticationFailed }
        return length
    }
}
