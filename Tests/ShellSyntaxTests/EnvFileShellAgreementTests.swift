import Foundation
import Testing

@testable import ShellSyntax

/// Every input EnvFileParser accepts must mean the same to the shells, so a file that
/// works with `. file` works with `add --stdin` and the other way round.
@Suite("EnvFileParser agrees with real shells")
struct EnvFileShellAgreementTests {
    static let lines = [
        "V0=plain", "V1=b64+/==", "V2=x=y", "V3='x:'\"=\"ls", "V4='x'=ls", "V5=\"a b\"'c'\\''d'e", "V6=us1#frag",
        "V7=@%^,.:/-_", "V8=\"\\\\\\\"x\"", "V9=日本\u{1F511}", "export V10='x'  # comment", "V11=\"it's\"",
        "V12=a:b:c", "V13=x:'='ls", "V14=", "V15=''", "V16=\"\"", "V17=a\"\"b''c", "V24=''\\'''\\'''", "V18=\"#\"#",
        "V19=\"a\tb\"",
        "\tV20=x\t", "V21=\"'\\\\'\"", "V22=\\'\\'\\'", "V23=\"x\"\\'\"y\"",
    ]

    @Test("sourcing the accepted lines gives the parsed values", arguments: Shell.posixShells.map(\.name))
    func agreement(_ shellName: String) throws {
        let shell = try #require(Shell.posixShells.first { $0.name == shellName })
        let directory = try TemporaryDirectory()
        let text = Self.lines.joined(separator: "\n") + "\n"
        let parsed = try EnvFileParser.parse(text)
        try #require(parsed.count == Self.lines.count)
        let file = try directory.write("input.env", text)
        let references = parsed.map { "\"$\($0.name)\"" }.joined(separator: " ")
        let driver = try directory.write("driver.sh", ". '\(file)'\nprintf '%s\\0' \(references)\n")
        let result = try Shell.run(shell.path, shell.arguments + [driver], home: directory.path)
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        let fields = result.nulFields
        try #require(fields.count == parsed.count, "\(shell.name) printed \(fields.count) fields")
        for (index, assignment) in parsed.enumerated() {
            #expect(fields[index] == assignment.value, "\(shell.name): \(assignment.name) on line \(assignment.line)")
        }
    }
}
