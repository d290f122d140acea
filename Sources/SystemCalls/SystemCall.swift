#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one place where a system call interrupted by a signal (`EINTR`) is retried, and the
/// write loop built on it. Every other target calls these instead of checking `EINTR` itself.
public enum SystemCall {
    /// Calls `call` again for as long as it fails with `EINTR`; returns its last result, with
    /// `errno` as that call left it.
    @inline(__always)
    public static func retrying<Result: BinaryInteger>(_ call: () -> Result) -> Result {
        var result: Result
        repeat { result = call() } while result == -1 && errno == EINTR
        return result
    }

    /// Writes all of `bytes` to `fd`, across short writes and interruptions. Returns 0, or the
    /// `errno` of the write that failed.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let written = retrying { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            if written < 0 { return errno }
            offset += written
        }
        return 0
    }
}
