import Foundation
import Testing
import VaultStore

@Suite("Vault directory checks")
struct VaultDirectoryCheckTests {
    static func problem(_ body: () throws -> Void) -> StoreError? {
        do {
            try body()
            return nil
        } catch let error as StoreError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test("create makes every missing component 0700 under umask 022; the check then passes")
    func createsPrivateComponents() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        try withTemporaryDirectory { root in
            try SecureFiles.checkVaultDirectory("\(root)/a/b/c", create: true)
            for path in ["\(root)/a", "\(root)/a/b", "\(root)/a/b/c"] { #expect(fileMode(path) == 0o700) }
            try SecureFiles.checkVaultDirectory("\(root)/a/b/c")
            let missing = Self.problem { try SecureFiles.checkVaultDirectory("\(root)/a/x") }
            guard case let .missing(path) = missing else {
                Issue.record("expected missing, got \(String(describing: missing))")
                return
            }
            #expect(path.hasSuffix("/a/x"))
        }
    }

    @Test("a relative path is checked from the working directory")
    func relativePath() throws {
        try withTemporaryDirectory { root in
            let previous = FileManager.default.currentDirectoryPath
            defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
            #expect(FileManager.default.changeCurrentDirectoryPath(root))
            try SecureFiles.checkVaultDirectory("rel/dir", create: true)
            #expect(fileMode("\(root)/rel/dir") == 0o700)
            try SecureFiles.checkVaultDirectory(".")
            #expect(symlink("rel", "\(root)/alias") == 0)
            let error = Self.problem { try SecureFiles.checkVaultDirectory("alias/dir") }
            guard case let .insecureFile(path, problem, _) = error else {
                Issue.record("expected insecureFile, got \(String(describing: error))")
                return
            }
            #expect(path == "alias")
            #expect(problem.contains("symbolic link"))
        }
    }

    @Test("SQLite's refusal of a symlinked path (1550) arrives as insecureFile, not a bare SQLite error")
    func connectionThroughASymlink() throws {
        try withTemporaryDirectory { root in
            mkdir("\(root)/real", 0o700)
            try SecureFiles.createPrivateFile("\(root)/real/store.db")
            #expect(symlink("\(root)/real", "\(root)/link") == 0)
            let error = Self.problem { _ = try Connection(path: "\(root)/link/store.db", mode: .readWrite) }
            guard case .insecureFile = error else {
                Issue.record("expected insecureFile, got \(String(describing: error))")
                return
            }
            let missing = Self.problem { _ = try Connection(path: "\(root)/real/absent.db", mode: .readWrite) }
            #expect(missing == .missing(path: "\(root)/real/absent.db"))
        }
    }

    @Test("permission and path-length errors of system calls map to insecureFile; others stay system errors")
    func pathErrors() {
        for code in [EACCES, EPERM, ELOOP, EROFS, ENAMETOOLONG] {
            guard case .insecureFile = SecureFiles.pathError(call: "open", path: "/x", errno: code) else {
                Issue.record("errno \(code) not mapped")
                continue
            }
        }
        #expect(SecureFiles.pathError(call: "open", path: "/x", errno: ENOENT) == .missing(path: "/x"))
        #expect(
            SecureFiles.pathError(call: "open", path: "/x", errno: EIO) == .system(call: "open", path: "/x", errno: EIO)
        )
    }
}
