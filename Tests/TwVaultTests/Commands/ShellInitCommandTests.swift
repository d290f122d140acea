import Foundation
import Testing
import TwVaultTestSupport
import VaultOperations

@testable import TwVault

/// `shell-init`, `completion` and `use`, in process. The shells themselves run the code in
/// `Shell/ShellIntegrationTests.swift`.
@Suite struct ShellInitCommandTests {
    static let shells = ["bash", "zsh", "fish"]

    @Test(arguments: shells) func shellInitDefinesTheFunctionsAndCompletion(shell: String) async throws {
        let home = try TestHome()
        let result = await home.run(["shell-init", shell])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let defined = Self.definedFunctions(result.stdout, shell: shell)
        #expect(defined.contains("twvault"))
        #expect(defined.contains("twvault_prompt"))
        #expect(defined.contains("_twvault__use"))
        for name in defined {
            #expect(name == "twvault" || name == "twvault_prompt" || name.hasPrefix("_twvault"), "\(name)")
        }
        // One definition per name: a completion helper must not replace one of the functions.
        #expect(Set(defined).count == defined.count, "\(defined)")
    }

    @Test(arguments: shells) func completionNamesOnlyTwvaultFunctions(shell: String) async throws {
        let home = try TestHome()
        let result = await home.run(["completion", shell])
        #expect(result.exit == .success, "\(result.stderr)")
        let defined = Self.definedFunctions(result.stdout, shell: shell)
        #expect(!defined.isEmpty)
        for name in defined { #expect(name.hasPrefix("_twvault"), "\(name)") }
        #expect(!result.stdout.contains("__twvault"))
        // Every command that takes a profile asks the binary for the names.
        for command in ["export", "exec", "token", "show", "remove", "rename", "rotate", "login", "use"] {
            #expect(result.stdout.contains("---completion \(command) -- positional@0"), "\(command)")
        }
    }

    @Test func bashFunctionNamesAreValidInPosixMode() async throws {
        let home = try TestHome()
        let script = await home.run(["completion", "bash"]).stdout
        let names = Self.definedFunctions(script, shell: "bash")
        #expect(names.contains("_twvault_shell_init"))
        for name in names { #expect(!name.contains("-"), "\(name)") }
        #expect(script.contains("\"_twvault_${subcommand//-/_}\""))
    }

    @Test func theZshFileForFpathStaysAnAutoloadableFunction() async throws {
        let home = try TestHome()
        let file = await home.run(["completion", "zsh"]).stdout
        #expect(file.hasPrefix("#compdef twvault\n"))
        #expect(file.contains(CompletionScript.zshRegistration))
        let embedded = await home.run(["shell-init", "zsh"]).stdout
        #expect(!embedded.contains(CompletionScript.zshRegistration))
        #expect(embedded.contains("if (( ${+functions[compdef]} )); then\n    compdef _twvault twvault\nfi\n"))
    }

    @Test func anUnknownShellIsOneUsageLine() async throws {
        let home = try TestHome()
        for command in ["shell-init", "completion"] {
            let result = await home.run([command, "powershell"])
            #expect(result.exit == .usage)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.hasPrefix("twvault: ") && result.stderr.filter { $0 == "\n" }.count == 1)
        }
    }

    @Test func useRunDirectlySaysHowToLoadTheFunction() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let before = try TestHomeFiles.snapshot(home.vaultPath)
        let result = await home.run(["use", "p"], env: ["SHELL": "/usr/bin/fish"])
        #expect(result.exit == .usage)
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr
                == "twvault: use changes this shell's variables, so it runs in the twvault shell function: load it with twvault shell-init fish | source\n"
        )
        #expect(try TestHomeFiles.snapshot(home.vaultPath) == before)
    }

    @Test func useOffWithAProfileIsAUsageError() async throws {
        let home = try TestHome()
        let result = await home.run(["use", "p", "--off"])
        #expect(result.exit == .usage)
        #expect(result.stderr.contains("--off takes no profile"))
    }

    @Test func theVaultTypedOnTheLineIsTheOneCompleted() {
        let env: (String) -> String? = { ["HOME": "/h", "TEAM": "/t/team.db"][$0] }
        func vault(_ words: [String]) -> String? { ProfileCompletion.vaultOption(in: words, env: env) }
        #expect(vault(["twvault", "--vault", "/v/a.db", "export", ""]) == "/v/a.db")
        #expect(vault(["twvault", "export", "--vault=~/b.db", "x"]) == "/h/b.db")
        #expect(vault(["twvault", "--vault", "'/v w/c.db'", "use", ""]) == "/v w/c.db")
        #expect(vault(["twvault", "--vault", "'$TEAM'", "use", ""]) == "$TEAM")
        #expect(vault(["twvault", "--vault", "\"$TEAM\"", "use", ""]) == "/t/team.db")
        #expect(vault(["twvault", "--vault", "${TEAM}.old", "use", ""]) == "/t/team.db.old")
        #expect(vault(["twvault", "--vault", "$HOME/$NOPE/x$", "use", ""]) == "/h//x$")
        #expect(vault(["twvault", "export", "a"]) == nil)
        #expect(vault(["twvault", "export", "--vault"]) == nil)
    }

    @Test func execCompletesAProfileOnlyAsItsFirstOperand() {
        let first = ProfileCompletion.isFirstOperand
        #expect(first(2, "exec", ["twvault", "exec", "ac"]))
        #expect(first(3, "exec", ["twvault", "exec", "--no-token", ""]))
        #expect(first(4, "exec", ["twvault", "exec", "--vault", "/v.db", ""]))
        #expect(!first(3, "exec", ["twvault", "exec", "acme", ""]))
        #expect(!first(3, "exec", ["twvault", "exec", "--", ""]))
        #expect(!first(2, "exec", ["twvault", "exec", "--no"]))
        #expect(!first(1, "exec", ["twvault", "exec"]))
    }

    /// Names of the functions a script defines: `name() {` in bash and zsh, `function name` in fish.
    static func definedFunctions(_ script: String, shell: String) -> [String] {
        script.split(separator: "\n").compactMap { line -> String? in
            if shell == "fish" {
                guard line.hasPrefix("function ") else { return nil }
                return line.dropFirst("function ".count).split(separator: " ").first.map(String.init)
            }
            guard line.hasSuffix("() {"), !line.hasPrefix(" ") else { return nil }
            return String(line.dropLast("() {".count))
        }
    }
}

/// The bytes of a vault file and its log, to show a command changed nothing.
enum TestHomeFiles {
    static func snapshot(_ path: String) throws -> [Data?] {
        [path, path + "-wal"].map { FileManager.default.contents(atPath: $0) }
    }
}
