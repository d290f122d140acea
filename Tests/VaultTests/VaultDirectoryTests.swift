import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// The directory that holds the vault: whoever can write there can plant a `-wal` or `-shm`
/// before SQLite opens them, or swap the vault. Every path problem is one line with its code.
@Suite("Vault directory")
struct VaultDirectoryTests {
    @Test("a directory others may write to is refused (77) with the chmod to run; the vault is unchanged")
    func writableByOthers() throws {
        try withTemporaryDirectory { root in
            let directory = "\(root)/shared"
            let path = "\(directory)/vault.db"
            do { _ = try TestVault.create(path) }
            let before = try settledBytes(path)
            for mode: mode_t in [0o777, 0o1777, 0o770, 0o720, 0o702] {
                chmod(directory, mode)
                let error = vaultError { _ = try TestVault.unlock(path) }
                #expect(error?.exitCode == 77, "mode \(String(mode, radix: 8))")
                #expect(error?.description.contains("chmod 700 '\(directory)'") == true)
                #expect(error?.description.contains("\n") == false)
            }
            // What the attack needs, refused as well: a -wal others may write, planted first.
            chmod(directory, 0o777)
            _ = FileManager.default.createFile(
                atPath: path + "-wal", contents: Data(), attributes: [.posixPermissions: 0o666])
            #expect(vaultError { _ = try TestVault.unlock(path) }?.exitCode == 77)
            SecureFiles.remove(path + "-wal")
            chmod(directory, 0o700)
            #expect(try settledBytes(path) == before)
            chmod(directory, 0o755) // readable by others is no risk to the files inside
            #expect(try TestVault.unlock(path).slotLabel == "default")
            // Creating a vault in such a directory is refused too, and leaves nothing.
            chmod(directory, 0o777)
            let error = vaultError { _ = try TestVault.create("\(directory)/second.db") }
            #expect(error?.exitCode == 77)
            #expect(!SecureFiles.exists("\(directory)/second.db"))
        }
    }

    @Test(
        "a directory owned by another user is refused (77)", .enabled(if: geteuid() == 0, "chown needs root"))
    func ownedByAnotherUser() throws {
        try withTemporaryDirectory { root in
            let directory = "\(root)/theirs"
            let path = "\(directory)/vault.db"
            do { _ = try TestVault.create(path) }
            let before = try settledBytes(path)
            #expect(chown(directory, 4242, 4242) == 0)
            let error = vaultError { _ = try TestVault.unlock(path) }
            #expect(error?.exitCode == 77)
            #expect(error?.description.contains("owned by another user (uid 4242)") == true)
            #expect(chown(directory, geteuid(), getegid()) == 0)
            #expect(try settledBytes(path) == before)
        }
    }

    @Test("a symlink anywhere in the vault's path is refused (77, not SQLite's 1550) and names the real directory")
    func symlinkedParent() throws {
        try withTemporaryDirectory { temporary in
            // The error names the directory with every link and "//" resolved.
            let root = URL(fileURLWithPath: temporary).resolvingSymlinksInPath().path
            let real = "\(root)/real"
            do { _ = try TestVault.create("\(real)/vault.db") }
            #expect(symlink(real, "\(root)/link") == 0)
            #expect(symlink(root, "\(root)/up") == 0)
            for path in ["\(root)/link/vault.db", "\(root)/up/real/vault.db"] {
                let error = try #require(vaultError { _ = try TestVault.unlock(path) })
                #expect(error.exitCode == 77, "\(path): \(error)")
                #expect(error.description.contains("symbolic link"))
                #expect(error.description.contains("'\(real)'"))
                #expect(!error.description.contains("SQLite"))
            }
            let error = vaultError { _ = try TestVault.create("\(root)/link/new.db") }
            #expect(error?.exitCode == 77)
            #expect(!SecureFiles.exists("\(real)/new.db"))
            #expect(try TestVault.unlock("\(real)/vault.db").slotLabel == "default")
        }
    }

    @Test("a missing directory is 66; a file where a directory belongs is 77; never an internal error")
    func missingOrNotADirectory() throws {
        try withTemporaryDirectory { root in
            let missing = vaultError { _ = try TestVault.unlock("\(root)/absent/vault.db") }
            #expect(missing == .vaultNotFound(path: "\(root)/absent/vault.db"))
            #expect(missing?.exitCode == 66)
            try SecureFiles.writeNew("\(root)/file", bytes: [1])
            for attempt in [
                { _ = try TestVault.unlock("\(root)/file/vault.db") },
                { _ = try TestVault.create("\(root)/file/vault.db") },
            ] as [() throws -> Void] {
                let error = vaultError(attempt)
                #expect(error?.exitCode == 77)
                #expect(error?.description.contains("is not a directory") == true)
            }
            // The vault path is a directory itself.
            mkdir("\(root)/dir.db", 0o700)
            #expect(vaultError { _ = try TestVault.unlock("\(root)/dir.db") }?.exitCode == 77)
        }
    }

    @Test("path errors from the system and from SQLite become one-line errors with their codes")
    func errorTranslation() {
        let denied = VaultError.from(
            .system(call: "open", path: "/v/vault.db.lock", errno: EACCES), path: "/v/vault.db")
        #expect(denied.exitCode == 77)
        #expect(denied.description.contains("permission denied"))
        #expect(VaultError.from(.system(call: "lstat", path: "/v", errno: ENAMETOOLONG), path: "/v/x").exitCode == 77)
        #expect(VaultError.from(.system(call: "write", path: "/v", errno: EIO), path: "/v/x").exitCode == 1)
        // SQLite could not create the -wal/-shm, or the file is read-only to us.
        for code: Int32 in [14, 14 | (1 << 8), 8, 8 | (1 << 8), 3] {
            let error = VaultError.from(
                .sqlite(code: code, message: "unable to open database file", sql: nil), path: "/v/vault.db")
            #expect(error.exitCode == 77, "\(code)")
            #expect(error.description.contains("chmod 700 '/v'"))
        }
        #expect(VaultError.from(.sqlite(code: 11, message: "malformed", sql: nil), path: "/v").exitCode == 65)
    }
}
