import Foundation
import Testing

/// Runs the README's shell-integration recipes (`<!-- tested: NAME -->` blocks) in the shells
/// they are written for, against a vault with the profiles they name.
@Suite struct ShellReadmeTests {
    /// The fenced block after `<!-- tested: name -->`.
    static func block(_ name: String) throws -> String {
        var directory = URL(fileURLWithPath: #filePath)
        var readme: String?
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            let candidate = directory.appendingPathComponent("README.md").path
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                readme = try String(contentsOfFile: candidate, encoding: .utf8)
                break
            }
        }
        let lines = try #require(readme).components(separatedBy: "\n")
        let marker = try #require(
            lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "<!-- tested: \(name) -->" })
        try #require(lines[marker + 1].hasPrefix("```"))
        let body = lines[(marker + 2)...].prefix { !$0.hasPrefix("```") }
        return body.joined(separator: "\n") + "\n"
    }

    @Test func shellInitRecipe() throws {
        let fixture = try ShellFixture()
        let recipe = try Self.block("shell-init")
        #expect(recipe.contains("twvault use acme-prod"))
        let check = """
            for name in TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_API_KEY TWILIO_API_SECRET TWVAULT_PROFILE TWVAULT_SESSION; do
                eval "[ -z \\"\\${$name+x}\\" ]" || echo "left set: $name"
            done

            """
        let result = try fixture.run(.bash, "set -e\n" + recipe + check)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "none set\n", "\(result.stdout)")
        #expect(result.stderr.contains("twvault: "))
        #expect(result.stderr.contains("ended 1 unlock"))
    }

    @Test func bashPromptRecipe() throws {
        let fixture = try ShellFixture()
        let script =
            IntegrationShellKind.bash.loadLine + "\n" + (try Self.block("prompt-bash"))
                + """
                printf '%s|' "${PS1@P}"
                twvault use acme-prod
                printf '%s|' "${PS1@P}"

                """
        let result = try fixture.run(.bash, script)
        #expect(result.status == 0, "\(result.stderr)")
        let sign = getuid() == 0 ? "#" : "$"
        #expect(result.stdout == "\(sign) |(acme-prod) \(sign) |")
    }

    @Test func zshPromptRecipe() throws {
        let fixture = try ShellFixture()
        let script =
            IntegrationShellKind.zsh.loadLine + "\n" + (try Self.block("prompt-zsh"))
                + """
                print -rn -- "${(%%)PROMPT}|"
                twvault use acme-prod
                print -rn -- "${(%%)PROMPT}|"

                """
        let result = try fixture.run(.zsh, script)
        #expect(result.status == 0, "\(result.stderr)")
        let sign = getuid() == 0 ? "#" : "%"
        #expect(result.stdout == "\(sign) |(acme-prod) \(sign) |")
    }

    @Test func fishPromptRecipe() throws {
        let fixture = try ShellFixture()
        let script =
            IntegrationShellKind.fish.loadLine + "\n" + (try Self.block("prompt-fish"))
                + """
                fish_right_prompt; echo '|'
                twvault use acme-prod
                fish_right_prompt; echo '|'

                """
        let result = try fixture.run(.fish, script)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "|\n(acme-prod)|\n")
    }

    /// direnv itself: `direnv allow`, then `direnv exec` runs a command with what `.envrc` set.
    @Test func direnvRecipe() throws {
        let fixture = try ShellFixture()
        let project = fixture.harness.root.path + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try fixture.harness.write(try Self.block("direnv"), to: project + "/.envrc")
        var env = fixture.environment
        env["XDG_DATA_HOME"] = fixture.harness.root.path + "/data"
        env["XDG_CONFIG_HOME"] = fixture.harness.root.path + "/config"
        let allow = try Harness.execute("/usr/bin/direnv", ["allow", project], environment: env)
        #expect(allow.status == 0, "\(allow.stderr)")
        let result = try Harness.execute(
            "/usr/bin/direnv",
            [
                "exec", project, "/bin/sh", "-c",
                "echo \"$TWVAULT_PROFILE $TWILIO_ACCOUNT_SID ${TWILIO_AUTH_TOKEN:+token}\"",
            ],
            environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "acme-prod \(ShellFixture.prodSID) token\n")
    }
}
