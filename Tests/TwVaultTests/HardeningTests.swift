import Foundation
import Testing

/// The hardening of DESIGN §4, through the built binary: each test runs the attack and expects
/// the documented exit code, an unchanged vault and no secret in the output.
@Suite struct HardeningTests {
    /// Runs SQL on the vault with python's sqlite3: an outside program, like an attacker.
    static func sql(_ h: Harness, _ script: String) throws {
        let program = "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.executescript(sys.argv[2])\nc.close()"
        let result = try Harness.execute(
            "/usr/bin/python3", ["-c", program, h.vaultPath, script], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 0, "sql: \(result.stderr)")
    }

    static func sessionFiles(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".session") }
    }

    /// The token from `unlock`'s `export TWVAULT_SESSION='…'` line.
    static func token(_ result: Harness.Result) -> String {
        let line = result.stdout.trimmingCharacters(in: .newlines)
        return String(line.dropFirst("export TWVAULT_SESSION='".count).dropLast())
    }

    static func isOneLine(_ text: String) -> Bool {
        text.hasSuffix("\n") && text.dropLast().firstIndex(of: "\n") == nil
    }

    /// Whether a terminal would act on something in `bytes`: ESC, BEL, C1 controls (UTF-8
    /// C2 80…C2 9F) or a directional formatting character (U+061C, U+200E/F, U+202A…E, U+2066…9).
    static func holdsRawControls(_ data: Data) -> Bool {
        let text = String(decoding: data, as: UTF8.self)
        return text.unicodeScalars.contains { scalar in
            let value = scalar.value
            return (value < 0x20 && value != 0x0a) || (0x7f...0x9f).contains(value) || value == 0x061c
                || value == 0x200e || value == 0x200f || (0x202a...0x202e).contains(value)
                || (0x2066...0x2069).contains(value)
        }
    }

    // MARK: lock

    @Test func lockEndsUnlocksMadeUnderAnotherEnvironment() throws {
        let h = try Harness()
        try h.makeVault()
        let temp = h.root.path + "/tmp"
        try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: false)
        h.environment["TMPDIR"] = temp
        let fallback = "\(temp)/twvault-\(geteuid())"

        // Unlocked where XDG_RUNTIME_DIR is unset: the session file goes under $TMPDIR.
        let unlocked = try h.run(["unlock"], passphrase: true, removing: ["XDG_RUNTIME_DIR"])
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
        let token = Self.token(unlocked)
        #expect(Self.sessionFiles(fallback).count == 1)
        let before = try h.run(["export", "p"], env: ["TWVAULT_SESSION": token], removing: ["XDG_RUNTIME_DIR"])
        #expect(before.status == 0, "\(before.stderr)")

        // `lock` from a shell that has XDG_RUNTIME_DIR.
        let locked = try h.run(["lock"])
        #expect(locked.status == 0, "\(locked.stderr)")
        #expect(locked.stderr.contains("ended 1 unlock"))
        #expect(Self.sessionFiles(fallback).isEmpty)
        let after = try h.run(["export", "p"], env: ["TWVAULT_SESSION": token], removing: ["XDG_RUNTIME_DIR"])
        #expect(after.status == 77)
        #expect(!after.stdout.contains(Harness.authToken) && !after.stderr.contains(Harness.authToken))

        // A session file `lock` cannot find ($TMPDIR changed in between) is refused all the same.
        let again = Self.token(try h.run(["unlock"], passphrase: true, removing: ["XDG_RUNTIME_DIR"]))
        let elsewhere = h.root.path + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
        let missed = try h.run(["lock"], env: ["TMPDIR": elsewhere])
        #expect(missed.status == 0)
        #expect(Self.sessionFiles(fallback).count == 1, "the sweep did not reach it")
        let stale = try h.run(["export", "p"], env: ["TWVAULT_SESSION": again], removing: ["XDG_RUNTIME_DIR"])
        #expect(stale.status == 77)
        #expect(stale.stderr.contains("expired or was locked"))
        #expect(!stale.stdout.contains(Harness.authToken))
        #expect(Self.sessionFiles(fallback).isEmpty, "the stale file is removed")
        #expect(try h.run(["verify"], passphrase: true).status == 0)
    }

    // MARK: passphrase files and descriptors

    @Test func passphraseFileOpenToOthersIsRefused() throws {
        let h = try Harness()
        try h.makeVault()
        for mode: mode_t in [0o644, 0o640, 0o604, 0o660, 0o620, 0o606] {
            chmod(h.passphraseFile, mode)
            let result = try h.run(["show", "p"], passphrase: true)
            #expect(result.status == 77, "mode \(String(mode, radix: 8))")
            #expect(result.stderr.contains("chmod 600 '\(h.passphraseFile)'"))
            #expect(Self.isOneLine(result.stderr), "\(result.stderr)")
            #expect(!result.stderr.contains(Harness.passphrase) && !result.stdout.contains(Harness.passphrase))
        }
        chmod(h.passphraseFile, 0o600)
        #expect(try h.run(["show", "p"], passphrase: true).status == 0)
        if geteuid() == 0 {
            #expect(chown(h.passphraseFile, 4242, 4242) == 0)
            let result = try h.run(["show", "p"], passphrase: true)
            #expect(result.status == 77)
            #expect(result.stderr.contains("another user"))
            #expect(chown(h.passphraseFile, 0, 0) == 0)
        }
        // A descriptor that is a regular file follows the same rule, and names the file.
        chmod(h.passphraseFile, 0o644)
        let script = "exec \"$0\" show p --passphrase-fd 3 3<\"$1\""
        let result = try Harness.execute(
            "/bin/sh", ["-c", script, Harness.binary, h.passphraseFile], environment: h.baseEnvironment())
        #expect(result.status == 77)
        #expect(result.stderr.contains("chmod 600 '\(h.passphraseFile)'"))
    }

    @Test func passphraseDescriptorNeverReachesTheChild() throws {
        let h = try Harness()
        try h.makeVault()
        let script =
            "exec \"$0\" exec --passphrase-fd 3 p -- sh -c 'cat /proc/self/fd/3 2>/dev/null; echo child-ran' 3<\"$1\""
        var result = try Harness.execute(
            "/bin/sh", ["-c", script, Harness.binary, h.passphraseFile], environment: h.baseEnvironment())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "child-ran\n")
        // Also when an unlock session makes the descriptor unnecessary.
        try h.unlock()
        result = try Harness.execute(
            "/bin/sh", ["-c", script, Harness.binary, h.passphraseFile], environment: h.baseEnvironment())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "child-ran\n")
    }

    // MARK: passphrase encoding

    @Test func newPassphraseThatIsNotUTF8IsRefused() throws {
        let h = try Harness()
        let file = h.root.path + "/bytes"
        let bytes = Data([0xff, 0xfe, 0xfd, 0xfc, 0xc3, 0x0a])
        _ = FileManager.default.createFile(atPath: file, contents: bytes, attributes: [.posixPermissions: 0o600])
        var result = try h.run(["init", "--kdf", "interactive", "--new-passphrase-file", file])
        #expect(result.status == 65)
        #expect(result.stderr.contains("UTF-8"))
        #expect(!FileManager.default.fileExists(atPath: h.vaultPath))
        // Through the environment too, where the bytes reach twvault undecoded.
        result = try Harness.execute(
            "/bin/sh",
            [
                "-c", "TWVAULT_NEW_PASSPHRASE=$(printf '\\377\\376\\375') exec \"$0\" init --kdf interactive",
                Harness.binary,
            ],
            environment: h.baseEnvironment())
        #expect(result.status == 65, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: h.vaultPath))
        result = try Harness.execute(
            "/bin/sh",
            [
                "-c", "TWVAULT_PASSPHRASE=$(printf '\\200\\201') exec \"$0\" add p --stdin --kdf interactive",
                Harness.binary,
            ],
            environment: h.baseEnvironment(), stdin: "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=t\n")
        #expect(result.status == 65, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: h.vaultPath))
    }

    @Test func slotOfAnEarlierVersionOpensWithOneWarning() throws {
        let h = try Harness()
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("vault-fixtures/format1.db")
        try FileManager.default.createDirectory(
            atPath: h.root.path + "/vault", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        _ = FileManager.default.createFile(
            atPath: h.vaultPath, contents: try Data(contentsOf: fixture), attributes: [.posixPermissions: 0o600])
        let file = h.root.path + "/bytes"
        _ = FileManager.default.createFile(
            atPath: file, contents: Data([0x80, 0x81, 0x82, 0x83, 0xe0]), attributes: [.posixPermissions: 0o600])
        let result = try h.run(["show", "acme-prod", "--passphrase-file", file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("AC0123456789abcdef0123456789abcdef"))
        #expect(Self.isOneLine(result.stderr), "\(result.stderr)")
        #expect(result.stderr.contains("warning:") && result.stderr.contains("twvault passwd"))
    }

    // MARK: paths

    @Test func pathProblemsAreOneLineErrorsWithTheirCodes() throws {
        let h = try Harness()
        try h.makeVault()
        let directory = h.root.path + "/vault"
        let before = try #require(FileManager.default.contents(atPath: h.vaultPath))

        // The parent is a symlink: refused like a symlinked vault, never "SQLite error 1550".
        let link = h.root.path + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory)
        var result = try h.run(["list", "--vault", link + "/vault.db"])
        #expect(result.status == 77)
        #expect(Self.isOneLine(result.stderr) && result.stderr.contains("symbolic link"))
        #expect(!result.stderr.contains("SQLite"))

        // Others may write to the directory: they could plant a -wal or -shm.
        chmod(directory, 0o777)
        result = try h.run(["export", "p"], passphrase: true)
        #expect(result.status == 77)
        #expect(result.stderr.contains("chmod 700 '\(directory)'"))
        #expect(!result.stdout.contains(Harness.authToken))
        chmod(directory, 0o700)

        result = try h.run(["list", "--vault", h.root.path + "/absent/vault.db"])
        #expect(result.status == 66)
        #expect(Self.isOneLine(result.stderr))
        result = try h.run(["list", "--vault", h.passphraseFile + "/vault.db"])
        #expect(result.status == 77)
        #expect(Self.isOneLine(result.stderr) && result.stderr.contains("not a directory"))
        result = try h.run(["list", "--vault", directory])
        #expect(result.status == 77)
        #expect(Self.isOneLine(result.stderr))
        #expect(FileManager.default.contents(atPath: h.vaultPath) == before)
    }

    /// Runs the binary as root without the capabilities that override file permissions, so
    /// that permission bits apply as they do to any user.
    static func withoutPermissionOverride(_ h: Harness, _ arguments: [String]) throws -> Harness.Result {
        var env = h.baseEnvironment()
        env["TWVAULT_PASSPHRASE_FILE"] = h.passphraseFile
        let drop = "-dac_override,-dac_read_search"
        return try Harness.execute(
            "/usr/bin/setpriv", ["--inh-caps", drop, "--bounding-set", drop, "--", Harness.binary] + arguments,
            environment: env)
    }

    static var canDropCapabilities: Bool {
        guard geteuid() == 0,
            let result = try? Harness.execute(
                "/usr/bin/setpriv",
                ["--inh-caps", "-dac_override", "--bounding-set", "-dac_override", "--", "/bin/true"],
                environment: ["PATH": "/usr/bin:/bin"])
        else { return false }
        return result.status == 0
    }

    @Test(.enabled(if: canDropCapabilities, "needs root and setpriv"))
    func permissionDeniedIsAccessDeniedNotAnInternalError() throws {
        let h = try Harness()
        try h.makeVault()
        let directory = h.root.path + "/vault"
        let before = try #require(FileManager.default.contents(atPath: h.vaultPath))
        // SQLite cannot create the -wal and -shm in a directory its owner may not write.
        chmod(directory, 0o500)
        var result = try Self.withoutPermissionOverride(h, ["show", "p"])
        #expect(result.status == 77, "\(result.stderr)")
        #expect(Self.isOneLine(result.stderr))
        #expect(result.stderr.contains("chmod 700"))
        // A directory above the vault that may not be searched.
        chmod(directory, 0o700)
        chmod(h.root.path, 0o000)
        defer { chmod(h.root.path, 0o700) }
        result = try Self.withoutPermissionOverride(h, ["list"])
        #expect(result.status == 77, "\(result.stderr)")
        #expect(Self.isOneLine(result.stderr) && result.stderr.contains("permission denied"))
        chmod(h.root.path, 0o700)
        #expect(FileManager.default.contents(atPath: h.vaultPath) == before)
    }

    // MARK: names from the file

    @Test func namesPlantedInTheFileReachTheTerminalEscaped() throws {
        let h = try Harness()
        try h.makeVault()
        let hostile =
            "'x' || char(27) || ']0;owned' || char(7) || char(27) || '[2J' || char(0x202E) || 'fdp.' || char(0x9b)"
        try Self.sql(
            h,
            """
            INSERT INTO record SELECT \(hostile), kind, sealed, updated_at FROM record WHERE profile = 'p';
            INSERT INTO slot (label, algorithm, ops_limit, mem_limit, salt, wrapped_key, created_at)
            SELECT \(hostile), algorithm, ops_limit, mem_limit, salt, wrapped_key, created_at FROM slot;
            """)
        let escaped = "x\\x1b]0;owned\\x07\\x1b[2J\\u{202E}fdp.\\x9b"
        for arguments in [["list"], ["list", "--json"]] {
            let result = try h.run(arguments)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!Self.holdsRawControls(result.stdoutData), "\(arguments)")
            #expect(result.stdout.contains(arguments.count == 1 ? escaped : "x\\\\x1b]0;owned"))
        }
        for arguments in [["list", "--details"], ["verify"], ["show", "p"]] {
            let result = try h.run(arguments, passphrase: true)
            #expect(!Self.holdsRawControls(result.stdoutData), "\(arguments)")
            #expect(!Self.holdsRawControls(Data(result.stderr.utf8)), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains(Harness.authToken))
        }
        let verify = try h.run(["verify"], passphrase: true)
        #expect(verify.status == 65)
        #expect(verify.stderr.contains(escaped))
    }

    // MARK: bounds

    @Test func ttlThatOverflowsIsAUsageError() throws {
        let h = try Harness()
        try h.makeVault()
        for ttl in ["9223372036854775807s1s", "9223372036854775807m", "99999999999999999999s", "106751991167300d1d"] {
            let result = try h.run(["unlock", "--ttl", ttl], passphrase: true)
            #expect(result.status == 64, "\(ttl): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        #expect(Self.sessionFiles(h.runtimeDirectory + "/twvault").isEmpty)
    }

    @Test func slotAtTheMemoryCapOnASmallMachine() throws {
        let h = try Harness()
        try h.makeVault()
        // Planted before 'default' in label order, at the 4 GiB cap: within the policy.
        try Self.sql(
            h,
            """
            INSERT INTO slot (label, algorithm, ops_limit, mem_limit, salt, wrapped_key, created_at)
            SELECT 'aaa', algorithm, 2, 4294967296, salt, wrapped_key, created_at FROM slot WHERE label = 'default';
            """)
        let before = try #require(FileManager.default.contents(atPath: h.vaultPath))
        // A machine with 2 GiB of address space for the process.
        func small(_ arguments: [String], passphrase: String) throws -> Harness.Result {
            let file = h.root.path + "/pp"
            try h.write(passphrase + "\n", to: file)
            var env = h.baseEnvironment()
            env["TWVAULT_PASSPHRASE_FILE"] = file
            return try Harness.execute(
                "/usr/bin/prlimit", ["--as=2147483648", "--", Harness.binary] + arguments, environment: env)
        }
        var result = try small(["show", "p"], passphrase: Harness.passphrase)
        #expect(result.status == 0, "the slot that fits still opens: \(result.stderr)")
        result = try small(["show", "p"], passphrase: "not the passphrase")
        #expect(result.status == 78, "\(result.stderr)")
        #expect(Self.isOneLine(result.stderr))
        #expect(result.stderr.contains("'aaa'") && result.stderr.contains("memory"))
        #expect(FileManager.default.contents(atPath: h.vaultPath) == before)
    }
}
