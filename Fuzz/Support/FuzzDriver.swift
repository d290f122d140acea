internal import CLibFuzzer

#if canImport(Glibc)
    import Glibc
#endif

/// Starts libFuzzer from a harness's `main.swift`.
///
/// SwiftPM gives every executable its own `main`, so the one in libFuzzer's runtime never
/// runs; the harness's main calls libFuzzer's driver instead, with the process's arguments
/// (`-max_total_time=…`, the corpus directory) and the harness's `LLVMFuzzerTestOneInput`.
public enum FuzzDriver {
    /// Runs the campaign and exits with libFuzzer's status (non-zero after a crash).
    /// The corresponding libFuzzer function is `LLVMFuzzerRunDriver`.
    public static func main() -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
    }
}
