import Foundation
import Testing

/// Extra variables through the built binary in real shells: every awkward value the vault
/// accepts comes back byte for byte, nothing in them runs, and switching to a profile without
/// them (bare `eval`, `use`) unsets them while leaving refused names alone.
@Suite struct ExtraVariablesShellTests {
    /// The shared hostile corpus (Tests/ShellSyntaxTests/Fixtures), restricted to values the
    /// vault takes as secrets: non-empty, at most 8 KiB, no NUL, CR or LF.
    static func corpus(canary: String) throws -> [String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("ShellSyntaxTests/Fixtures/hostile-values.json")
        let values = try JSONDecoder().decode([String].self, from: Data(contentsOf: url))
        return values.map { $0.replacingOccurrences(of: "CANARY", with: canary) }.filter { value in
            !value.isEmpty && value.utf8.count <= 8192 && !value.utf8.contains { $0 == 0 || $0 == 10 || $0 == 13 }
        }
    }

    /// `NAME='value'` as `add --stdin` reads it, a quote written as '\''.
    static func line(_ name: String, _ value: String) -> String {
        "\(name)='" + value.replacingOccurrences(of: "'", with: "'\\''") + "'\n"
    }

    static let shells: [(name: String, command: [String])] = [
        ("bash", ["/bin/bash", "-c"]), ("dash", ["/bin/dash", "-c"]), ("zsh", ["/usr/bin/zsh", "-f", "-c"]),
        ("fish", ["/usr/bin/fish", "--no-config", "-c"]),
    ]

    static func run(_ fixture: ShellFixture, _ shell: String, _ script: String) throws -> Harness.Result {
        let command = try #require(shells.first { $0.name == shell }).command
        return try Harness.execute(
            "/usr/bin/setsid", ["-w"] + command + [script], environment: fixture.environment)
    }

    @Test(arguments: shells.map(\.name)) func everyValueRoundTrips(shell: String) throws {
        let fixture = try ShellFixture()
        let canary = fixture.harness.root.path + "/canary"
        let values = try Self.corpus(canary: canary)
        #expect(values.count > 100)
        let names = values.indices.map { "EXTRA_V\($0)" }
        try fixture.add(
            "extras",
            "TWILIO_ACCOUNT_SID=\(ShellFixture.betaSID)\nTWILIO_AUTH_TOKEN=\(Harness.authToken)\n"
                + zip(names, values).map { Self.line($0, $1) }.joined())
        let references = names.map { "\"$\($0)\"" }.joined(separator: " ")
        let load =
            shell == "fish"
            ? "twvault export extras --format fish | source; or exit 3"
            : "eval \"$(twvault export extras)\" || exit 3"
        let script = """
            \(load)
            printf '%s\\0' \(references)
            printf '%s\\0' --env--
            exec /usr/bin/env -0

            """
        let result = try Self.run(fixture, shell, script)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: canary), "\(shell) ran part of a value")
        var fields = result.stdoutData.split(separator: 0, omittingEmptySubsequences: false).map { Array($0) }
        if fields.last == [] { fields.removeLast() }
        try #require(fields.count > values.count && fields[values.count] == Array("--env--".utf8))
        for (index, value) in values.enumerated() where fields[index] != Array(value.utf8) {
            Issue.record("\(shell): \(names[index]) differs")
        }
        var environment: [String: [UInt8]] = [:]
        for entry in fields[(values.count + 1)...] {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            environment[String(decoding: entry[..<equals], as: UTF8.self)] = Array(entry[(equals + 1)...])
        }
        for (name, value) in zip(names, values) where environment[name] != Array(value.utf8) {
            Issue.record("\(shell): \(name) is not exported as it is")
        }
        #expect(
            environment["TWVAULT_VARS"].map { String(decoding: $0, as: UTF8.self) }
                == names.sorted().joined(separator: " "))
    }

    /// A profile with extra variables, then one without: by bare export, and by `use`.
    @Test(arguments: shells.map(\.name)) func switchingUnsetsThePreviousExtraVariables(shell: String) throws {
        let fixture = try ShellFixture()
        try fixture.add(
            "extras",
            "TWILIO_ACCOUNT_SID=\(ShellFixture.betaSID)\nTWILIO_AUTH_TOKEN=\(Harness.authToken)\nFOO_ONE=1\nFOO_TWO='two words'\n"
        )
        let fish = shell == "fish"
        // A planted refused name in the list must survive every switch.
        let plant = fish ? "set -gx TWVAULT_VARS \"$TWVAULT_VARS HOME\"" : "TWVAULT_VARS=\"$TWVAULT_VARS HOME\""
        let report =
            fish
            ? "function report; printf '%s:' $argv[1]; set -q FOO_ONE; and printf one; set -q FOO_TWO; and printf two; test -n \"$HOME\"; and printf home; printf '|%s\\n' \"$TWVAULT_VARS\"; end"
            : "report() { printf '%s:%s%s%s|%s\\n' \"$1\" \"${FOO_ONE+one}\" \"${FOO_TWO+two}\" \"${HOME:+home}\" \"${TWVAULT_VARS-}\"; }"
        let export = { (profile: String) in
            fish ? "twvault export \(profile) --format fish | source" : "eval \"$(twvault export \(profile))\""
        }
        var script = """
            \(report)
            \(export("extras")); report extras
            \(plant)
            \(export("beta")); report beta
            \(export("extras")); \(plant)
            \(export("typo") + " 2>/dev/null"); report typo

            """
        if shell != "dash" {
            script +=
                (fish ? IntegrationShellKind.fish.loadLine : "eval \"$(twvault shell-init \(shell))\"") + "\n"
                    + """
                    twvault use extras; report use-extras
                    \(plant)
                    twvault use beta; report use-beta
                    twvault use extras; twvault use typo 2>/dev/null; report use-typo
                    twvault use extras; \(plant); twvault use --off; report off

                    """
        }
        let result = try Self.run(fixture, shell, script)
        #expect(result.status == 0, "\(result.stderr)")
        var expected = """
            extras:onetwohome|FOO_ONE FOO_TWO
            beta:home|
            typo:home|

            """
        if shell != "dash" {
            expected += """
                use-extras:onetwohome|FOO_ONE FOO_TWO
                use-beta:home|
                use-typo:home|
                off:home|

                """
        }
        #expect(result.stdout == expected, "\(result.stderr)")
    }
}
