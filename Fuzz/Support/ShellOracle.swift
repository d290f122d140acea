import Foundation
import SystemCalls

// Runs a real shell for the fuzz harnesses' oracles. Shared by env-file and shell-quoting.

public enum ShellOracle {
    /// Runs `shell` with `arguments` in an empty environment (LC_ALL=C, so bytes stay bytes)
    /// and returns its standard output, or nil when it could not run or exited non-zero.
    public static func run(_ shell: String, _ arguments: [String], stdin: [UInt8] = []) -> [UInt8]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: shell)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": NSTemporaryDirectory()]
        process.currentDirectoryURL = URL(fileURLWithPath: NSTemporaryDirectory())
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = input
        do { try process.run() } catch { return nil }
        // Raw reads and writes retried on EINTR: FileHandle's own end the harness with a
        // fatal error when a signal (libFuzzer's timer) interrupts them.
        writeAll(stdin, to: input.fileHandleForWriting.fileDescriptor)
        try? input.fileHandleForWriting.close()
        let data = readAll(output.fileHandleForReading.fileDescriptor)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return data
    }

    /// Writes `bytes`; a shell that exits without reading its input (EPIPE) is not an error.
    static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        signal(SIGPIPE, SIG_IGN)
        _ = bytes.withUnsafeBytes { SystemCall.writeAll(fd, $0) }
    }

    /// Reads until end of file (or a read error).
    static func readAll(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { bytes in
                SystemCall.retrying { read(fd, bytes.baseAddress, bytes.count) }
            }
            if count <= 0 { return data }
            data += buffer[..<count]
        }
    }

    /// How often (every Nth checked input) a harness runs a real shell; `FUZZ_SHELL_EVERY`.
    public static let every: Int = Int(ProcessInfo.processInfo.environment["FUZZ_SHELL_EVERY"] ?? "") ?? 64
    nonisolated(unsafe) public static var counter = 0

    /// True on every `every`th call.
    public static func due() -> Bool {
        counter += 1
        return counter % every == 0
    }
}
