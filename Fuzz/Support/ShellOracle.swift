import Foundation

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
        input.fileHandleForWriting.write(Data(stdin))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return Array(data)
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
