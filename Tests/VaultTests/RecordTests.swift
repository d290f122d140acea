import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

@Suite("Records")
struct RecordTests {
    @Test("every record kind round-trips, also after closing and unlocking again")
    func roundTrip() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let profile = TestVault.profile(1)
            var sparse = ProfileRecord(createdAt: 5)
            sparse.accountSID = "AC" + String(repeating: "f", count: 32)
            sparse.authToken = "it's \"quoted\" / ü \u{1F600}"
            let token = TestVault.token(1)
            let rotation = RotationState(
                rotationID: "rot-1", step: "created", pendingKeySID: "SK" + String(repeating: "0", count: 32),
                pendingSecret: "pending-secret")
            do {
                let vault = try TestVault.create(path)
                try vault.addProfile("acme-prod", profile)
                try vault.addProfile("a", sparse)
                try vault.write { transaction in
                    try transaction.put(token, profile: "acme-prod", kind: .token)
                    try transaction.put(rotation, profile: "acme-prod", kind: .rotation)
                    try transaction.put(["note": "free-form"], profile: "acme-prod", kind: RecordKind(rawValue: "note"))
                }
                #expect(try vault.profile("acme-prod") == profile)
                #expect(try vault.record(CachedToken.self, profile: "acme-prod", kind: .token) == token)
            }
            let vault = try TestVault.unlock(path)
            #expect(vault.slotLabel == "default")
            #expect(try vault.profile("acme-prod") == profile)
            #expect(try vault.profile("a") == sparse)
            #expect(try vault.record(CachedToken.self, profile: "acme-prod", kind: .token) == token)
            #expect(try vault.record(RotationState.self, profile: "acme-prod", kind: .rotation) == rotation)
            #expect(
                try vault.record([String: String].self, profile: "acme-prod", kind: RecordKind(rawValue: "note")) == [
                    "note": "free-form"
                ])
            #expect(try vault.record(CachedToken.self, profile: "a", kind: .token) == nil)
            #expect(try vault.file.profileNames() == ["a", "acme-prod"])
            #expect(try vault.file.hasProfile("a"))
            #expect(try !vault.file.hasProfile("b"))
            #expect(vault.verify() == [])
        }
    }

    @Test("the same plaintext sealed twice, or under two profiles, gives different bytes")
    func freshNonces() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let record = TestVault.profile(2)
            let vault = try TestVault.create(path)
            try vault.addProfile("one", record)
            let first = try blob(path, "SELECT sealed FROM record WHERE profile = 'one'")
            try vault.updateProfile("one", record)
            let second = try blob(path, "SELECT sealed FROM record WHERE profile = 'one'")
            try vault.addProfile("two", record)
            let third = try blob(path, "SELECT sealed FROM record WHERE profile = 'two'")
            #expect(first != second)
            #expect(first.prefix(24) != second.prefix(24))
            #expect(Set([first, second, third]).count == 3)
            #expect(try vault.profile("one") == vault.profile("two"))
        }
    }

    @Test("profile operations: exists (73), not found (66), invalid names (64), replace, rename, remove")
    func profileOperations() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            let record = TestVault.profile(3)
            try vault.addProfile("p", record)
            try vault.write { try $0.put(TestVault.token(3), profile: "p", kind: .token) }
            let exists = vaultError { try vault.addProfile("p", record) }
            #expect(exists == .profileExists("p"))
            #expect(exists?.exitCode == 73)
            #expect(vaultError { try vault.updateProfile("q", record) }?.exitCode == 66)
            #expect(vaultError { try vault.removeProfile("q") } == .profileNotFound("q"))
            #expect(vaultError { _ = try vault.profile("q") } == .profileNotFound("q"))
            for bad in ["", "-x", ".x", "a b", "a/b", String(repeating: "a", count: 65), "é"] {
                #expect(vaultError { try vault.addProfile(bad, record) }?.exitCode == 64, "accepted \(bad)")
            }
            try vault.addProfile(String(repeating: "a", count: 64), record)

            var changed = record
            changed.region = "au1"
            try vault.addProfile("p", changed, replace: true)
            #expect(try vault.profile("p").region == "au1")
            #expect(
                try vault.record(CachedToken.self, profile: "p", kind: .token) == nil, "replace drops the old records")

            try vault.write { try $0.put(TestVault.token(4), profile: "p", kind: .token) }
            try vault.renameProfile("p", to: "renamed")
            #expect(try vault.profile("renamed") == changed)
            #expect(try vault.record(CachedToken.self, profile: "renamed", kind: .token) != nil)
            #expect(try !vault.file.hasProfile("p"))
            #expect(
                vaultError { try vault.renameProfile("renamed", to: String(repeating: "a", count: 64)) }
                    == .profileExists(String(repeating: "a", count: 64)))

            try vault.removeProfile("renamed")
            #expect(try vault.file.profileNames() == [String(repeating: "a", count: 64)])
            #expect(try scalar(path, "SELECT count(*) FROM record WHERE profile IN ('p', 'renamed')") == 0)
            #expect(vault.verify() == [])
        }
    }

    @Test("a new vault: 0700 directory, 0600 files under umask 022; existing vault refused (73)")
    func creation() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        try withTemporaryDirectory { root in
            let path = "\(root)/new/dir/vault.db"
            let vault = try TestVault.create(path)
            try vault.addProfile("p", TestVault.profile(5))
            #expect(fileMode("\(root)/new") == 0o700)
            #expect(fileMode("\(root)/new/dir") == 0o700)
            #expect(fileMode(path) == 0o600)
            #expect(fileMode(path + "-wal") == 0o600)
            #expect(fileMode(path + "-shm") == 0o600)
            // Nothing but the vault and its log is left beside it.
            #expect(SecureFiles.list("\(root)/new/dir").sorted() == ["vault.db", "vault.db-shm", "vault.db-wal"])
            let again = vaultError { _ = try TestVault.create(path) }
            #expect(again?.exitCode == 73)
            #expect(try vault.profile("p").accountSID == "AC" + String(format: "%032x", 5))
        }
    }
}
