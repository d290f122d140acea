import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

@Suite("Unlock sessions")
struct SessionTests {
    static func sessionFiles(_ directory: String) -> [String] {
        SecureFiles.list(directory).filter { $0.hasSuffix(".session") }.sorted()
    }

    @Test("a valid token opens the vault without the KDF: it works even when every slot would be refused")
    func validToken() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let store = SessionStore(directory: "\(directory)/sessions")
            let vault = try TestVault.create(path)
            let record = TestVault.profile(50)
            try vault.addProfile("p", record)
            let token = try store.create(for: vault, ttl: 3600)
            // The vault it opens, then base64url of 48 bytes.
            #expect(token.hasPrefix("twv2." + vault.file.vaultIDHex + "."))
            #expect(token.count == 5 + 32 + 1 + 64)
            // A passphrase unlock would now stop at the policy check before any Argon2id run.
            try tamper(path, "UPDATE slot SET ops_limit = 1099511627776")
            #expect(vaultError { _ = try TestVault.unlock(path) }?.isKDFOutsidePolicy == true)
            let opened = try store.unlock(VaultFile.open(path: path), token: token)
            #expect(opened.slotLabel == nil)
            #expect(try opened.profile("p") == record)
        }
    }

    @Test("under umask 022 the session directory is 0700 and the file 0600, named after vault and session")
    func modes() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        try withTemporaryDirectory { directory in
            let sessions = "\(directory)/runtime/twvault"
            let vault = try TestVault.create("\(directory)/vault.db")
            _ = try SessionStore(directory: sessions).create(for: vault, ttl: 60)
            #expect(fileMode("\(directory)/runtime") == 0o700)
            #expect(fileMode(sessions) == 0o700)
            let files = Self.sessionFiles(sessions)
            #expect(files.count == 1)
            #expect(files.first?.hasPrefix(vault.file.vaultIDHex + "-") == true)
            #expect(fileMode("\(sessions)/\(files[0])") == 0o600)
            #expect(SecureFiles.list(sessions).count == 1, "no temporary file left behind")
        }
    }

    @Test("an expired token is refused (77) and its file removed")
    func expired() throws {
        try withTemporaryDirectory { directory in
            let store = SessionStore(directory: "\(directory)/sessions")
            let vault = try TestVault.create("\(directory)/vault.db")
            let token = try store.create(for: vault, ttl: 60, now: 1_000)
            #expect(try store.unlock(vault.file, token: token, now: 1_059).slotLabel == nil)
            let error = vaultError { _ = try store.unlock(vault.file, token: token, now: 1_060) }
            #expect(error == .sessionExpired)
            #expect(error?.exitCode == 77)
            #expect(Self.sessionFiles(store.directory).isEmpty)
            #expect(vaultError { _ = try store.unlock(vault.file, token: token, now: 1_000) } == .sessionExpired)
        }
    }

    @Test("ending all sessions invalidates tokens already handed out, only for that vault")
    func endAll() throws {
        try withTemporaryDirectory { directory in
            let store = SessionStore(directory: "\(directory)/sessions")
            let a = try TestVault.create("\(directory)/a.db")
            let b = try TestVault.create("\(directory)/b.db")
            let tokens = [try store.create(for: a, ttl: 600), try store.create(for: a, ttl: 600)]
            let other = try store.create(for: b, ttl: 600)
            #expect(store.endAll(vaultIDHex: a.file.vaultIDHex) == 2)
            for token in tokens {
                #expect(vaultError { _ = try store.unlock(a.file, token: token) } == .sessionExpired)
            }
            #expect(try store.unlock(b.file, token: other).slotLabel == nil)
        }
    }

    @Test("a token for vault A does not open vault B, even renamed for B with A's session file renamed too")
    func otherVault() throws {
        try withTemporaryDirectory { directory in
            let store = SessionStore(directory: "\(directory)/sessions")
            let a = try TestVault.create("\(directory)/a.db")
            let b = try TestVault.create("\(directory)/b.db")
            let token = try store.create(for: a, ttl: 600)
            let unnamed = vaultError { _ = try store.unlock(b.file, token: token) }
            #expect(unnamed == .sessionNotForThisVault)
            #expect(unnamed?.exitCode == 77)
            // The same session key under B's id: the sealed vault id still says A.
            let forged = "twv2.\(b.file.vaultIDHex)." + token.suffix(64)
            #expect(vaultError { _ = try store.unlock(b.file, token: forged) } == .sessionExpired)
            let name = try #require(Self.sessionFiles(store.directory).first)
            let renamed = b.file.vaultIDHex + name.dropFirst(a.file.vaultIDHex.count)
            #expect(rename("\(store.directory)/\(name)", "\(store.directory)/\(renamed)") == 0)
            let error = vaultError { _ = try store.unlock(b.file, token: forged) }
            #expect(error == .sessionInvalid("the session belongs to another vault"))
            #expect(error?.exitCode == 77)
        }
    }

    @Test("malformed tokens, altered files and an extended clear expiry are refused (77)")
    func tampering() throws {
        try withTemporaryDirectory { directory in
            let store = SessionStore(directory: "\(directory)/sessions")
            let vault = try TestVault.create("\(directory)/vault.db")
            for bad in [
                "", "twv1.", "twv2." + String(repeating: "A", count: 64), "twv1." + String(repeating: "A", count: 63),
                "twv1.!!", "twv2.\(vault.file.vaultIDHex)." + String(repeating: "A", count: 63),
                "twv2.\(vault.file.vaultIDHex.uppercased())." + String(repeating: "A", count: 64), ":::",
            ] {
                #expect(
                    vaultError { _ = try store.unlock(vault.file, token: bad) } == .sessionInvalid("malformed token"))
            }
            let token = try store.create(for: vault, ttl: 600, now: 1_000)
            // Another key for the same session id: the file does not open.
            let forged = String(token.dropLast(64 - 22)) + String(repeating: "A", count: 42)
            #expect(vaultError { _ = try store.unlock(vault.file, token: forged, now: 1_000) }?.exitCode == 77)
            let file = "\(store.directory)/\(try #require(Self.sessionFiles(store.directory).first))"
            let original = try #require(fileBytes(file))
            // Extending the expiry in the clear header does not extend the session.
            var extended = original
            extended[15] &+= 1
            SecureFiles.remove(file)
            try SecureFiles.writeNew(file, bytes: extended)
            #expect(vaultError { _ = try store.unlock(vault.file, token: token, now: 1_000) }?.exitCode == 77)
            var flipped = original
            flipped[original.count - 1] ^= 1
            SecureFiles.remove(file)
            try SecureFiles.writeNew(file, bytes: flipped)
            #expect(vaultError { _ = try store.unlock(vault.file, token: token, now: 1_000) }?.exitCode == 77)
            // A session file others can read is refused.
            SecureFiles.remove(file)
            try SecureFiles.writeNew(file, bytes: original)
            chmod(file, 0o644)
            #expect(vaultError { _ = try store.unlock(vault.file, token: token, now: 1_000) }?.exitCode == 77)
            chmod(file, 0o600)
            #expect(try store.unlock(vault.file, token: token, now: 1_000).slotLabel == nil)
        }
    }

    @Test("a session directory that is gone (a reboot cleared it) means the unlock expired (77)")
    func directoryGone() throws {
        try withTemporaryDirectory { directory in
            let store = SessionStore(directory: "\(directory)/sessions")
            let vault = try TestVault.create("\(directory)/vault.db")
            let token = try store.create(for: vault, ttl: 600)
            try FileManager.default.removeItem(atPath: store.directory)
            #expect(vaultError { _ = try store.unlock(vault.file, token: token) } == .sessionExpired)
        }
    }

    @Test("TTL is bounded to 1 s ... 24 h; expired files of any vault are swept")
    func ttlAndSweep() throws {
        try withTemporaryDirectory { directory in
            let store = SessionStore(directory: "\(directory)/sessions")
            let vault = try TestVault.create("\(directory)/vault.db")
            #expect(vaultError { _ = try store.create(for: vault, ttl: 0) } != nil)
            #expect(vaultError { _ = try store.create(for: vault, ttl: 24 * 3600 + 1) } != nil)
            _ = try store.create(for: vault, ttl: 24 * 3600, now: 1_000)
            _ = try store.create(for: vault, ttl: 10, now: 1_000)
            #expect(Self.sessionFiles(store.directory).count == 2)
            store.sweepExpired(now: 2_000)
            #expect(Self.sessionFiles(store.directory).count == 1)
        }
    }

    @Test("the default directory follows XDG_RUNTIME_DIR, else a per-user directory under TMPDIR or /tmp")
    func defaultDirectory() {
        #expect(
            SessionStore.defaultDirectory(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"])
                == "/run/user/1000/twvault")
        #expect(
            SessionStore.defaultDirectory(environment: ["XDG_RUNTIME_DIR": "relative", "TMPDIR": "/var/tmp"])
                == "/var/tmp/twvault-\(geteuid())")
        #expect(SessionStore.defaultDirectory(environment: [:]) == "/tmp/twvault-\(geteuid())")
    }
}
