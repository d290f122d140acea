#if canImport(Glibc)
import Glibc
#endif

/// Placeholder until the terminal module lands.
public enum ProcessHardening {
    public static func apply() {
        umask(0o077)
    }
}
