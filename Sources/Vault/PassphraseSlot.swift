import FoundationEssentials
import VaultCrypto

/// One passphrase that opens the vault (docs/FORMAT.md, "Slots").
///
/// kek         = crypto_pwhash(32, NFC(passphrase), salt, ops, mem, ARGON2ID13)
/// wrapped_key = nonce (24) || crypto_secretbox_easy(vault_id (16) || DEK (32), nonce, kek)
///
/// A wrong passphrase is detected by the wrapped key's authentication tag, never by a fast
/// hash of the passphrase that could be attacked offline more cheaply than Argon2id.
///
/// Since format 4 a slot row is of one of two kinds (`SlotKind`): a passphrase slot as above,
/// or a member slot, whose `wrapped_key` is `crypto_box_seal(vault_id || DEK, public_key)` for
/// a member's identity (`MemberSlot`); a member slot has no KDF fields of its own (algorithm,
/// limits 0, empty salt): the member's passphrase opens their identity file instead.
public struct PassphraseSlot: Sendable, Equatable {
    public let label: String
    public let algorithm: Int
    public let limits: KDFLimits
    public let salt: [UInt8]
    public let wrappedKey: [UInt8]
    public let createdAt: Int64
    /// `passphrase`, or `member` (format 4).
    public let kind: SlotKind
    /// A member slot's X25519 public key (32 bytes); `nil` for a passphrase slot.
    public let publicKey: [UInt8]?

    static let dataKeyLength = 32

    init(
        label: String, algorithm: Int, limits: KDFLimits, salt: [UInt8], wrappedKey: [UInt8], createdAt: Int64,
        kind: SlotKind = .passphrase, publicKey: [UInt8]? = nil
    ) {
        self.label = label
        self.algorithm = algorithm
        self.limits = limits
        self.salt = salt
        self.wrappedKey = wrappedKey
        self.createdAt = createdAt
        self.kind = kind
        self.publicKey = publicKey
    }

    public var isMember: Bool { kind == .member }

    /// Wraps `dataKey` under a new passphrase.
    static func make(
        label: String, passphrase: SecretBytes, limits: KDFLimits, vaultID: [UInt8],
        dataKey: SecretBytes, now: Int64
    ) throws(VaultError) -> PassphraseSlot {
        try Passphrase.checkNew(passphrase)
        try limits.checkPolicy()
        let salt = RandomBytes.make(Argon2id.saltLength)
        let kek = try derive(passphrase: passphrase, salt: salt, limits: limits)
        let plaintext = MemberSlot.keyPlaintext(vaultID: vaultID, dataKey: dataKey)
        let wrapped: [UInt8]
        do { wrapped = try SecretBox.seal(plaintext, key: kek) } catch { throw .system("could not wrap the data key") }
        return PassphraseSlot(
            label: label, algorithm: Argon2id.algorithmIdentifier, limits: limits, salt: salt,
            wrappedKey: wrapped, createdAt: now)
    }

    /// Checks what can be checked without the passphrase: algorithm, limits, sizes.
    func checkStructure() throws(VaultError) {
        switch kind {
        case .member: return try MemberSlot.checkStructure(self)
        case .passphrase:
            // A member slot's row marked as a passphrase slot (algorithm 0 is no KDF at all):
            // damage, not a newer format.
            guard publicKey == nil, algorithm != 0 else {
                throw .tampered(
                    what:
                        "slot '\(Names.printable(label))' is marked as a passphrase slot but has a member slot's fields"
                )
            }
        case let .unknown(name):
            throw .newerFormat(
                "slot '\(Names.printable(label))' is of kind '\(Names.printable(name))', which this version does not know"
            )
        }
        guard algorithm == Argon2id.algorithmIdentifier else {
            throw .newerFormat(
                "slot '\(Names.printable(label))' uses key-derivation algorithm \(algorithm), which this version does not know"
            )
        }
        do { try limits.checkPolicy() } catch let VaultError.kdfOutsidePolicy(message) {
            throw .kdfOutsidePolicy("slot '\(Names.printable(label))': \(message)")
        }
        guard salt.count == Argon2id.saltLength,
            wrappedKey.count == SecretBox.overhead + 16 + PassphraseSlot.dataKeyLength
        else {
            throw .corrupt("slot '\(Names.printable(label))' has fields of the wrong size")
        }
    }

    /// The data key, or `nil` when the passphrase is not this slot's.
    func unwrap(passphrase: SecretBytes, vaultID: [UInt8]) throws(VaultError) -> SecretBytes? {
        try unwrapKeepingKey(passphrase: passphrase, vaultID: vaultID)?.dataKey
    }

