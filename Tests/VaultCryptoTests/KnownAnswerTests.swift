import Testing
import VaultCrypto

/// Known answers computed with libsodium 1.0.18 (and PyNaCl 1.6 for BLAKE2b), checked
/// through the Swift wrappers so that a wrong pointer, length or constant shows up here.
@Suite("Known answers")
struct KnownAnswerTests {
    static let passphrase = "correct horse battery staple"
    static let salt = Array(UInt8(0x00)...UInt8(0x0f))
    static let argon2Output = "a891dd91a3d123add6ea78ceedcc94a7f1dc1e4ca480e57e6f240a113662ea2f"
    static let message = Array(UInt8(0xa0)...UInt8(0xbf))
    static let nonce = Array(UInt8(0x10)...UInt8(0x27))
    static let secretboxOutput =
        "e5e5e0351e746d87fd144a404731c0c985978720f9d5474e70f799d80a720463d119a551d30a92ca38657daf7ee0a6bd"
    static let kdfOutput = "07c8c4047ef5c450fdf82bdb0b33847220f24429aba45d67ba449be585ffe90d"

    static func hex(_ secret: SecretBytes) -> String { secret.withUnsafeBytes { ByteEncoding.hex($0) } }

    @Test("crypto_pwhash Argon2id13, ops 2, 8 MiB")
    func argon2id() throws {
        let key = try Argon2id.deriveKey(
            passphrase: SecretBytes(utf8: Self.passphrase), salt: Self.salt, opsLimit: 2, memLimit: 8 << 20)
        #expect(Self.hex(key) == Self.argon2Output)
        #expect(Argon2id.algorithmIdentifier == 2)
        #expect(Argon2id.saltLength == 16)
    }

    @Test("crypto_secretbox_easy with a chosen nonce; the sealed form puts the nonce first")
    func secretbox() throws {
        let key = SecretBytes(copying: try ByteEncoding.fromHex(Self.argon2Output))
        let sealed = try Self.message.withUnsafeBytes { try SecretBox.seal($0, nonce: Self.nonce, key: key) }
        #expect(Array(sealed.prefix(24)) == Self.nonce)
        #expect(ByteEncoding.hex(sealed.dropFirst(24)) == Self.secretboxOutput)
        #expect(sealed.count == Self.message.count + SecretBox.overhead)
        let opened = try SecretBox.open(sealed, key: key)
        opened.withUnsafeBytes { #expect(Array($0) == Self.message) }
    }

    @Test("crypto_kdf_derive_from_key(32, 42, \"vaultrec\")")
    func kdf() throws {
        let key = SecretBytes(copying: Self.message)
        let subkey = try KeyDerivation.subkey(of: key, id: 42, context: "vaultrec")
        #expect(Self.hex(subkey) == Self.kdfOutput)
    }

    @Test("crypto_kdf is keyed BLAKE2b with the id as salt and the context as personalisation")
    func kdfIsBlake2b() throws {
        // Values computed with BLAKE2b-256(key, salt = u64le(id) || 0^8, personal = context || 0^8),
        // the formulation docs/FORMAT.md gives for readers without crypto_kdf.
        let key = SecretBytes(copying: Self.message)
        #expect(
            Self.hex(try KeyDerivation.subkey(of: key, id: 1, context: "vaultrec"))
                == "58c0a0ff3d8e41de2f6015454ffdc3c47247f481758a8074059f33c4fd8b6243")
        #expect(
            Self.hex(try KeyDerivation.subkey(of: key, id: 2, context: "vaultmac"))
                == "15870c2880b44a63db585f07f5013ad78191854cd9eff4c25fc41c8b05589c80")
    }

    @Test(
        "crypto_generichash (BLAKE2b), keyed and unkeyed",
        arguments: [
            // (message, key, length, expected)
            (
                "twvault", Array(UInt8(0xa0)...UInt8(0xbf)), 32,
                "5bcc1695aee147de9def7f6a41d78498708d3a81e5bc2c3f4ac433e00803e02f"
            ),
            (
                "", Array(UInt8(0xa0)...UInt8(0xbf)), 32,
                "1f6bf0a6d9f581381e57c6756e30e27714753e615076c26ad5607e0d61589314"
            ),
        ])
    func keyedBlake2b(message: String, key: [UInt8], length: Int, expected: String) {
        let secretKey = SecretBytes(copying: key)
        #expect(ByteEncoding.hex(KeyDerivation.hash(Array(message.utf8), key: secretKey, length: length)) == expected)
        let asSecret = KeyDerivation.keyedHashKey(Array(message.utf8), key: secretKey, length: length)
        #expect(Self.hex(asSecret) == expected)
    }

    @Test("crypto_generichash: 64-byte key, 64-byte output, 256-byte message")
    func blake2bLong() {
        let out = KeyDerivation.hash(
            Array(UInt8(0)...UInt8(255)), key: SecretBytes(copying: Array(UInt8(0)..<64)), length: 64)
        #expect(
            ByteEncoding.hex(out) == "b72071e096277edebb8ee5134dd3714996307ba3a55aa4733d412abbe28e909e"
                + "10e57e6fbfb4ef53b3b960518294ff889a90829254412e2a60b85add07a3674f")
    }

    @Test("crypto_generichash unkeyed")
    func blake2bUnkeyed() {
        #expect(
            ByteEncoding.hex(KeyDerivation.hash(Array("abc".utf8), key: nil))
                == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
    }
}
