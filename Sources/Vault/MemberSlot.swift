import VaultCrypto

/// What a slot row is (`slot.kind`, format 4). Rows of older formats are passphrase slots.
public enum SlotKind: Sendable, Equatable, CustomStringConvertible {
    case passphrase
    case member
    /// A kind written by a newer version: the slot is left alone and never tried.
    case unknown(String)

    public init(rawValue: String) {
        switch rawValue {
        case "passphrase": self = .passphrase
        case "member": self = .member
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .passphrase: "passphrase"
        case .member: "member"
        case let .unknown(name): name
        }
    }

    public var description: String { rawValue }
}

/// A member slot (docs/FORMAT.md, "Member slots"): the data key sealed to a member's X25519
/// public key.
///
/// wrapped_key = crypto_box_seal(vault_id (16) || DEK (32), public_key)        96 bytes
///
/// Anyone who can write the file can seal a data key of their own choosing to anyone, so a
/// member slot proves nothing by opening: the data key it yields must also open the vault MAC
/// state, which covers every slot's kind and public key (`Integrity.slotsDigest`).
public enum MemberSlot {
    static var wrappedLength: Int { 16 + PassphraseSlot.dataKeyLength + PublicKeyBox.sealOverhead }

    /// `vault_id || DEK` in secret memory: the plaintext every slot wraps.
    static func keyPlaintext(vaultID: [UInt8], dataKey: SecretBytes) -> SecretBytes {
        SecretBytes(count: vaultID.count + dataKey.count) { out in
            out.copyBytes(from: vaultID)
            dataKey.withUnsafeBytes { key in
                (out.baseAddress! + vaultID.count).copyMemory(from: key.baseAddress!, byteCount: key.count)
            }
        }
    }

    /// A member slot wrapping `dataKey` to `publicKey`.
    static func make(
        label: String, publicKey: [UInt8], vaultID: [UInt8], dataKey: SecretBytes, now: Int64
    ) throws(VaultError) -> PassphraseSlot {
        let wrapped: [UInt8]
        do {
            wrapped = try PublicKeyBox.seal(keyPlaintext(vaultID: vaultID, dataKey: dataKey), to: publicKey)
        } catch { throw .system("could not wrap the data key to the member's public key") }
        return PassphraseSlot(
            label: label, algorithm: 0, limits: KDFLimits(opsLimit: 0, memLimit: 0), salt: [], wrappedKey: wrapped,
            createdAt: now, kind: .member, publicKey: publicKey)
    }

    static func checkStructure(_ slot: PassphraseSlot) throws(VaultError) {
        guard let publicKey = slot.publicKey, publicKey.count == PublicKeyBox.publicKeyLength,
            slot.algorithm == 0, slot.limits.opsLimit == 0, slot.limits.memLimit == 0, slot.salt.isEmpty,
            slot.wrappedKey.count == wrappedLength
        else {
            throw .corrupt("member slot '\(Names.printable(slot.label))' has fields of the wrong size")
        }
    }

    /// The data key, or `nil` when the slot is not sealed to `identity`.
    static func unwrap(_ slot: PassphraseSlot, identity: Identity, vaultID: [UInt8]) throws(VaultError)
        -> SecretBytes?
    {
        try checkStructure(slot)
        guard slot.publicKey == identity.publicKey else { return nil }
        guard
            let plaintext = try? PublicKeyBox.open(
                slot.wrappedKey, publicKey: identity.publicKey, secretKey: identity.secretKey)
        else {
            throw .tampered(what: "member slot '\(Names.printable(slot.label))' does not open with its member's key")
        }
        let idMatches = plaintext.withUnsafeBytes { bytes in
            vaultID.withUnsafeBytes { ConstantTime.equal(UnsafeRawBufferPointer(rebasing: bytes[0..<16]), $0) }
        }
        guard idMatches else {
            throw .tampered(what: "member slot '\(Names.printable(slot.label))' belongs to another vault")
        }
        return plaintext.slice(16..<plaintext.count)
    }
}

/// An X25519 key pair of one user: the public key that others add as a member, and the secret
/// key that opens the member slots sealed to it.
public struct Identity: Sendable {
    public let publicKey: [UInt8]
    public let secretKey: SecretBytes

    public init(publicKey: [UInt8], secretKey: SecretBytes) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new random key pair.
    public static func generate() -> Identity {
        let pair = PublicKeyBox.makeKeyPair()
        return Identity(publicKey: pair.publicKey, secretKey: pair.secretKey)
    }

    /// The public key as one line: `twvault-pub1-` and the hex of key and checksum.
    public var publicKeyText: String { PublicKeyText.encode(publicKey) }
}

/// The text form of a public key: `twvault-pub1-` || hex(public_key (32) || checksum (4)), the
/// checksum being the first 4 bytes of BLAKE2b-256 of "twvault-pub1" || public_key, so that a
/// key copied with a typo is refused rather than trusted with the data key.
public enum PublicKeyText {
    public static let prefix = "twvault-pub1-"
    static let checksumLabel = Array("twvault-pub1".utf8)

    static func checksum(_ publicKey: [UInt8]) -> [UInt8] {
        Array(KeyDerivation.hash(checksumLabel + publicKey, key: nil).prefix(4))
    }

    public static func encode(_ publicKey: [UInt8]) -> String {
        prefix + ByteEncoding.hex(publicKey + checksum(publicKey))
    }

    /// The 32-byte key, or `invalidName` (64) with what is wrong.
    public static func decode(_ text: String) throws(VaultError) -> [UInt8] {
        let trimmed = text.trimmingWhitespace
        guard trimmed.hasPrefix(prefix) else {
            throw .invalidName("not a twvault public key: it must start with '\(prefix)' (see `twvault identity show`)")
        }
        let body = String(trimmed.dropFirst(prefix.count))
        guard body.utf8.count == 2 * (PublicKeyBox.publicKeyLength + 4),
            let bytes = try? ByteEncoding.fromHex(body.lowercased())
        else {
            throw .invalidName(
                "the public key has the wrong length or characters: copy the whole line `twvault identity show` prints")
        }
        let key = Array(bytes.prefix(PublicKeyBox.publicKeyLength))
        guard ConstantTime.equal(checksum(key), Array(bytes.suffix(4))) else {
            throw .invalidName(
                "the public key's checksum does not match (a character was mistyped): copy it again from `twvault identity show`"
            )
        }
        return key
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
