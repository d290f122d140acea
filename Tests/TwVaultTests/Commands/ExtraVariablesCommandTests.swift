import Foundation
import Testing
import TwVaultTestSupport
import Vault
import VaultOperations

/// Extra variables (DESIGN §11), in process: stored from `--stdin`, exported in every format,
/// listed by name, removed with `update --unset`, copied, and refused for names that change how
/// a shell or program runs.
@Suite struct ExtraVariablesCommandTests {
    static let credentials = "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=\(TestHome.authToken)\n"
    static let extras = "STRIPE_API_KEY='sk_test_a'\\''b$c`d'\nTWILIO_PHONE_NUMBER=+15551234567\nAPP_MODE=\"x y\"\n"
    static let stripeValue = "sk_test_a'b$c`d"

    /// A home with the fixture vault, unlocked, and a profile `e` holding the extra variables.
    static func home() async throws -> TestHome {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let added = await home.run(["add", "e", "--stdin"], stdin: credentials + extras)
        #expect(added.exit == .success, "\(added.stderr)")
        // A misspelt credential would show here.
        #expect(
            added.stderr.contains(
                "stored profile 'e' (auth-token) with extra variables APP_MODE, STRIPE_API_KEY, TWILIO_PHONE_NUMBER"))
        return home
    }

    static func storedVariables(_ home: TestHome, _ name: String) throws -> [String: String]? {
        try home.withVault { try $0.record(VariablesRecord.self, profile: name, kind: .variables)?.variables }
    }

    @Test func addStoresThemEncryptedAndShowListsNamesOnly() async throws {
        let home = try await Self.home()
        #expect(
            try Self.storedVariables(home, "e")
                == ["STRIPE_API_KEY": Self.stripeValue, "TWILIO_PHONE_NUMBER": "+15551234567", "APP_MODE": "x y"])
        // Sealed: no value is in the file in the clear.
        let file = try #require(TestHome.read(home.vaultPath)) + (TestHome.read(home.vaultPath + "-wal") ?? [])
        #expect(file.firstRange(of: Array("sk_test_a".utf8)) == nil)

        let shown = await home.run(["show", "e"])
        #expect(shown.exit == .success, "\(shown.stderr)")
        #expect(shown.stdout.contains("extra variables  APP_MODE STRIPE_API_KEY TWILIO_PHONE_NUMBER\n"))
        #expect(!shown.stdout.contains("sk_test") && !shown.stdout.contains("+1555"))
        let json = await home.run(["show", "e", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["extra_variables"] as? [String] == ["APP_MODE", "STRIPE_API_KEY", "TWILIO_PHONE_NUMBER"])
        #expect(!json.stdout.contains("sk_test") && !json.stdout.contains("+1555"))
        let plain = await home.run(["show", "p"])
        #expect(plain.stdout.contains("extra variables  -\n"))
    }

    @Test func everyFormatExportsThemWithTheirList() async throws {
        let home = try await Self.home()
        let sh = await home.run(["export", "e", "--format", "sh"])
        #expect(sh.exit == .success, "\(sh.stderr)")
        #expect(
            sh.stdout.hasSuffix(
                "export TWVAULT_PROFILE='e'\n" + "export APP_MODE='x y'\n"
                    + "export STRIPE_API_KEY='sk_test_a'\\''b$c`d'\n" + "export TWILIO_PHONE_NUMBER='+15551234567'\n"
                    + "export TWVAULT_VARS='APP_MODE STRIPE_API_KEY TWILIO_PHONE_NUMBER'\n"))
        let fish = await home.run(["export", "e", "--format", "fish"])
        #expect(fish.stdout.contains("set -gx STRIPE_API_KEY 'sk_test_a\\'b$c`d'\n"))
        #expect(fish.stdout.contains("set -gx TWVAULT_VARS 'APP_MODE STRIPE_API_KEY TWILIO_PHONE_NUMBER'\n"))
        let powershell = await home.run(["export", "e", "--format", "powershell"])
        #expect(powershell.stdout.contains("$env:STRIPE_API_KEY = 'sk_test_a''b$c`d'\n"))
        #expect(powershell.stdout.contains("$env:TWVAULT_VARS = 'APP_MODE STRIPE_API_KEY TWILIO_PHONE_NUMBER'\n"))
        let json = await home.run(["export", "e", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String]
        #expect(object?["STRIPE_API_KEY"] == Self.stripeValue)
        #expect(object?["APP_MODE"] == "x y")
        #expect(object?["TWVAULT_VARS"] == "APP_MODE STRIPE_API_KEY TWILIO_PHONE_NUMBER")
        // dotenv cannot carry a quote: refused by name, as for any secret.
        let dotenv = await home.run(["export", "e", "--format", "dotenv"])
        #expect(dotenv.exit == .dataError)
        #expect(dotenv.stderr.contains("STRIPE_API_KEY") && !dotenv.stderr.contains("sk_test"))
        #expect(await home.run(["update", "e", "--unset", "STRIPE_API_KEY"]).exit == .success)
        let dotenvAgain = await home.run(["export", "e", "--format", "dotenv"])
        #expect(dotenvAgain.exit == .success, "\(dotenvAgain.stderr)")
        #expect(dotenvAgain.stdout.contains("APP_MODE='x y'\nTWILIO_PHONE_NUMBER='+15551234567'\n"))
        #expect(dotenvAgain.stdout.hasSuffix("TWVAULT_VARS='APP_MODE TWILIO_PHONE_NUMBER'\n"))
    }

    @Test func withoutExtraVariablesTheListIsEmpty() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let sh = await home.run(["export", "p", "--format", "sh"])
        #expect(sh.stdout.hasSuffix("export TWVAULT_PROFILE='p'\nexport TWVAULT_VARS=''\n"))
    }

    @Test func anInheritedListUnsetsOnlyNamesTwvaultMayTouch() async throws {
        let home = try await Self.home()
        let inherited = "OLD_ONE PATH lower LD_PRELOAD TWILIO_AUTH_TOKEN APP_MODE OLD_ONE TWVAULT_SESSION"
        let result = await home.run(["export", "e", "--format", "sh"], env: ["TWVAULT_VARS": inherited])
        #expect(result.exit == .success, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0 == "unset OLD_ONE" }.count == 1)
        for untouched in ["PATH", "lower", "LD_PRELOAD", "TWVAULT_SESSION", "APP_MODE"] {
            #expect(!lines.contains("unset \(untouched)"), "\(untouched)")
        }
        #expect(lines.contains("export TWILIO_AUTH_TOKEN='\(TestHome.authToken)'"))
        #expect(!lines.contains("unset TWILIO_AUTH_TOKEN"))
        #expect(lines.contains("export APP_MODE='x y'"))
        // The unset comes before anything is set.
        #expect(lines.firstIndex(of: "unset OLD_ONE")! < lines.firstIndex(of: "export APP_MODE='x y'")!)
    }

    @Test func theFailSafeFragmentUnsetsTheInheritedExtraVariables() async throws {
        let home = try await Self.home()
        let result = await home.run(["export", "typo", "--format", "sh"], env: ["TWVAULT_VARS": "OLD_ONE PATH lower"])
        #expect(result.exit == .noInput)
        #expect(result.stdout.contains("unset OLD_ONE\n"))
        #expect(result.stdout.contains("unset TWVAULT_VARS\n"))
        #expect(!result.stdout.contains("unset PATH") && !result.stdout.contains("unset lower"))
        #expect(result.stdout.hasSuffix("false\n"))
    }

    @Test func execSetsThemAndDropsThePreviousProfiles() async throws {
        let home = try await Self.home()
        let launcher = RecordingLauncher()
        let result = await home.run(
            ["exec", "e", "--", "env"],
            env: ["TWVAULT_VARS": "OLD_ONE PATH", "OLD_ONE": "previous-secret", "APP_MODE": "previous"],
            processes: launcher)
        #expect(result.exit == .success, "\(result.stderr)")
        let environment = try #require(launcher.recorded.first).environment
        #expect(environment["STRIPE_API_KEY"] == Self.stripeValue)
        #expect(environment["APP_MODE"] == "x y")
        #expect(environment["TWVAULT_VARS"] == "APP_MODE STRIPE_API_KEY TWILIO_PHONE_NUMBER")
        #expect(environment["OLD_ONE"] == nil)
        #expect(environment["PATH"] != nil)
    }

    /// DESIGN §11's list, with names for each pattern.
    static let refusedNames = [
        "PATH", "HOME", "SHELL", "ENV", "BASH_ENV", "IFS", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "ZDOTDIR",
        "TMPDIR", "LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES", "GCONV_PATH", "NODE_OPTIONS",
        "PYTHONPATH", "PYTHONSTARTUP", "PERL5LIB", "PERL5OPT", "RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS", "GIT_SSH_COMMAND", "GIT_DIR", "SSH_AUTH_SOCK", "TWVAULT_SESSION", "TWVAULT_PASSPHRASE",
        "TWVAULT_VAULT",
    ]

    @Test func everyRefusedNameIsRefusedAtInputAndNothingChanges() async throws {
        let home = try await Self.home()
        let before = TestHome.read(home.vaultPath)
        for name in Self.refusedNames {
            for command in [["add", "new"], ["update", "e"]] {
                let result = await home.run(command + ["--stdin"], stdin: Self.credentials + "\(name)=value-x\n")
                #expect(result.exit == .dataError, "\(command[0]) \(name): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1)
                #expect(!result.stderr.contains("value-x"))
                // `_JAVA_OPTIONS` is not even a well-formed name: not shown, like any malformed one.
                #expect(result.stderr.contains(name) || name == "_JAVA_OPTIONS", "\(name): \(result.stderr)")
            }
        }
        #expect(TestHome.read(home.vaultPath) == before)
    }

    @Test(arguments: ["lower_case=1", "Mixed=1", "A\(String(repeating: "B", count: 64))=1"])
    func aMalformedNameIsRefusedWithoutShowingIt(line: String) async throws {
        let home = try await Self.home()
        let result = await home.run(["update", "e", "--stdin"], stdin: line + "\n")
        #expect(result.exit == .dataError, "\(result.stderr)")
        let name = String(line[..<line.firstIndex(of: "=")!])
        #expect(!result.stderr.contains(name))
        #expect(result.stderr.contains("line 1"))
    }

    @Test func anEmptyValueIsRefusedAsForEverySecret() async throws {
        let home = try await Self.home()
        let result = await home.run(["update", "e", "--stdin"], stdin: "APP_MODE=\n")
        #expect(result.exit == .usage)
        #expect(result.stderr.contains("APP_MODE must not be empty"))
    }

    @Test func anExportPipesBackInUnchanged() async throws {
        let home = try await Self.home()
        let exported = await home.run(["export", "e", "--format", "sh"], env: ["TWVAULT_VARS": "OLD_ONE"])
        #expect(exported.exit == .success)
        let result = await home.run(["update", "e", "--stdin"], stdin: exported.stdout)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("nothing changed"))
        let copied = await home.run(["add", "f", "--stdin"], stdin: exported.stdout)
        #expect(copied.exit == .success, "\(copied.stderr)")
        #expect(try Self.storedVariables(home, "f") == Self.storedVariables(home, "e"))
    }

    @Test func updateSetsChangesAndKeepsTheOthers() async throws {
        let home = try await Self.home()
        let credentials = try home.storedProfile("e")
        let result = await home.run(["update", "e", "--stdin"], stdin: "APP_MODE=production\nNEW_ONE=1\n")
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("set extra variables APP_MODE, NEW_ONE"))
        #expect(
            try Self.storedVariables(home, "e") == [
                "STRIPE_API_KEY": Self.stripeValue, "TWILIO_PHONE_NUMBER": "+15551234567", "APP_MODE": "production",
                "NEW_ONE": "1",
            ])
        #expect(try home.storedProfile("e") == credentials)
        let same = await home.run(["update", "e", "--stdin"], stdin: "APP_MODE=production\n")
        #expect(same.stderr.contains("nothing changed"))
    }

    @Test func updateUnsetRemovesOneAndOnlyOne() async throws {
        let home = try await Self.home()
        let credentials = try home.storedProfile("e")
        let result = await home.run(["update", "e", "--unset", "APP_MODE"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("removed extra variables APP_MODE"))
        #expect(
            try Self.storedVariables(home, "e") == [
                "STRIPE_API_KEY": Self.stripeValue, "TWILIO_PHONE_NUMBER": "+15551234567",
            ])
        #expect(try home.storedProfile("e") == credentials)

        let before = TestHome.read(home.vaultPath)
        let missing = await home.run(["update", "e", "--unset", "APP_MODE"])
        #expect(missing.exit == .usage)
        #expect(missing.stderr.contains("no extra variable APP_MODE"))
        let both = await home.run(["update", "e", "--stdin", "--unset", "NEW_ONE"], stdin: "NEW_ONE=1\n")
        #expect(both.exit == .usage)
        let malformed = await home.run(["update", "e", "--unset", "lower"])
        #expect(malformed.exit == .usage)
        #expect(TestHome.read(home.vaultPath) == before)

        // The last one removed takes the record with it.
        #expect(
            await home.run(["update", "e", "--unset", "STRIPE_API_KEY", "--unset", "TWILIO_PHONE_NUMBER"]).exit
                == .success)
        #expect(try !home.hasRecord("e", .variables))
        #expect(await home.run(["export", "e", "--format", "sh"]).stdout.hasSuffix("export TWVAULT_VARS=''\n"))
    }

    @Test func copyRenameAndReplaceCarryThem() async throws {
        let home = try await Self.home()
        let stored = try Self.storedVariables(home, "e")
        #expect(await home.run(["copy", "e", "c"]).exit == .success)
        #expect(try Self.storedVariables(home, "c") == stored)
        #expect(await home.run(["rename", "c", "r"]).exit == .success)
        #expect(try Self.storedVariables(home, "r") == stored)
        // add --force replaces everything: the old extra variables go unless given again.
        let replaced = await home.run(["add", "r", "--stdin", "--force"], stdin: Self.credentials + "ONLY_ONE=1\n")
        #expect(replaced.exit == .success, "\(replaced.stderr)")
        #expect(try Self.storedVariables(home, "r") == ["ONLY_ONE": "1"])
        #expect(await home.run(["remove", "r", "--yes"]).exit == .success)
        #expect(try !home.hasRecord("r", .variables))
    }

    @Test func aRecordNamingARefusedVariableIsSkippedWithOneWarning() async throws {
        let home = try await Self.home()
        // What a tampered file or another binary with other rules could hold.
        let planted = VariablesRecord([
            "PATH": "/tmp/evil", "LD_PRELOAD": "/tmp/evil.so", "bad name": "x", "TWILIO_AUTH_TOKEN": "other",
            "GOOD_ONE": "kept",
        ])
        try home.withVault { vault in
            try vault.write { try $0.put(planted, profile: "e", kind: .variables, now: 1_700_000_000) }
        }
        for format in ["sh", "json"] {
            let result = await home.run(["export", "e", "--format", format])
            #expect(result.exit == .success, "\(result.stderr)")
            #expect(!result.stdout.contains("/tmp/evil") && !result.stdout.contains("\"x\""))
            #expect(result.stdout.contains("kept"))
            #expect(result.stdout.contains(TestHome.authToken))
            let warnings = result.stderr.split(separator: "\n")
            #expect(warnings.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("LD_PRELOAD, PATH, TWILIO_AUTH_TOKEN, 1 malformed name"))
        }
        let sh = await home.run(["export", "e", "--format", "sh"])
        #expect(sh.stdout.contains("export TWVAULT_VARS='GOOD_ONE'\n"))
        let launcher = RecordingLauncher()
        let exec = await home.run(["exec", "e", "--", "env"], processes: launcher)
        #expect(exec.exit == .success)
        let environment = try #require(launcher.recorded.first).environment
        #expect(environment["PATH"] != "/tmp/evil" && environment["LD_PRELOAD"] == nil)
        #expect(environment["GOOD_ONE"] == "kept" && environment["TWILIO_AUTH_TOKEN"] == TestHome.authToken)
        #expect(exec.stderr.contains("skipped: LD_PRELOAD, PATH"))
        // The planted names can be removed.
        #expect(await home.run(["update", "e", "--unset", "PATH"]).exit == .success)
    }

    /// No migration: a vault of the first format (Tests/vault-fixtures) takes extra variables,
    /// exports them and still verifies.
    @Test func aVaultOfTheFirstFormatTakesThem() async throws {
        let home = try TestHome()
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("vault-fixtures/format1.db")
        mkdir(home.root + "/vault", 0o700)
        try TestHome.write(Array(try Data(contentsOf: fixture)), to: home.vaultPath)
        let passphrase = ["TWVAULT_PASSPHRASE": "teammate passphrase"]
        let updated = await home.run(
            ["update", "acme-prod", "--stdin"], stdin: "APP_MODE=from-format-1\n", env: passphrase)
        #expect(updated.exit == .success, "\(updated.stderr)")
        let exported = await home.run(["export", "acme-prod", "--format", "json"], env: passphrase)
        let object = try JSONSerialization.jsonObject(with: Data(exported.stdout.utf8)) as? [String: String]
        #expect(object?["APP_MODE"] == "from-format-1")
        #expect(object?["TWILIO_AUTH_TOKEN"] == "format1-auth-token")
        #expect(object?["TWVAULT_VARS"] == "APP_MODE")
        let verified = await home.run(["verify"], env: passphrase)
        #expect(verified.exit == .success, "\(verified.stdout)\(verified.stderr)")
    }
}
