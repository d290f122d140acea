import VaultCrypto

/// The encryption of one record (docs/FORMAT.md, "Records").
///
/// key       = BLAKE2b-256(key: crypto_kdf_derive_from_key(32, 1, "vaultrec", DEK), message: context)
/// context   = vault_id (16) || u8 len(profile) || profile || u8 len(kind) || kind
/// plaintext = u16be len(context) || context || payload
/// sealed    = nonce (24) || crypto_secretbox_easy(plaintext, nonce, key)
///
/// The context is both in the key and inside the plaintext: a ciphertext moved to another
/// row, profile or kind neither authenticates nor, if keys were ever equal, matches.
struct RecordSealer {
    let vaultID: [UInt8]
    /// crypto_kdf_derive_from_key(32, 1, "vaultrec", DEK)
    let recordRootKey: SecretBytes

    init(vaultID: [UInt8], dataKey: SecretBytes) throws(CryptoError) {
        self.vaultID = vaultID
        self.recordRootKey = try KeyDerivation.subkey(of: dataKey, id: 1, context: "vaultrec")
    }

    /// Whether both names fit their one-byte length fields.
    static func fitsContext(profile: String, kind: RecordKind) -> Bool {
        profile.utf8.count <= 255 && kind.rawValue.utf8.count <= 255
    }

    func context(profile: String, kind: RecordKind) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(vaultID)
        let profileBytes = Array(profile.utf8)
        let kindBytes = Array(kind.rawValue.utf8)
        precondition(profileBytes.count <= 255 && kindBytes.count <= 255)
        writer.u8(UInt8(profileBytes.count))
        writer.append(profileBytes)
        writer.u8(UInt8(kindBytes.count))
        writer.append(kindBytes)
        return writer.bytes
    }

    func key(for context: [UInt8]) -> SecretBytes {
        KeyDerivation.keyedHashKey(context, key: recordRootKey)
    }

    func seal(_ payload: SecretBytes, profile: String, kind: RecordKind) throws(CryptoError) -> [UInt8] {
        let context = context(profile: profile, kind: kind)
        let plaintext = SecretBytes(count: 2 + context.count + payload.count) { out in
            out[0] = UInt8(context.count >> 8)
            out[1] = UInt8(context.count & 0xff)
            for (index, byte) in context.enumerated() { out[2 + index] = byte }
            payload.withUnsafeBytes { source in
                if source.count > 0 {
                    (out.baseAddress! + 2 + context.count).copyMemory(
                        from: source.baseAddress!, byteCount: source.count)
                }
            }
        }
        return try SecretBox.seal(plaintext, key: key(for: context))
    }

    /// Opens a record found at (profile, kind); throws `tampered` naming it on any mismatch.
    func open(_ sealed: [UInt8], profile: String, kind: RecordKind) throws(VaultError) -> SecretBytes {
        let context = try checkedContext(profile: profile, kind: kind)
        let plaintext: SecretBytes
        do {
            plaintext = try SecretBox.open(sealed, key: key(for: context))
        } catch {
            throw Self.notAuthentic(profile: profile, kind: kind)
        }
        let start = try plaintext.withUnsafeBytes { bytes in
            Result { () throws(VaultError) in
                try Self.payloadStart(bytes, context: context, profile: profile, kind: kind)
            }
        }.get()
        return plaintext.slice(start..<plaintext.count)
    }

    /// Opens a record like `open` and lends its payload to `body`, with the record's key and
    /// plaintext held in `scratch` and wiped when `body` returns: no secret allocation per
    /// record, for work over every record (`verify`).
    func withOpened<R>(
        _ sealed: [UInt8], profile: String, kind: RecordKind, scratch: SecretScratch,
        _ body: (UnsafeRawBufferPointer) throws(VaultError) -> R
    ) throws(VaultError) -> R {
        let context = try checkedContext(profile: profile, kind: kind)
        let keyLength = SecretBox.keyLength
        let length = keyLength + max(sealed.count - SecretBox.overhead, 0)
        let result = scratch.withUnsafeMutableBytes(count: length) { buffer -> Result<R, VaultError> in
            let key = UnsafeMutableRawBufferPointer(rebasing: buffer[..<keyLength])
            let output = UnsafeMutableRawBufferPointer(rebasing: buffer[keyLength...])
            KeyDerivation.hash(context, key: recordRootKey, into: key)
            let count: Int
            do { count = try SecretBox.open(sealed, key: UnsafeRawBufferPointer(key), into: output) } catch {
                return .failure(Self.notAuthentic(profile: profile, kind: kind))
            }
            let plaintext = UnsafeRawBufferPointer(rebasing: output[..<count])
            return Result { () throws(VaultError) in
                let start = try Self.payloadStart(plaintext, context: context, profile: profile, kind: kind)
                return try body(UnsafeRawBufferPointer(rebasing: plaintext[start...]))
            }
        }
        return try result.get()
    }

    private static func describe(profile: String, kind: RecordKind) -> String {
        "record '\(Names.printable(kind.rawValue))' of profile '\(Names.printable(profile))'"
    }

    private static func notAuthentic(profile: String, kind: RecordKind) -> VaultError {
        .tampered(
            what: "\(describe(profile: profile, kind: kind)) does not authenticate (altered, or moved from another row)"
        )
    }

    /// The context of a record found at (profile, kind).
    private func checkedContext(profile: String, kind: RecordKind) throws(VaultError) -> [UInt8] {
        // Names come from the file here: one too long for the context was not written by us.
        guard RecordSealer.fitsContext(profile: profile, kind: kind) else {
            throw .tampered(what: "\(Self.describe(profile: profile, kind: kind)) has a name too long for any record")
        }
        return context(profile: profile, kind: kind)
    }

    /// Where the payload starts, after `u16be(len(context)) || context`; throws when the
    /// plaintext carries another context.
    private static func payloadStart(
        _ plaintext: UnsafeRawBufferPointer, context: [UInt8], profile: String, kind: RecordKind
    ) throws(VaultError) -> Int {
        var reader = ByteReader(plaintext)
        guard let length = reader.u16(), let stored = reader.take(Int(length)),
            context.withUnsafeBytes({ expected in ConstantTime.equal(stored, expected) })
        else {
            throw .tampered(what: "\(describe(profile: profile, kind: kind)) carries another record's context")
        }
        return reader.offset
    }
}
