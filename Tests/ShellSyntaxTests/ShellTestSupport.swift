import Foundation
import Testing

/// The hostile values in `Fixtures/hostile-values.json`, with CANARY not yet replaced.
enum HostileCorpus {
    static let values: [String] = {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .appendingPathComponent("Fixtures/hostile-values.json")
        do {
            let data = try Data(contentsOf: url)
            return try JSONDecoder().decode([String].self, from: data)
        } catch {
            fatalError("cannot load \(url.path): \(error)")
        }
    }()

    /// The corpus with every CANARY replaced by `canary`, a path in a temporary directory.
    static func values(canary: String) -> [String] {
        values.map { $0.replacingOccurrences(of: "CANARY", with: canary) }
    }
}

/// A private temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("twvault-shell-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to a file in the directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    /// A path in the directory (not created), for canary files.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// What a shell printed.
struct ShellResult {
    var status: Int32
    var stdout: Data
    var stderr: String

    /// stdout split on NUL bytes (a final NUL terminates the last field).
    var nulFields: [[UInt8]] {
        var fields: [[UInt8]] = []
        var current: [UInt8] = []
        for byte in stdout {
            if byte == 0 {
                fields.append(current)
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { fields.append(current) }
        return fields
    }
}

enum Shell {
    /// Runs `executable` with `arguments` in a minimal, predictable environment.
    static func run(
        _ executable: String, _ arguments: [String], environment extra: [String: String] = [:], home: String
    ) throws -> ShellResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ["PATH": "/usr/bin:/bin", "HOME": home, "LC_ALL": "C.UTF-8", "TERM": "dumb"]
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: home)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a full pipe cannot deadlock.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ShellResult(
            status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The POSIX shells the sh format must work in, with extra arguments.
    static let posixShells: [(name: String, path: String, arguments: [String])] = [
        ("bash", "/bin/bash", []),
        ("bash --posix", "/bin/bash", ["--posix"]),
        ("dash", "/usr/bin/dash", []),
        ("zsh", "/usr/bin/zsh", ["-f"]),
        ("zsh rc_quotes", "/usr/bin/zsh", ["-f", "-o", "rc_quotes"]),
        ("zsh sh emulation", "/usr/bin/zsh", ["--emulate", "sh", "-f"]),
    ]

    static let fish = "/usr/bin/fish"
}

/// Byte-exact comparison: Swift's `String ==` equates canonically equivalent strings.
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
