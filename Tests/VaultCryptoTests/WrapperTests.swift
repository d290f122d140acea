import Foundation
import Testing
import VaultCrypto

@Suite("Encodings")
struct EncodingTests {
    @Test("hex round trip, both cases accepted, malformed input refused")
    func hex() throws {
        let bytes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]
        #expect(ByteEncoding.hex(bytes) == "00017f80feff")
        #expect(try ByteEncoding.fromHex("00017F80FEff") == bytes)
        #expect(try ByteEncoding.fromHex("") == [])
        #expect(throws: CryptoError.malformedEncoding) { try ByteEncoding.fromHex("abc") }
        #expect(throws: CryptoError.malformedEncoding) { try ByteEncoding.fromHex("zz") }
        let all = Array(UInt8(0)...UInt8(255))
        #expect(try ByteEncoding.fromHex(ByteEncoding.hex(all)) == all)
    }

    @Test(
        "base64url matches RFC 4648 test vectors, without padding",
        arguments: [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ])
    func base64Vectors(plain: String, encoded: String) throws {
        #expect(ByteEncoding.base64URL(Array(plain.utf8)) == encoded)
        let decoded = try ByteEncoding.secretFromBase64URL(encoded)
        decoded.withUnsafeBytes { #expect(Array($0) == Array(plain.utf8)) }
    }

    @Test("base64url uses - and _, round-trips every length, refuses malformed input")
    func base64RoundTrip() throws {
        #expect(ByteEncoding.base64URL([0xfb, 0xff, 0xbf]) == "-_-_")
        for length in 0..<70 {
            let bytes = RandomBytes.make(length)
            let decoded = try ByteEncoding.secretFromBase64URL(ByteEncoding.base64URL(bytes))
            decoded.withUnsafeBytes { #expect(Array($0) == bytes) }
        }
        #expect(try ByteEncoding.secretFromBase64URL("Zm8=").count == 2)
        #expect(throws: CryptoError.malformedEncoding) { try ByteEncoding.secretFromBase64URL("Zm9vY") }
        #expect(throws: CryptoError.malformedEncoding) { try ByteEncoding.secretFromBase64URL("Zm9v!") }
    }
}

@Suite("Secret bytes and typed errors")
struct SecretBytesTests {
    @Test("secret bytes hold what they were given; slices copy; random values differ")
    func basics() {
        let secret = SecretBytes(copying: [1, 2, 3, 4, 5])
        #expect(secret.count == 5)
        secret.slice(1..<4).withUnsafeBytes { #expect(Array($0) == [2, 3, 4]) }
        #expect(SecretBytes(utf8: "é").count == 2)
        #expect(SecretBytes(utf8: "").count == 0)
        let a = SecretBytes.random(count: 32)
        let b = SecretBytes.random(count: 32)
        #expect(!a.constantTimeEquals(b))
        #expect(a.constantTimeEquals(a.slice(0..<32)))
        #expect(!a.constantTimeEquals(a.slice(0..<31)))
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equal([], []))
    }

    @Test("wrong-size keys, nonces, salts and contexts are refused with invalidLength before C is called")
    func wrongSizes() throws {
        let shortKey = SecretBytes.random(count: 31)
        let longKey = SecretBytes.random(count: 33)
        let message: [UInt8] = [1, 2, 3]
        for key in [shortKey, longKey] {
            #expect(throws: CryptoError.invalidLength(what: "key", expected: 32, actual: key.count)) {
                try message.withUnsafeBytes { try SecretBox.seal($0, key: key) }
            }
            #expect(throws: CryptoError.invalidLength(what: "key", expected: 32, actual: key.count)) {
                try SecretBox.open([UInt8](repeating: 0, count: 64), key: key)
            }
            #expect(throws: CryptoError.invalidLength(what: "KDF key", expected: 32, actual: key.count)) {
                try KeyDerivation.subkey(of: key, id: 1, context: "vaultrec")
            }
        }
        let key = SecretBytes.random(count: 32)
        #expect(throws: CryptoError.invalidLength(what: "nonce", expected: 24, actual: 23)) {
            try message.withUnsafeBytes { try SecretBox.seal($0, nonce: RandomBytes.make(23), key: key) }
        }
        #expect(throws: CryptoError.invalidLength(what: "KDF context", expected: 8, actual: 7)) {
            try KeyDerivation.subkey(of: key, id: 1, context: "vaultre")
        }
        #expect(throws: CryptoError.invalidLength(what: "salt", expected: 16, actual: 15)) {
            try Argon2id.deriveKey(
                passphrase: SecretBytes(utf8: "x"), salt: RandomBytes.make(15), opsLimit: 2, memLimit: 8 << 20)
        }
    }

    @Test("secretbox: fresh nonce each time; altered, truncated or wrongly keyed boxes fail authentication")
    func secretboxFailures() throws {
        let key = SecretBytes.random(count: 32)
        let plaintext = SecretBytes(utf8: "the same plaintext")
        let first = try SecretBox.seal(plaintext, key: key)
        let second = try SecretBox.seal(plaintext, key: key)
        #expect(first != second)
        #expect(first.prefix(24) != second.prefix(24))
        for index in [0, 23, 24, 39, 40, first.count - 1] {
            var altered = first
            altered[index] ^= 0x01
            #expect(throws: CryptoError.authenticationFailed) { try SecretBox.open(altered, key: key) }
        }
        #expect(throws: CryptoError.authenticationFailed) { try SecretBox.open(Array(first.dropLast()), key: key) }
        #expect(throws: CryptoError.authenticationFailed) { try SecretBox.open(Array(first.prefix(39)), key: key) }
        #expect(throws: CryptoError.authenticationFailed) {
            try SecretBox.open(first, key: SecretBytes.random(count: 32))
        }
        // An empty plaintext seals to exactly the overhead and opens to nothing.
        let empty = try [UInt8]().withUnsafeBytes { try SecretBox.seal($0, key: key) }
        #expect(empty.count == SecretBox.overhead)
        #expect(try SecretBox.open(empty, key: key).count == 0)
    }

    @Test("Argon2id: the same inputs give the same key; another salt or passphrase another key")
    func argon2Determinism() throws {
        let salt = RandomBytes.make(16)
        func derive(_ passphrase: String, _ salt: [UInt8]) throws -> [UInt8] {
            try Argon2id.deriveKey(
                passphrase: SecretBytes(utf8: passphrase), salt: salt, opsLimit: 1, memLimit: 8 << 20
            )
            .withUnsafeBytes { Array($0) }
        }
        #expect(try derive("a", salt) == derive("a", salt))
        #expect(try derive("a", salt) != derive("b", salt))
        #expect(try derive("a", salt) != derive("a", RandomBytes.make(16)))
        #expect(try derive("", salt).count == 32)
    }

    @Test("BLAKE2b with a key over 64 bytes or an output over 64 bytes stops instead of returning unwritten bytes")
    func blake2bSizes() async {
        await #expect(processExitsWith: .failure) {
            _ = KeyDerivation.hash([1, 2, 3], key: SecretBytes.random(count: 65))
        }
        await #expect(processExitsWith: .failure) {
            _ = KeyDerivation.keyedHashKey([1, 2, 3], key: SecretBytes.random(count: 32), length: 65)
        }
    }
}

@Suite("Argon2id without enough memory")
struct Argon2idMemoryTests {
    /// Only where the kernel refuses an allocation larger than all memory (overcommit mode 0
    /// or 2): with mode 1 the allocation would succeed and the test would exhaust memory.
    static var kernelRefusesHugeAllocations: Bool {
        guard let mode = try? String(contentsOfFile: "/proc/sys/vm/overcommit_memory", encoding: .utf8) else {
            return false
        }
        return mode.trimmingCharacters(in: .whitespacesAndNewlines) != "1"
    }

    @Test(
        "limits this machine cannot give memory for are a typed error, not a crash",
        .enabled(if: kernelRefusesHugeAllocations))
    func outOfMemory() {
        // Nearly 4 TiB, libsodium's largest: more than any test machine has.
        let memory = UInt64(4) << 40 - 1024
        #expect(throws: CryptoError.keyDerivationOutOfMemory(bytes: memory)) {
            _ = try Argon2id.deriveKey(
                passphrase: SecretBytes(utf8: "p"), salt: [UInt8](repeating: 1, count: 16), opsLimit: 2,
                memLimit: memory)
        }
    }
}
