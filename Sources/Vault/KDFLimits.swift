import VaultCrypto

/// Argon2id cost limits of one passphrase slot, with the vault's policy.
public struct KDFLimits: Sendable, Hashable, Codable {
    public var opsLimit: UInt64
    public var memLimit: UInt64

    public init(opsLimit: UInt64, memLimit: UInt64) {
        self.opsLimit = opsLimit
        self.memLimit = memLimit
    }

    /// libsodium's INTERACTIVE limits (2 passes, 64 MiB): the floor.
    public static var interactive: KDFLimits {
        .init(opsLimit: Argon2id.interactive.ops, memLimit: Argon2id.interactive.mem)
    }
    /// libsodium's MODERATE limits (3 passes, 256 MiB): the default.
    public static var moderate: KDFLimits { .init(opsLimit: Argon2id.moderate.ops, memLimit: Argon2id.moderate.mem) }
    /// libsodium's SENSITIVE limits (4 passes, 1 GiB).
    public static var sensitive: KDFLimits { .init(opsLimit: Argon2id.sensitive.ops, memLimit: Argon2id.sensitive.mem) }

    /// Most passes accepted: a planted slot must not make unlocking take minutes.
    public static let maximumOps: UInt64 = 10
    /// Most memory accepted (4 GiB): a planted slot must not exhaust memory.
    public static let maximumMem: UInt64 = 4 << 30

    /// Throws unless the limits lie between INTERACTIVE and the cap. Runs before any KDF.
    public func checkPolicy() throws(VaultError) {
        let floor = KDFLimits.interactive
        guard opsLimit >= floor.opsLimit, memLimit >= floor.memLimit else {
            throw .kdfOutsidePolicy(
                "its Argon2id limits (ops \(opsLimit), memory \(memLimit) bytes) are below the INTERACTIVE floor")
        }
        guard opsLimit <= KDFLimits.maximumOps, memLimit <= KDFLimits.maximumMem else {
            throw .kdfOutsidePolicy(
                "its Argon2id limits (ops \(opsLimit), memory \(memLimit) bytes) exceed the cap of ops 10 and 4 GiB")
        }
    }
}
