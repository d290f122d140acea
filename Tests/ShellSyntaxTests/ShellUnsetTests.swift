import Foundation
import Testing

@testable import ShellSyntax

/// The absent-variable lines must remove an inherited variable and be silent and
/// successful when the variable is not set at all.
@Suite("Unset lines in real shells")
struct ShellUnsetTests {
    @Test(
        "sh unset removes an exported variable and is silent when it is not set",
        arguments: Shell.posixShells.map(\.name))
    func posix(_ shellName: String) throws {
        let shell = try #require(Shell.posixShells.first { $0.name == shellName })
        let directory = try TemporaryDirectory()
        let script = try directory.write(
            "script", try ExportRenderer.render([("TWILIO_SET", nil), ("TWILIO_NEVER", nil)], as: .sh))
        let driver = try directory.write(
            "driver.sh",
            """
            export TWILIO_LOCAL=old
            eval "$(cat '\(script)')$(printf '\\nunset TWILIO_LOCAL')" || exit 3
            printf '[%s]' "${TWILIO_SET+set}" "${TWILIO_NEVER+set}" "${TWILIO_LOCAL+set}"
            /usr/bin/env | grep -c '^TWILIO_' || true
            """)
        let result = try Shell.run(
            shell.path, shell.arguments + [driver], environment: ["TWILIO_SET": "old"], home: directory.path)
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        #expect(String(decoding: result.stdout, as: UTF8.self) == "[][][]0\n")
    }

    @Test("fish set -e removes an exported variable and is silent and successful when it is not set")
    func fish() throws {
        let directory = try TemporaryDirectory()
        let script = try directory.write(
            "script.fish", try ExportRenderer.render([("TWILIO_SET", nil), ("TWILIO_NEVER", nil)], as: .fish))
        let driver = try directory.write(
            "driver.fish",
            """
            set -gx TWILIO_LOCAL old
            source '\(script)'
            echo "status $status"
            eval (printf 'set -e TWILIO_LOCAL 2>/dev/null; or true\\nset -e TWILIO_NEVER 2>/dev/null; or true' | string collect)
            echo "status $status"
            set -q TWILIO_SET; and echo 'TWILIO_SET still set'
            set -q TWILIO_LOCAL; and echo 'TWILIO_LOCAL still set'
            /usr/bin/env | grep -c '^TWILIO_'; or true
            """)
        let result = try Shell.run(
            Shell.fish, ["--no-config", driver], environment: ["TWILIO_SET": "old"], home: directory.path)
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        #expect(String(decoding: result.stdout, as: UTF8.self) == "status 0\nstatus 0\n0\n")
    }
}
