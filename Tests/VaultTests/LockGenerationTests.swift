import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// `lock` raises the vault's lock generation and sweeps every session directory; a session is
/// bound to the generation it was made under (docs/FORMAT.md, "Unlock sessions").
@Suite("Lock generation")
struct LockGenerationTests {
    /// A session directory layout like a user's: `$XDG_RUNTIME_DIR` and `$TMPDIR` under `root`.
    static func environment(_ root: String) -> [String: String] {
        ["XDG_RUNTIME_DIR": "\(root)/run", "TMPDIR": "\(root)/tmp"]
    }

    @Test("a session made before `lock` is refused (77) and removed, even where the sweep missed its file")
    func survivingSessionFileIsRefused() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let record = TestVault.profile(70)
            // A directory `lock` does not look in: the unlock ran under another environment.
            let elsewhere = SessionStore(directory: "\(directory)/elsewhere/twvault")
            let token: String
            do {
                let vault = try TestVault.create(path)
                try vault.addProfile("p", record)
                #expect(try vault.file.lockGeneration() == 0)
                token = try elsewhere.create(for: vault, ttl: 600)
                #expect(try elsewhere.unlock(vault.file, token: token).profile("p") == record)
            }
            do {
                let file = try VaultFile.open(path: path)
                #expect(try SessionStore.endEveryUnlock(of: file, environment: Self.environment(directory)) == 0)
                #expect(try file.lockGeneration() == 1)
            }
            #expect(SessionTests.sessionFiles(elsewhere.directory).count == 1, "the file escaped the sweep")
            let before = try settledBytes(path)
            do {
                let file = try VaultFile.open(path: path)
                let error = vaultError { _ = try elsewhere.unlock(file, token: token) }
                #expect(error == .sessionExpired)
                #expect(error?.exitCode == 77)
                #expect(error?.description.contains("locked") == true)
            }
            #expect(SessionTests.sessionFiles(elsewhere.directory).isEmpty, "the stale file is removed")
            #expect(try settledBytes(path) == before, "the refused unlock changed the vault")
            // An unlock made after the lock works as before.
            let vault = try TestVault.unlock(path)
            let fresh = try elsewhere.create(for: vault, ttl: 600)
            #expect(try elsewhere.unlock(VaultFile.open(path: path), token: fresh).profile("p") == record)
        }
    }

    @Test("lock removes the vault's session files from $XDG_RUNTIME_DIR and from the temp-dir fallback")
    func sweepsEveryCandidateDirectory() throws {
        try withTemporaryDirectory { directory in
            let environment = Self.environment(directory)
            let a = try TestVault.create("\(directory)/a.db")
            let b = try TestVault.create("\(directory)/b.db")
            // `unlock` with XDG_RUNTIME_DIR set, and once more with it unset (the fallback).
            let runtime = SessionStore(directory: SessionStore.defaultDirectory(environment: environment))
            var withoutRuntime = environment
            withoutRuntime["XDG_RUNTIME_DIR"] = nil
            let fallback = SessionStore(directory: SessionStore.defaultDirectory(environment: withoutRuntime))
            #expect(fallback.directory == "\(directory)/tmp/twvault-\(geteuid())")
            let tokens = [try runtime.create(for: a, ttl: 600), try fallback.create(for: a, ttl: 600)]
            let other = try fallback.create(for: b, ttl: 600)

            #expect(try SessionStore.endEveryUnlock(of: a.file, environment: environment) == 2)
            #expect(SessionTests.sessionFiles(runtime.directory).isEmpty)
            #expect(SessionTests.sessionFiles(fallback.directory).count == 1, "vault b's session stays")
            for (store, token) in zip([runtime, fallback], tokens) {
                #expect(vaultError { _ = try store.unlock(a.file, token: token) } == .sessionExpired)
            }
            #expect(try fallback.unlock(b.file, token: other).slotLabel == nil)
            #expect(try b.file.lockGeneration() == 0)
        }
    }

    @Test("the candidates: $XDG_RUNTIME_DIR, /run/user/UID, $TMPDIR and /tmp fallbacks, each once")
    func candidateDirectories() {
        let uid = geteuid()
        #expect(
            SessionStore.candidateDirectories(environment: ["XDG_RUNTIME_DIR": "/r", "TMPDIR": "/t"]) == [
                "/r/twvault", "/run/user/\(uid)/twvault", "/t/twvault-\(uid)", "/tmp/twvault-\(uid)",
            ])
        #expect(
            SessionStore.candidateDirectories(environment: ["XDG_RUNTIME_DIR": "relative", "TMPDIR": "/tmp"]) == [
                "/run/user/\(uid)/twvault", "/tmp/twvault-\(uid)",
            ])
        // Every directory `unlock` may choose is among them.
        for environment in [["XDG_RUNTIME_DIR": "/r"], ["TMPDIR": "/t"], [:]] {
            #expect(
                SessionStore.candidateDirectories(environment: environment).contains(
                    SessionStore.defaultDirectory(environment: environment)))
        }
    }

    @Test("a vault of format 1 (made by 0.1.0) opens, migrates to generation 0 and reads every record")
    func formatOneVaultOpens() throws {
        try withTemporaryDirectory { directory in
            let path = try VaultFixture.copy("format1.db", to: directory)
            #expect(try scalar(path, "SELECT count(*) FROM schema_migrations") == 1)
            let vault = try VaultFile.open(path: path).unlock(passphrase: SecretBytes(utf8: VaultFixture.teammate))
            #expect(vault.slotLabel == "teammate")
            #expect(try VaultFixture.appliedMigrations(path) == [1, 2, 3, 4])
            #expect(try vault.file.lockGeneration() == 0)
            #expect(try vault.file.profileNames() == ["acme-prod", "acme-staging"])
            let prod = try vault.profile("acme-prod")
            #expect(prod.accountSID == "AC0123456789abcdef0123456789abcdef")
            #expect(prod.authToken == "format1-auth-token")
            #expect(prod.apiKeySID == "SK0123456789abcdef0123456789abcdef")
            #expect(prod.apiKeySecret == "format1-api-secret")
            #expect(try vault.profile("acme-staging").authToken == "format1-staging-token")
            #expect(vault.verify() == [])
            // And it takes writes: the MAC of format 1 still holds after the migration.
            try vault.addProfile("new", TestVault.profile(71))
            #expect(vault.verify() == [])
        }
    }

    @Test("a session file of the first layout (TWVSESS1) counts as generation 0: it opens until the next lock")
    func firstLayoutSession() throws {
        try withTemporaryDirectory { directory in
            let path = try VaultFixture.copy("format1.db", to: directory)
            let store = SessionStore(directory: "\(directory)/sessions")
            try SecureFiles.makePrivateDirectory(store.directory)
            let vault = try VaultFile.open(path: path).unlock(passphrase: SecretBytes(utf8: VaultFixture.teammate))
            // Written exactly as 0.1.0 wrote it: no generation inside.
            let sessionID = RandomBytes.make(16)
            let sessionKey = SecretBytes.random(count: 32)
            let expires = Clock.now() + 600
            var inner = ByteWriter()
            inner.append(vault.file.vaultID)
            inner.append(sessionID)
            inner.u64(UInt64(expires))
            let plaintext = vault.dataKey.withUnsafeBytes { SecretBytes(copying: inner.bytes + Array($0)) }
            var file = ByteWriter()
            file.append(Array("TWVSESS1".utf8))
            file.u64(UInt64(expires))
            let sealed = try SecretBox.seal(plaintext, key: sessionKey)
            try SecureFiles.writeNew(
                "\(store.directory)/\(vault.file.vaultIDHex)-\(ByteEncoding.hex(sessionID)).session",
                bytes: file.bytes + sealed)
            let token =
                "twv1." + sessionKey.withUnsafeBytes { ByteEncoding.base64URL(sessionID + Array($0)) }

            #expect(
                try store.unlock(VaultFile.open(path: path), token: token).profile("acme-prod").authToken
                    == "format1-auth-token")
            try VaultFile.open(path: path).advanceLockGeneration()
            let error = vaultError { _ = try store.unlock(VaultFile.open(path: path), token: token) }
            #expect(error == .sessionExpired)
            #expect(error?.exitCode == 77)
        }
    }

    @Test("a lock generation out of range is damage (65); the schema refuses a negative one")
    func generationOutOfRange() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let store = SessionStore(directory: "\(directory)/sessions")
            let token = try store.create(for: TestVault.create(path), ttl: 600)
            #expect(throws: StoreError.self) { try tamper(path, "UPDATE vault SET lock_generation = -1") }
            try tamper(path, "PRAGMA ignore_check_constraints = ON; UPDATE vault SET lock_generation = -1")
            let before = try settledBytes(path)
            try Self.expectDamaged(path, store: store, token: token)
            #expect(try settledBytes(path) == before)
        }
    }

    static func expectDamaged(_ path: String, store: SessionStore, token: String) throws {
        let file = try VaultFile.open(path: path)
        #expect(vaultError { _ = try file.lockGeneration() }?.exitCode == 65)
        #expect(vaultError { _ = try store.unlock(file, token: token) }?.exitCode == 65)
        #expect(vaultError { try file.advanceLockGeneration() }?.exitCode == 65)
    }

    @Test("a session from a lock generation the vault never reached (a rolled-back file) is refused (77)")
    func generationAhead() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let store = SessionStore(directory: "\(directory)/sessions")
            let vault = try TestVault.create(path)
            try vault.file.advanceLockGeneration()
            let token = try store.create(for: vault, ttl: 600)
            try tamper(path, "UPDATE vault SET lock_generation = 0")
            let error = vaultError { _ = try store.unlock(VaultFile.open(path: path), token: token) }
            #expect(error?.exitCode == 77)
            #expect(error != .sessionExpired)
        }
    }
}

/// Vaults written by earlier releases (Tests/vault-fixtures/README.md).
enum VaultFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("vault-fixtures").path
    /// The `teammate` slot's passphrase in format1.db.
    static let teammate = "teammate passphrase"
    /// The `default` slot's passphrase in format1.db: not UTF-8.
    static let nonUTF8: [UInt8] = [0xff, 0xfe, 0xfd, 0xfc, 0xc3]

    /// Copies a fixture into `directory` as `vault.db` (0600); the original is never opened.
    static func copy(_ name: String, to directory: String) throws -> String {
        let path = "\(directory)/vault.db"
        try SecureFiles.writeNew(path, bytes: try #require(fileBytes("\(Self.directory)/\(name)")))
        return path
    }

    static func appliedMigrations(_ path: String) throws -> [Int64] {
        let statement = try Connection(path: path, mode: .readOnly).prepare(
            "SELECT id FROM schema_migrations ORDER BY id")
        var ids: [Int64] = []
        while try statement.step() { ids.append(statement.columnInt(0)) }
        return ids
    }
}
