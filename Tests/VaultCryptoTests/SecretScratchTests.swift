import Testing
import VaultCrypto

@Suite("Secret scratch memory and the in-place operations")
struct SecretScratchTests {
    @Test("keyed BLAKE2b into a scratch equals the allocating form")
    func hashInPlace() throws {
        let key = SecretBytes.random(count: 32)
        let scratch = SecretScratch(capacity: 8)
        for length in [0, 1, 100, 1000] {
            let message = RandomBytes.make(length)
            let expected = KeyDerivation.hash(message, key: key)
            let inPlace = scratch.withUnsafeMutableBytes(count: 32) { buffer in
                KeyDerivation.hash(message, key: key, into: buffer)
                return Array(buffer)
            }
            #expect(inPlace == expected)
        }
    }

    @Test("opening into a scratch gives the plaintext; a changed box or key is refused")
    func openInPlace() throws {
        let key = SecretBytes.random(count: SecretBox.keyLength)
        let plaintext = RandomBytes.make(300)
        let sealed = try plaintext.withUnsafeBytes { try SecretBox.seal($0, key: key) }
        let scratch = SecretScratch(capacity: 16)
        let opened = try key.withUnsafeBytes { k in
            try scratch.withUnsafeMutableBytes(count: sealed.count) { buffer in
                let length = try SecretBox.open(sealed, key: k, into: buffer)
                return Array(buffer[..<length])
            }
        }
        #expect(opened == plaintext)
        #expect(scratch.capacity >= sealed.count, "the scratch grew")
        var altered = sealed
        altered[50] ^= 1
        let other = SecretBytes.random(count: SecretBox.keyLength)
        for (box, boxKey) in [(altered, key), (sealed, other)] {
            #expect(throws: CryptoError.authenticationFailed) {
                try boxKey.withUnsafeBytes { k in
                    try scratch.withUnsafeMutableBytes(count: box.count) {
                        _ = try SecretBox.open(box, key: k, into: $0)
                    }
                }
            }
        }
        #expect(throws: CryptoError.self) {
            try key.withUnsafeBytes { k in
                try scratch.withUnsafeMutableBytes(count: 10) { _ = try SecretBox.open(sealed, key: k, into: $0) }
            }
        }
    }

    @Test("what a caller leaves in the scratch is wiped when it returns, and when it throws")
    func wipedAfterUse() throws {
        struct Failure: Error {}
        let scratch = SecretScratch(capacity: 64)
        _ = scratch.withUnsafeMutableBytes(count: 64) { $0.initializeMemory(as: UInt8.self, repeating: 0xaa) }
        #expect(scratch.withUnsafeMutableBytes(count: 64) { Array($0) } == [UInt8](repeating: 0, count: 64))
        #expect(throws: Failure.self) {
            try scratch.withUnsafeMutableBytes(count: 64) { buffer in
                _ = buffer.initializeMemory(as: UInt8.self, repeating: 0xbb)
                throw Failure()
            }
        }
        #expect(scratch.withUnsafeMutableBytes(count: 64) { Array($0) } == [UInt8](repeating: 0, count: 64))
    }
}
