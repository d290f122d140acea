import Foundation
import Testing
import VaultStore

@Suite("Secure files")
struct SecureFilesTests {
    static func isInsecure(_ error: any Error) -> Bool {
        if case .insecureFile = error as? StoreError { return true }
        return false
    }

    @Test("under umask 022 a new directory is 0700 and the database, -wal and -shm are 0600")
    func modesUnderUmask() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        try withTemporaryDirectory { root in
            let directory = "\(root)/a/b"
            try SecureFiles.makePrivateDirectory(directory)
            #expect(fileMode("\(root)/a") == 0o700)
            #expect(fileMode(directory) == 0o700)
            let path = "\(directory)/store.db"
            try SecureFiles.createPrivateFile(path)
            #expect(fileMode(path) == 0o600)
            let connection = try Connection(path: path, mode: .readWrite)
            try connection.enableWAL()
            try connection.execute("CREATE TABLE t (x INTEGER) STRICT")
            #expect(fileMode(path) == 0o600)
            #expect(fileMode(path + "-wal") == 0o600)
            #expect(fileMode(path + "-shm") == 0o600)
            try SecureFiles.checkDatabaseFiles(path)
            // Creating over an existing file is refused.
            #expect(throws: StoreError.self) { try SecureFiles.createPrivateFile(path) }
        }
    }

    @Test(
        "a database, -wal or -shm open to group or others is refused with the chmod fix",
        arguments: ["", "-wal", "-shm"])
    func refusesOpenModes(suffix: String) throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/store.db"
            for name in [path, path + "-wal", path + "-shm"] { try SecureFiles.createPrivateFile(name) }
            try SecureFiles.checkDatabaseFiles(path)
            for mode: mode_t in [0o644, 0o640, 0o604, 0o660] {
                chmod(path + suffix, mode)
                do {
                    try SecureFiles.checkDatabaseFiles(path)
                    Issue.record("mode \(String(mode, radix: 8)) accepted")
                } catch {
                    #expect(Self.isInsecure(error))
                    #expect("\(error)".contains("chmod 600"))
                }
            }
        }
    }

    @Test("a symlinked database or companion is refused", arguments: ["", "-wal", "-shm"])
    func refusesSymlinks(suffix: String) throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/store.db"
            for name in [path, path + "-wal", path + "-shm"] { try SecureFiles.createPrivateFile(name) }
            try SecureFiles.createPrivateFile("\(directory)/elsewhere")
            unlink(path + suffix)
            #expect(symlink("\(directory)/elsewhere", path + suffix) == 0)
            #expect { try SecureFiles.checkDatabaseFiles(path) } throws: { Self.isInsecure($0) }
        }
    }

    @Test("missing companions pass; a missing database does not; a directory is not a file")
    func missing() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/store.db"
            #expect(throws: StoreError.missing(path: path)) { try SecureFiles.checkDatabaseFiles(path) }
            try SecureFiles.createPrivateFile(path)
            try SecureFiles.checkDatabaseFiles(path)
            #expect { try SecureFiles.checkPrivate(directory) } throws: { Self.isInsecure($0) }
        }
    }

    @Test("private directories: an open directory is refused; writeNew makes 0600 files atomically")
    func directories() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        try withTemporaryDirectory { root in
            try SecureFiles.checkPrivateDirectory(root)
            #expect(throws: StoreError.missing(path: "\(root)/absent")) {
                try SecureFiles.checkPrivateDirectory("\(root)/absent")
            }
            let open = "\(root)/open"
            mkdir(open, 0o755)
            #expect { try SecureFiles.checkPrivateDirectory(open) } throws: { Self.isInsecure($0) }
            try SecureFiles.writeNew("\(root)/file", bytes: [1, 2, 3])
            #expect(fileMode("\(root)/file") == 0o600)
            #expect(try SecureFiles.read("\(root)/file") == [1, 2, 3])
            #expect(SecureFiles.list(root).sorted() == ["file", "open"])
        }
    }
}
