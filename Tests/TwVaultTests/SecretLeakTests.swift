import Foundation
import Testing

/// No secret in argv, error messages, --verbose output, or the vault file in clear. The output
/// checks run in process; the process-state check runs the binary.
@Suite struct SecretLeakTests {
    static let secrets = [Harness.authToken, Harness.apiSecret, Harness.passphrase]

    func assertClean(_ text: String, _ context: String) {
        for secret in Self.secrets {
            #expect(!text.contains(secret), "secret leaked in \(context)")
        }
    }

    @Test func errorsAndVerboseOutputCarryNoSecret() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        var outputs: [String] = []
        let runs: [([String], [String: String], String?)] = [
            (["show", "p", "--verbose"], [:], nil),
            (["list", "--details", "--verbose"], [:], nil),
            (["export", "p", "--verbose", "--format", "json"], [:], nil),
            (
                ["add", "p", "--stdin", "--verbose"], [:],
                "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=\(Harness.authToken)\n"
            ),
            (["add", "q", "--stdin"], [:], "TWILIO_ACCOUNT_SID=bad\nTWILIO_AUTH_TOKEN=\(Harness.authToken)\n"),
            (
                ["add", "q", "--stdin"], [:],
                "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN='\(Harness.authToken)\n"
            ),
            (["add", "q", "--stdin"], [:], "TWILIO_NOPE=\(Harness.authToken)\n"),
            (["show", "p"], ["TWVAULT_PASSPHRASE_FILE": "/nonexistent/passphrase"], nil),
            (["verify", "--verbose"], [:], nil),
        ]
        for (arguments, env, stdin) in runs {
            let result = await h.call(arguments, stdin: stdin, env: env, passphrase: env.isEmpty)
            outputs.append(result.stderr)
            if !arguments.contains("export") { outputs.append(result.stdout) }
        }
        // Wrong passphrase.
        outputs.append(await h.call(["show", "p"], env: ["TWVAULT_PASSPHRASE": Harness.passphrase + "x"]).stderr)
        for (index, text) in outputs.enumerated() { assertClean(text, "run \(index)") }
    }

    /// Files the commands wrote: a profile added, an unlock session.
    @Test func vaultFilesHoldNoPlaintext() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        let added = await h.call(
            ["add", "plain-check", "--stdin"],
            stdin: """
                TWILIO_ACCOUNT_SID=\(Harness.accountSID)
                TWILIO_AUTH_TOKEN=\(Harness.authToken)
                TWILIO_API_KEY=\(Harness.apiKeySID)
                TWILIO_API_SECRET=\(Harness.apiSecret)

                """, passphrase: true)
        #expect(added.status == 0, "\(added.stderr)")
        await h.callUnlock()
        for (path, data) in h.allFileBytes() where !path.hasSuffix("/passphrase") {
            for secret in Self.secrets + [Harness.accountSID, Harness.apiKeySID] {
                #expect(data.range(of: Data(secret.utf8)) == nil, "\(secret.prefix(6))… in clear in \(path)")
            }
        }
    }

    @Test func noSecretInTheCommandLineOrProcessState() throws {
        let h = try Harness()
        try h.installFixtureVault()
        // The passphrase comes through a FIFO on fd 3 that stays empty until the test has looked
        // at the process: twvault then holds the stdin secrets and blocks reading fd 3. Its
        // --verbose note on stderr says when it got there.
        let fifo = h.root.path + "/passphrase.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = open(fifo, O_RDWR) // O_RDWR: does not wait for a reader (Linux)
        #expect(writer >= 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "exec \"$0\" add q --stdin --verbose --passphrase-fd 3 3<\"$1\"", Harness.binary, fifo,
        ]
        process.environment = h.baseEnvironment()
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(
            Data("TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=\(Harness.authToken)\n".utf8))
        try input.fileHandleForWriting.close()
        var seen = ""
        while !seen.contains("reading the passphrase from descriptor 3") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        let pid = process.processIdentifier
        let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))) ?? Data()
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let limits = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
        _ = Harness.passphrase.withCString { write(writer, $0, strlen($0)) }
        close(writer)
        let rest = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(seen)\(String(decoding: rest, as: UTF8.self))")
        let argv = String(decoding: cmdline, as: UTF8.self)
        #expect(argv.contains("add"))
        assertClean(argv, "cmdline")
        assertClean(String(decoding: environ, as: UTF8.self), "environ")
        assertClean(seen, "verbose output")
        #expect(status.contains("Umask:\t0077"))
        #expect(limits.split(separator: "\n").contains { $0.hasPrefix("Max core file size") && $0.contains(" 0 ") })
    }
}
