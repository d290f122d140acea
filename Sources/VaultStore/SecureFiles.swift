import SystemCalls

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// File-system steps that keep the vault private: private directories, files created 0600
/// without following symlinks, and refusal of files others could read or swap.
public enum SecureFiles {
    /// The directory part of `path` ("." for a bare file name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = path[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    /// Whether anything (file, directory, symlink, even dangling) is at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Creates `path` and missing parents with mode 0700. An existing directory is kept;
    /// a symlink in place of the last component is refused.
    public static func makePrivateDirectory(_ path: String) throws(StoreError) {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw .insecureFile(path: path, problem: "is not a directory", fix: "choose another vault path")
            }
            return
        }
        let parent = directory(of: path)
        if parent != path, parent != "/", parent != "." { try makePrivateDirectory(parent) }
        guard SystemCall.retrying({ mkdir(path, 0o700) }) == 0 || errno == EEXIST else {
            throw .system(call: "mkdir", path: path, errno: errno)
        }
    }

    /// Checks, and with `create` makes, the directory that holds a vault, before SQLite opens
    /// anything in it.
    ///
    /// Every component of `path` must be a real directory, not a symbolic link: SQLite opens
    /// the vault with `SQLITE_OPEN_NOFOLLOW`, which refuses a link anywhere in the path, and
    /// a link is also how another user redirects a vault. Missing components are created with
    /// mode 0700 when `create`, else reported as `missing`. The directory itself must be owned
    /// by this user and not writable by group or others: whoever can write there can plant a
    /// `-wal` or `-shm` (say mode 0666) before SQLite opens them, or swap the vault.
    public static func checkVaultDirectory(_ path: String, create: Bool = false) throws(StoreError) {
        var prefix = path.hasPrefix("/") ? "" : nil as String?
        for component in path.split(separator: "/") {
            let current = prefix.map { "\($0)/\(component)" } ?? String(component)
            prefix = current
            var info = stat()
            if lstat(current, &info) != 0 {
                let code = errno
                if code == ENOENT, create {
                    guard SystemCall.retrying({ mkdir(current, 0o700) }) == 0 || errno == EEXIST else {
                        throw pathError(call: "mkdir", path: current, errno: errno)
                    }
                    guard lstat(current, &info) == 0 else {
                        throw pathError(call: "lstat", path: current, errno: errno)
                    }
                } else if code == ENOENT {
                    throw .missing(path: current)
                } else {
                    throw pathError(call: "lstat", path: current, errno: code)
                }
            }
            if info.st_mode & S_IFMT == S_IFLNK {
                let real = realDirectory(path).map { " '\($0)'" } ?? ""
                throw .insecureFile(
                    path: current, problem: "is a symbolic link, and the vault is opened only through real directories",
                    fix: "point --vault at the real directory\(real) instead")
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw .insecureFile(path: current, problem: "is not a directory", fix: "choose another vault path")
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { throw pathError(call: "lstat", path: path, errno: errno) }
        guard info.st_uid == geteuid() else {
            throw .insecureFile(
                path: path, problem: "holds the vault but is owned by another user (uid \(info.st_uid))",
                fix: "keep the vault in a directory you own (--vault)")
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o022 == 0 else {
            throw .insecureFile(
                path: path,
                problem:
                    "holds the vault but others may write to it (mode \(String(mode, radix: 8))), so they could plant files beside it",
                fix: "run: chmod 700 '\(path)'")
        }
    }

    /// The directory with every symbolic link resolved, when it can be.
    static func realDirectory(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// A failed system call on a path, as the error a user can act on: permission problems
    /// are `insecureFile` (77 at the command line), a missing path `missing`.
    public static func pathError(call: String, path: String, errno code: Int32) -> StoreError {
        switch code {
        case ENOENT, ENOTDIR: .missing(path: path)
        case EACCES, EPERM:
            .insecureFile(
                path: path, problem: "cannot be reached: permission denied",
                fix: "check that you own the directories above it and may search them")
        case ELOOP:
            .insecureFile(path: path, problem: "passes through too many symbolic links", fix: "use the real path")
        case EROFS:
            .insecureFile(path: path, problem: "is on a read-only file system", fix: "choose another vault path")
        case ENAMETOOLONG:
            .insecureFile(path: path, problem: "is too long a path", fix: "choose a shorter vault path")
        default: .system(call: call, path: path, errno: code)
        }
    }

    /// Creates an empty file with mode 0600; fails when anything is already there.
    /// `O_NOFOLLOW | O_EXCL` so that a planted symlink is never followed.
    public static func createPrivateFile(_ path: String) throws(StoreError) {
        let fd = SystemCall.retrying { open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw .system(call: "open", path: path, errno: errno) }
        // The mode passed to open is filtered by the umask; make it exactly 0600.
        _ = fchmod(fd, 0o600)
        close(fd)
    }

    /// Refuses `path` when it is a symlink, not a regular file, owned by another user, or
    /// accessible to group or others. A missing file passes when `mayBeMissing`.
    public static func checkPrivate(_ path: String, mayBeMissing: Bool = false) throws(StoreError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT {
                if mayBeMissing { return }
                throw .missing(path: path)
            }
            throw .system(call: "lstat", path: path, errno: errno)
        }
        if info.st_mode & S_IFMT == S_IFLNK {
            throw .insecureFile(
                path: path, problem: "is a symbolic link",
                fix: "point --vault at the real file instead")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .insecureFile(path: path, problem: "is not a regular file", fix: "choose another vault path")
        }
        guard info.st_uid == geteuid() else {
            throw .insecureFile(
                path: path, problem: "is owned by another user (uid \(info.st_uid))",
                fix: "copy it to a file you own, or run as its owner")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw .insecureFile(
                path: path, problem: "is accessible to other users (mode \(String(mode, radix: 8)))",
                fix: "run: chmod 600 '\(path)'")
        }
    }

    /// Checks a database file and its `-wal` and `-shm` companions.
    public static func checkDatabaseFiles(_ path: String) throws(StoreError) {
        try checkPrivate(path)
        try checkPrivate(path + "-wal", mayBeMissing: true)
        try checkPrivate(path + "-shm", mayBeMissing: true)
    }

    /// Refuses a directory that is a symlink, owned by another user, or open to others.
    public static func checkPrivateDirectory(_ path: String) throws(StoreError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { throw .missing(path: path) }
            throw .system(call: "lstat", path: path, errno: errno)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw .insecureFile(path: path, problem: "is not a directory", fix: "remove it and try again")
        }
        guard info.st_uid == geteuid() else {
            throw .insecureFile(path: path, problem: "is owned by another user", fix: "remove it and try again")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw .insecureFile(
                path: path, problem: "is accessible to other users (mode \(String(mode, radix: 8)))",
                fix: "run: chmod 700 '\(path)'")
        }
    }

    /// Reads a whole small file without following symlinks.
    public static func read(_ path: String, limit: Int = 1 << 20) throws(StoreError) -> [UInt8] {
        let fd = SystemCall.retrying { open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else {
            if errno == ENOENT { throw .missing(path: path) }
            throw .system(call: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                SystemCall.retrying { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            }
            if count < 0 { throw .system(call: "read", path: path, errno: errno) }
            if count == 0 { break }
            bytes += chunk[0..<count]
            guard bytes.count <= limit else { throw .system(call: "read", path: path, errno: EFBIG) }
        }
        return bytes
    }

    /// Writes `bytes` to a new private file at `path` (0600, never through a symlink), via a
    /// temporary name and `rename`, with `fsync`, so readers see either nothing or all of it.
    public static func writeNew(_ path: String, bytes: [UInt8]) throws(StoreError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = SystemCall.retrying { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw .system(call: "open", path: temporary, errno: errno) }
        let failure = bytes.withUnsafeBytes { SystemCall.writeAll(fd, $0) }
        if failure != 0 {
            close(fd)
            unlink(temporary)
            throw .system(call: "write", path: temporary, errno: failure)
        }
        _ = fsync(fd)
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .system(call: "rename", path: path, errno: code)
        }
    }

    /// Flushes a file's data to the disk (`fsync`); `directory` for a directory, after a
    /// file was linked or renamed into it.
    public static func sync(_ path: String, directory: Bool = false) throws(StoreError) {
        let flags = (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC
        let fd = SystemCall.retrying { open(path, flags) }
        guard fd >= 0 else { throw .system(call: "open", path: path, errno: errno) }
        defer { close(fd) }
        guard SystemCall.retrying({ fsync(fd) }) == 0 else { throw .system(call: "fsync", path: path, errno: errno) }
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) {
        _ = unlink(path)
    }

    /// Names in a directory (no `.`/`..`), empty when it cannot be read.
    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
