internal import CSodium

/// Bytes that must not outlive their use: keys, passphrases, decrypted records.
///
/// The bytes live in memory from `sodium_malloc` (guard pages, locked where the system
/// allows, never swapped when locked) and are wiped by `sodium_free` when the value goes
/// away. They are lent only inside `withUnsafeBytes`, so no other copy is made by this type.
/// A class, not a struct, so that exactly one owner frees the allocation.
public final class SecretBytes: @unchecked Sendable {
    // @unchecked: the bytes are written only inside the initialiser and read-only afterwards.
    private let pointer: UnsafeMutableRawPointer
    /// The number of secret bytes.
    public let count: Int

    /// Allocates `count` bytes and lets `initializer` fill them.
    public init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        Sodium.ensureInitialized()
        precondition(count >= 0, "negative size")
        guard let pointer = sodium_malloc(max(count, 1)) else {
            fatalError("sodium_malloc failed: out of memory")
        }
        self.pointer = pointer
        self.count = count
        do {
            try initializer(UnsafeMutableRawBufferPointer(start: pointer, count: count))
        } catch {
            sodium_free(pointer)
            throw error
        }
    }

    /// Copies `bytes` into secret memory. The caller remains responsible for its own copy.
    public convenience init(copying bytes: some Collection<UInt8>) {
        self.init(count: bytes.count) { buffer in
            _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    /// The UTF-8 bytes of `string`. Swift strings cannot be wiped; prefer reading secrets
    /// straight into `SecretBytes` where the input allows.
    public convenience init(utf8 string: String) {
        var string = string
        let count = string.utf8.count
        self.init(count: count) { buffer in
            string.withUTF8 { source in
                if let base = source.baseAddress, count > 0 {
                    buffer.baseAddress!.copyMemory(from: base, byteCount: count)
                }
            }
        }
    }

    /// `count` bytes from the operating system's secure random source.
    /// The corresponding libsodium function is `randombytes_buf`.
    public static func random(count: Int) -> SecretBytes {
        SecretBytes(count: count) { buffer in
            if count > 0 { randombytes_buf(buffer.baseAddress!, count) }
        }
    }

    deinit {
        // sodium_free zeroes the whole allocation before releasing it.
        sodium_free(pointer)
    }

    /// Lends the bytes to `body`; they must not escape it.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// A new value holding `range` of these bytes.
    public func slice(_ range: Range<Int>) -> SecretBytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "slice out of bounds")
        return SecretBytes(count: range.count) { buffer in
            if range.count > 0 {
                buffer.baseAddress!.copyMemory(from: pointer + range.lowerBound, byteCount: range.count)
            }
        }
    }

    /// Whether both hold the same bytes, compared in constant time for equal lengths.
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { a in other.withUnsafeBytes { b in ConstantTime.equal(a, b) } }
    }
}

/// Comparisons whose time does not depend on where two byte strings differ.
public enum ConstantTime {
    /// Whether `a` and `b` are equal; lengths are compared first (lengths are not secret).
    /// The corresponding libsodium function is `sodium_memcmp`.
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        Sodium.ensureInitialized()
        guard a.count == b.count else { return false }
        if a.count == 0 { return true }
        return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }

    /// Whether `a` and `b` are equal.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in equal(x, y) } }
    }
}

/// Random bytes that are not secret (salts, nonces, identifiers).
public enum RandomBytes {
    /// `count` bytes from the secure random source. The libsodium function is `randombytes_buf`.
    public static func make(_ count: Int) -> [UInt8] {
        Sodium.ensureInitialized()
        var bytes = [UInt8](repeating: 0, count: count)
        if count > 0 { bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) } }
        return bytes
    }
}
