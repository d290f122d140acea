internal import CSodium

/// Runs `sodium_init()` exactly once, before the first libsodium call of the process.
enum Sodium {
    static let initialized: Void = {
        // sodium_init returns 0 on success, 1 when already initialised, -1 on failure.
        guard sodium_init() >= 0 else {
            fatalError("libsodium could not be initialised")
        }
    }()

    @inline(__always)
    static func ensureInitialized() { _ = initialized }
}

/// A failure inside a libsodium call. Carries no key or message bytes.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A ciphertext did not authenticate under the key: wrong key, or bytes were changed.
    case authenticationFailed
    /// An input had the wrong length (`what` names it, `expected` and `actual` in bytes).
    case invalidLength(what: String, expected: Int, actual: Int)
    /// The key derivation function could not run with the requested limits.
    case keyDerivationFailed
    /// The key derivation function could not get the `bytes` of memory its limits ask for.
    case keyDerivationOutOfMemory(bytes: UInt64)
    /// Bytes that should decode (hex, base64) did not.
    case malformedEncoding

    public var description: String {
        switch self {
        case .authenticationFailed: "authentication failed"
        case let .invalidLength(what, expected, actual): "\(what) must be \(expected) bytes, not \(actual)"
        case .keyDerivationFailed: "the key derivation function failed"
        case let .keyDerivationOutOfMemory(bytes):
            "the key derivation function needs \(bytes >> 20) MiB of memory and could not get it"
        case .malformedEncoding: "malformed encoding"
        }
    }
}
