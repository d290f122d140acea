import Foundation
import Testing
import VaultCrypto

/// A file of `Name = value` records separated by blank lines; `#` starts a comment line.
struct VectorFile {
    let records: [[String: String]]

    init(named name: String, filePath: String = #filePath) throws {
        let url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            .appendingPathComponent("Vectors").appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        var records: [[String: String]] = []
        var current: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            if trimmed.isEmpty {
                if !current.isEmpty { records.append(current) }
                current = [:]
                continue
            }
            let parts = trimmed.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw CryptoError.malformedEncoding }
            current[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        if !current.isEmpty { records.append(current) }
        self.records = records
    }

    static func hexField(_ record: [String: String], _ name: String) throws -> [UInt8] {
        try ByteEncoding.fromHex(try #require(record[name], "missing \(name)"))
    }
}

@Suite("SHA-256 and HMAC-SHA-256 known answers")
struct HashKnownAnswerTests {
    @Test("crypto_hash_sha256 against the FIPS 180 vectors in Vectors/sha256-fips180.txt")
    func sha256() throws {
        let vectors = try VectorFile(named: "sha256-fips180.txt").records
        #expect(vectors.count == 8)
        for vector in vectors {
            let unit = try VectorFile.hexField(vector, "Msg")
            let repeats = try #require(Int(vector["Repeat"] ?? "1"))
            let message = [[UInt8]](repeating: unit, count: repeats).flatMap { $0 }
            let digest = SHA256.hash(message)
            #expect(ByteEncoding.hex(digest) == vector["Digest"], "\(vector["Name"] ?? "?")")
        }
        #expect(SHA256.byteCount == 32)
    }

    @Test("SHA256.hash reads non-contiguous collections and strings the same as arrays")
    func sha256Inputs() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(ByteEncoding.hex(SHA256.hash("abc".utf8)) == abc)
        #expect(ByteEncoding.hex(SHA256.hash((0x61...0x63).lazy.map { UInt8($0) })) == abc)
        #expect(ByteEncoding.hex(SHA256.hash(Array("abcd".utf8).dropLast())) == abc)
    }

    @Test("crypto_auth_hmacsha256_* against RFC 4231 test cases 1-7 in Vectors/hmac-sha256-rfc4231.txt")
    func hmacSHA256() throws {
        let vectors = try VectorFile(named: "hmac-sha256-rfc4231.txt").records
        #expect(vectors.map { $0["Case"] } == ["1", "2", "3", "4", "5", "6", "7"])
        for vector in vectors {
            let key = try VectorFile.hexField(vector, "Key")
            let data = try VectorFile.hexField(vector, "Data")
            let expected = try #require(vector["Mac"])
            let code = HMACSHA256.authenticate(data, key: key)
            #expect(code.count == HMACSHA256.byteCount)
            // Test case 5 publishes only the first 128 bits.
            #expect(ByteEncoding.hex(code.prefix(expected.count / 2)) == expected, "case \(vector["Case"] ?? "?")")
            #expect(HMACSHA256.authenticate(data, key: SecretBytes(copying: key)) == code)
        }
    }

    @Test("HMAC-SHA-256 with an empty key and an empty message")
    func hmacEmptyInputs() {
        // An empty key is padded with zeros to the block size (RFC 2104); value from Python's hmac module.
        #expect(
            ByteEncoding.hex(HMACSHA256.authenticate([UInt8](), key: [UInt8]()))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
        #expect(
            HMACSHA256.authenticate([UInt8](), key: [UInt8](repeating: 0, count: 64))
                == HMACSHA256.authenticate([UInt8](), key: [UInt8]()))
    }
}
