import Foundation
import Testing

@testable import ShellSyntax

/// Evaluates rendered output in real shells and reads every value back byte for byte.
@Suite("Export output evaluated in real shells")
struct ShellRoundTripTests {
    /// Values beyond the corpus: newlines, which the vault refuses but quoting must survive.
    static let multiLineValues = [
        "a\nb", "\n", "trailing\n", "\nleading", "'\n'", "x\n$(touch CANARY)\n`touch CANARY`",
    ]

    /// Names of variables set before the script runs and unset by it.
    static let doomed = ["TWILIO_GONE_A", "TWILIO_GONE_B"]

    struct Case {
        var values: [String]
        var script: String
        /// One file per variable, so a quoting bug in one cannot hide behind a syntax error
        /// that aborts the whole `eval`: each is evaluated on its own.
        var separateScripts: [String]
        var canary: String
        var directory: TemporaryDirectory
    }

    /// Renders `values` as TWILIO_V0… plus unsets of `doomed`, into a temp file.
    static func makeCase(format: ExportFormat, extra: [String] = []) throws -> Case {
        let directory = try TemporaryDirectory()
        let canary = directory.path("canary")
        let values = (HostileCorpus.values + extra).map { $0.replacingOccurrences(of: "CANARY", with: canary) }
        var variables: [ExportRenderer.Variable] = values.enumerated().map { ("TWILIO_V\($0.offset)", $0.element) }
        variables.insert((doomed[0], nil), at: 3)
        variables.append((doomed[1], nil))
        let text = try ExportRenderer.render(variables, as: format)
        let script = try directory.write("script", text)
        var separateScripts: [String] = []
        for (index, variable) in variables.enumerated() {
            separateScripts.append(
                try directory.write("script\(index)", try ExportRenderer.render([variable], as: format)))
        }
        return Case(
            values: values, script: script, separateScripts: separateScripts, canary: canary, directory: directory)
    }

    static var doomedEnvironment: [String: String] {
        Dictionary(uniqueKeysWithValues: doomed.map { ($0, "previous-account-secret") })
    }

    /// Checks the printed fields: N shell values, a marker, then `env -0` entries.
    static func check(_ result: ShellResult, _ testCase: Case, shell: String) {
        #expect(result.status == 0, "\(shell) exited \(result.status): \(result.stderr)")
        #expect(result.stderr.isEmpty, "\(shell) wrote to stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: testCase.canary), "\(shell) executed a value")

        let fields = result.nulFields
        let count = testCase.values.count
        guard fields.count > count, fields[count] == bytes("--env--") else {
            Issue.record("\(shell) printed \(fields.count) fields, expected at least \(count + 1)")
            return
        }
        for (index, value) in testCase.values.enumerated() where fields[index] != bytes(value) {
            Issue.record(
                "\(shell): TWILIO_V\(index) differs: expected \(bytes(value).prefix(64)), got \(fields[index].prefix(64))"
            )
        }
        // The environment a child sees: every value exported exactly, the doomed ones gone.
        var environment: [String: [UInt8]] = [:]
        for entry in fields[(count + 1)...] {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            environment[String(decoding: entry[..<equals], as: UTF8.self)] = Array(entry[(equals + 1)...])
        }
        for (index, value) in testCase.values.enumerated() where environment["TWILIO_V\(index)"] != bytes(value) {
            Issue.record("\(shell): exported TWILIO_V\(index) differs or is missing")
        }
        for name in doomed {
            #expect(environment[name] == nil, "\(shell) left \(name) in the environment")
        }
    }

    @Test(
        "sh format: bash, dash and zsh reproduce every corpus value and run nothing",
        arguments: Shell.posixShells.map(\.name), [true, false])
    func posixShell(_ shellName: String, separately: Bool) throws {
        let shell = try #require(Shell.posixShells.first { $0.name == shellName })
        let testCase = try Self.makeCase(format: .sh, extra: Self.multiLineValues)
        let references = testCase.values.indices.map { "\"$TWILIO_V\($0)\"" }.joined(separator: " ")
        let unsetChecks = Self.doomed.map { "if [ -n \"${\($0)+set}\" ]; then echo \"\($0) still set\" >&2; fi" }
        let load =
            separately
            ? testCase.separateScripts.map { "eval \"$(cat '\($0)')\" || echo 'eval failed' >&2" }.joined(
                separator: "\n")
            : "eval \"$(cat '\(testCase.script)')\" || exit 3"
        let driver = """
            \(load)
            \(unsetChecks.joined(separator: "\n"))
            printf '%s\\0' \(references)
            printf '%s\\0' --env--
            exec /usr/bin/env -0
            """
        let driverPath = try testCase.directory.write("driver.sh", driver)
        let result = try Shell.run(
            shell.path, shell.arguments + [driverPath], environment: Self.doomedEnvironment,
            home: testCase.directory.path)
        Self.check(result, testCase, shell: shell.name)
    }

    @Test(
        "fish format: fish reproduces every corpus value and runs nothing", arguments: ["source", "eval", "separately"])
    func fish(_ loader: String) throws {
        let testCase = try Self.makeCase(format: .fish, extra: Self.multiLineValues)
        let references = testCase.values.indices.map { "\"$TWILIO_V\($0)\"" }.joined(separator: " ")
        let load =
            switch loader {
            case "source": "source '\(testCase.script)'; or exit 3"
            case "eval": "eval (cat '\(testCase.script)' | string collect); or exit 3"
            default:
                testCase.separateScripts.map { "source '\($0)'; or echo 'source failed' >&2" }.joined(separator: "\n")
            }
        let unsetChecks = Self.doomed.map { "set -q \($0); and echo '\($0) still set' >&2" }
        let driver = """
            \(load)
            \(unsetChecks.joined(separator: "\n"))
            printf '%s\\0' \(references)
            printf '%s\\0' --env--
            exec /usr/bin/env -0
            """
        let driverPath = try testCase.directory.write("driver.fish", driver)
        let result = try Shell.run(
            Shell.fish, ["--no-config", driverPath], environment: Self.doomedEnvironment, home: testCase.directory.path)
        Self.check(result, testCase, shell: "fish (\(loader))")
    }
}
