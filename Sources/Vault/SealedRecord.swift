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
        let what = "record '\(Names.printable(kind.rawValue))' of profile '\(Names.printable(profile))'"
        // Names come from the file here: one too long for the context was not written by us.
        guard RecordSealer.fitsContext(profile: profile, kind: kind) else {
            throw .tampered(what: "\(what) has a name too long for any record")
        }
        let context = context(profile: profile, kind: kind)
        let plaintext: SecretBytes
        do {
            plaintext = try SecretBox.open(sealed, key: key(for: context))
        } catch {
            throw .tampered(what: "\(what) does not authenticate (altered, or moved from another row)")
        }
        let inner = plaintext.withUnsafeBytes { bytes -> Int? in
            var reader = ByteReader(bytes)
            guard let length = reader.u16(), let stored = reader.take(Int(length)) else { return nil }
            let matches = context.withUnsafeBytes { expected in ConstantTime.equal(stored, expected) }
            return matches ? reader.offset : nil
        }
        guard let start = inner else {
            throw .tampered(what: "\(what) carries another record's context")
        }
        return plaintext.slice(start..<plaintext.count)
    }
}
