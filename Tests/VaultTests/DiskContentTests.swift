import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

@Suite("What reaches the disk")
struct DiskContentTests {
    static func allSensitive(_ record: ProfileRecord) -> [String] {
        [
            record.accountSID, record.authToken, record.apiKeySID, record.apiKeySecret, record.clientID,
            record.clientSecret,
            record.refreshToken, record.tokenURL, record.audience, record.previousClientSecret,
        ].compactMap { $0 }
    }

    @Test("after writes neither the database nor its -wal holds any secret or identifier in plaintext")
    func noPlaintext() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let passphrase = "a passphrase that must never be stored"
            let vault = try TestVault.create(path, passphrase: passphrase)
            var needles: [String] = [passphrase]
            for seed in 30..<34 {
                let record = TestVault.profile(seed)
                try vault.addProfile("p\(seed)", record)
                needles += Self.allSensitive(record)
                let token = TestVault.token(seed)
                try vault.write { try $0.put(token, profile: "p\(seed)", kind: .token) }
                needles.append(token.accessToken)
            }
            try vault.renameProfile("p31", to: "p31-renamed") // checkpoints; the writes below fill the -wal again
            var changed = TestVault.profile(34)
            try vault.updateProfile("p30", changed)
            needles += Self.allSensitive(changed)
            changed.authToken = "rotated-\(UUID().uuidString)"
            try vault.updateProfile("p30", changed)
            needles.append(changed.authToken!)

            // Look at the files as they are now, with the log not yet folded in, and again after.
            for phase in ["before checkpoint", "after checkpoint"] {
                let database = try #require(fileBytes(path))
                let log = fileBytes(path + "-wal") ?? []
                if phase == "before checkpoint" { #expect(log.count > 0, "the test should see a populated -wal") }
                for needle in needles {
                    let inDatabase = database.contains(bytes: Array(needle.utf8))
                    let inLog = log.contains(bytes: Array(needle.utf8))
                    #expect(!inDatabase, "\(phase): database holds a plaintext value")
                    #expect(!inLog, "\(phase): -wal holds a plaintext value")
                }
                // The profile names, by design, are in clear.
                let nameVisible = (database + log).contains(bytes: Array("p32".utf8))
                #expect(nameVisible)
                vault.file.checkpoint()
            }
        }
    }

    @Test(
        "after removeProfile (and its checkpoint) the removed records' ciphertext is gone from the database and the -wal"
    )
    func removedCiphertextGone() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            try vault.addProfile("keep", TestVault.profile(40))
            try vault.addProfile("doomed", TestVault.profile(41))
            try vault.write { try $0.put(TestVault.token(41), profile: "doomed", kind: .token) }
            // Reads leave statements behind in the connection's cache: the checkpoint must still work.
            _ = try vault.profile("doomed")
            _ = try vault.file.hasProfile("doomed")
            let sealed = [
                try blob(path, "SELECT sealed FROM record WHERE profile = 'doomed' AND kind = 'profile'"),
                try blob(path, "SELECT sealed FROM record WHERE profile = 'doomed' AND kind = 'token'"),
            ]
            let before = (fileBytes(path) ?? []) + (fileBytes(path + "-wal") ?? [])
            let presentBefore = sealed.allSatisfy { before.contains(bytes: $0) }
            #expect(presentBefore, "the ciphertext should be on disk before removal")

            try vault.removeProfile("doomed")
            let database = try #require(fileBytes(path))
            let log = fileBytes(path + "-wal") ?? []
            #expect(log.count == 0, "the checkpoint should leave an empty -wal")
            for bytes in sealed {
                // Any 32-byte window of the ciphertext would be evidence; check a few.
                for start in stride(from: 0, to: bytes.count - 32, by: 48) {
                    let window = Array(bytes[start..<start + 32])
                    let inDatabase = database.contains(bytes: window)
                    let inLog = log.contains(bytes: window)
                    #expect(!inDatabase, "removed ciphertext left in the database")
                    #expect(!inLog, "removed ciphertext left in the -wal")
                }
            }
            #expect(try vault.profile("keep").accountSID == "AC" + String(format: "%032x", 40))
            #expect(vault.verify() == [])
        }
    }

    @Test("closing every handle leaves the vault alone in its directory, and the -wal folded in")
    func handlesClose() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            do {
                let vault = try TestVault.create(path)
                try vault.addProfile("p", TestVault.profile(42))
                _ = try vault.profile("p")
                _ = try vault.file.profileNames()
                _ = vault.verify()
            }
            #expect(SecureFiles.list(directory) == ["vault.db"])
            #expect(try TestVault.unlock(path).profile("p").accountSID == "AC" + String(format: "%032x", 42))
        }
    }
}