    /// The data key and the key-encryption key that opened it (kept by an unlocked vault so
    /// that a rekey can wrap the new data key for the same passphrase without asking again).
    func unwrapKeepingKey(passphrase: SecretBytes, vaultID: [UInt8]) throws(VaultError) -> (
        dataKey: SecretBytes, kek: SecretBytes
    )? {
        try checkStructure()
        let kek: SecretBytes
        do { kek = try PassphraseSlot.derive(passphrase: passphrase, salt: salt, limits: limits) } catch {
            if case let .kdfOutsidePolicy(message) = error {
                throw .kdfOutsidePolicy("slot '\(Names.printable(label))': \(message)")
            }
            throw error
        }
        guard let plaintext = try? SecretBox.open(wrappedKey, key: kek) else { return nil }
        let idMatches = plaintext.withUnsafeBytes { bytes in
            vaultID.withUnsafeBytes { ConstantTime.equal(UnsafeRawBufferPointer(rebasing: bytes[0..<16]), $0) }
        }
        // A slot copied in from another vault authenticates but names another vault.
        guard idMatches else { throw .tampered(what: "slot '\(Names.printable(label))' belongs to another vault") }
        return (plaintext.slice(16..<plaintext.count), kek)
    }

    /// This slot with `dataKey` wrapped again under the key-encryption key `kek` derived from
    /// its passphrase (same salt and limits, a fresh nonce): a rekey's new slot for the caller.
    func rewrapped(dataKey: SecretBytes, kek: SecretBytes, vaultID: [UInt8], now: Int64) throws(VaultError)
        -> PassphraseSlot
    {
        let plaintext = MemberSlot.keyPlaintext(vaultID: vaultID, dataKey: dataKey)
        let wrapped: [UInt8]
        do { wrapped = try SecretBox.seal(plaintext, key: kek) } catch { throw .system("could not wrap the data key") }
        return PassphraseSlot(
            label: label, algorithm: algorithm, limits: limits, salt: salt, wrappedKey: wrapped, createdAt: now)
    }

    static func derive(passphrase: SecretBytes, salt: [UInt8], limits: KDFLimits) throws(VaultError) -> SecretBytes {
        let normalized = Passphrase.normalized(passphrase)
        do {
            return try Argon2id.deriveKey(
                passphrase: normalized, salt: salt, opsLimit: limits.opsLimit,
                memLimit: limits.memLimit, length: SecretBox.keyLength)
        } catch {
            // Within the policy, yet more than this machine can run: a clear refusal (78), so
            // a slot planted at the memory cap cannot turn an unlock into an internal error.
            if case let .keyDerivationOutOfMemory(bytes) = error {
                throw .kdfOutsidePolicy(
                    "its Argon2id limits need \(bytes >> 20) MiB of memory, more than this machine can give")
            }
            throw .kdfOutsidePolicy(
                "Argon2id could not run with its limits (ops \(limits.opsLimit), memory \(limits.memLimit) bytes) on this machine"
            )
        }
    }
}

/// Passphrase handling shared by every slot operation.
public enum Passphrase {
    /// The passphrase in Unicode NFC, so that the same characters typed on different systems
    /// give the same key. ASCII (already NFC) never leaves secret memory.
    ///
    /// Bytes that are not UTF-8 are decoded with U+FFFD for every invalid sequence, as earlier
    /// versions did, so that slots they made still open; since many byte strings decode to the
    /// same text, such a passphrase is refused for new slots (`checkNew`) and flagged at unlock.
    public static func normalized(_ passphrase: SecretBytes) -> SecretBytes {
        let isASCII = passphrase.withUnsafeBytes { bytes in bytes.allSatisfy { $0 < 0x80 } }
        if isASCII { return passphrase }
        let nfc: [UInt8] = passphrase.withUnsafeBytes { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            return text._nfcCodeUnits
        }
        var copy = nfc
        defer { for index in copy.indices { copy[index] = 0 } }
        return SecretBytes(copying: copy)
    }

    /// Whether the bytes are well-formed UTF-8 (no stray continuation bytes, overlong forms,
    /// surrogates or truncated sequences). Reads in place: no copy of the passphrase is made.
    public static func isValidUTF8(_ passphrase: SecretBytes) -> Bool {
        passphrase.withUnsafeBytes { bytes in
            var parser = Unicode.UTF8.ForwardParser()
            var iterator = bytes.makeIterator()
            while true {
                switch parser.parseScalar(from: &iterator) {
                case .valid: continue
                case .emptyInput: return true
                case .error: return false
                }
            }
        }
    }

    /// Refuses (65) a new passphrase that is not UTF-8: its key would come from the lossy
    /// decoding, which maps different byte strings (`\xff\xfe…`, `\x80\x81…`) to one key.
    public static func checkNew(_ passphrase: SecretBytes) throws(VaultError) {
        guard isValidUTF8(passphrase) else {
            throw .invalidInput(
                "the new passphrase is not valid UTF-8 text: choose one typed as text, or save the file as UTF-8")
        }
    }
}
