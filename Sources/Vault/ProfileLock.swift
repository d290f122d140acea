import SystemCalls
import VaultStore

#if canImport(Glibc)
    import Glibc
#endif

/// A lock per profile shared by every process using one vault, held across a network
/// exchange so that concurrent processes needing a refresh make one request: the others
/// wait, then find the new token in the vault.
///
/// One lock file (`<vault>.lock`, 0600) holds an open-file-description byte-range lock per
/// profile at an offset derived from its name; a collision only serialises two profiles.
/// The kernel releases the lock when the holder exits, also after kill -9.
public final class ProfileLock {
    private let fd: Int32

    /// Waits up to `timeoutMilliseconds` for the lock of `profile`; throws `busy` (75) after.
    public init(vaultPath: String, profile: String, timeoutMilliseconds: Int = 45_000) throws(VaultError) {
        let path = vaultPath + ".lock"
        let fd = SystemCall.retrying { open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw .system("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        do {
            try SecureFiles.checkPrivate(path)
        } catch {
            close(fd)
            throw .insecureFile(error.description)
        }
        self.fd = fd
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(ProfileLock.offset(for: profile))
        lock.l_len = 1
        // Poll with a non-blocking request: a blocking one cannot be bounded without signals.
        var waited = 0
        var delay = 2
        while SystemCall.retrying({ fcntl(fd, ProfileLock.setOpenFileDescriptionLock, &lock) }) == -1 {
            guard errno == EAGAIN || errno == EACCES else {
                close(fd)
                throw .system("cannot lock \(path): \(String(cString: strerror(errno)))")
            }
            guard waited < timeoutMilliseconds else {
                close(fd)
                throw .busy
            }
            usleep(useconds_t(delay * 1000))
            waited += delay
            delay = min(delay * 2, 50)
        }
    }

    deinit {
        // Closing the descriptor releases the lock.
        close(fd)
    }

    /// F_OFD_SETLK (Linux 3.15+; the C macro is not visible to Swift). Open-file-description
    /// locks, unlike classic POSIX locks, belong to this descriptor, not the whole process.
    static let setOpenFileDescriptionLock: Int32 = 37

    /// FNV-1a of the name, kept below 2^31 so every platform's off_t holds it.
    static func offset(for profile: String) -> Int64 {
        var hash: UInt32 = 2_166_136_261
        for byte in profile.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return Int64(hash & 0x7fff_ffff)
    }
}
