import Foundation
import Testing

@testable import ShellSyntax

@Suite("ExportRenderer text")
struct ExportRendererTests {
    @Test("every format has its documented raw value")
    func rawValues() {
        #expect(ExportFormat.allCases.map(\.rawValue) == ["sh", "fish", "powershell", "dotenv", "json"])
        #expect(ExportFormat(rawValue: "fish") == .fish)
    }

    @Test("sh: assignments, quote escaping and unset lines")
    func sh() throws {
        let text = try ExportRenderer.render(
            [("TWILIO_A", "plain"), ("TWILIO_B", "it's"), ("TWILIO_C", nil), ("TWILIO_D", "")], as: .sh)
        #expect(text == "export TWILIO_A='plain'\nexport TWILIO_B='it'\\''s'\nunset TWILIO_C\nexport TWILIO_D=''\n")
    }

    @Test("fish: backslash and quote escaped, unset silenced")
    func fish() throws {
        let text = try ExportRenderer.render([("TWILIO_A", #"a\b'c"#), ("TWILIO_B", nil)], as: .fish)
        #expect(text == "set -gx TWILIO_A 'a\\\\b\\'c'\nset -e TWILIO_B 2>/dev/null; or true\n")
    }

    @Test("powershell: every quote character doubled, absent removed")
    func powershell() throws {
        let text = try ExportRenderer.render(
            [("TWILIO_A", "it's \u{2018}x\u{2019} \u{201A}\u{201B}"), ("TWILIO_B", nil)], as: .powershell)
        #expect(
            text == "$env:TWILIO_A = 'it''s \u{2018}\u{2018}x\u{2019}\u{2019} \u{201A}\u{201A}\u{201B}\u{201B}'\n"
                + "Remove-Item Env:TWILIO_B -ErrorAction SilentlyContinue\n")
    }

    /// Reads back a PowerShell single-quoted literal: a quote character followed by a quote
    /// character is one literal character; a quote followed by anything else ends it.
    static func powershellLiteral(_ line: Substring) -> [Unicode.Scalar]? {
        var scalars = Array(line.unicodeScalars)
        guard scalars.first == "'" else { return nil }
        scalars.removeFirst()
        var value: [Unicode.Scalar] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if ShellQuoting.isPowerShellQuote(scalar) {
                if index + 1 < scalars.count, ShellQuoting.isPowerShellQuote(scalars[index + 1]) {
                    value.append(scalars[index + 1])
                    index += 2
                    continue
                }
                return index == scalars.count - 1 ? value : nil // must end the line
            }
            value.append(scalar)
            index += 1
        }
        return nil
    }

    @Test("powershell: every corpus value is one literal that decodes back exactly")
    func powershellCorpus() throws {
        let values = HostileCorpus.values
        let text = try ExportRenderer.render(
            values.enumerated().map { ("TWILIO_V\($0.offset)", $0.element) }, as: .powershell)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        try #require(lines.count == values.count)
        for (index, line) in lines.enumerated() {
            let prefix = "$env:TWILIO_V\(index) = "
            try #require(line.hasPrefix(prefix))
            let decoded = Self.powershellLiteral(line.dropFirst(prefix.count))
            #expect(decoded == Array(values[index].unicodeScalars), "TWILIO_V\(index)")
        }
    }

    @Test("dotenv: plain values quoted, absent omitted")
    func dotenv() throws {
        let text = try ExportRenderer.render(
            [("TWILIO_A", "a b $HOME #x \"q\" \u{1F511}\tz"), ("TWILIO_B", nil), ("TWILIO_C", "c")], as: .dotenv)
        #expect(text == "TWILIO_A='a b $HOME #x \"q\" \u{1F511}\tz'\nTWILIO_C='c'\n")
    }

    @Test(
        "dotenv refuses what it cannot represent, naming the variable and never the value",
        arguments: [
            ("it's", ExportError.Reason.singleQuote), ("a\\b", .backslash), ("a\nb", .lineBreak), ("a\rb", .lineBreak),
            ("a\u{2028}b", .lineBreak), ("a\u{2029}", .lineBreak), ("\u{85}", .lineBreak), ("a\u{0}b", .nul),
            ("\u{1B}[31m", .controlCharacter), ("\u{7F}", .controlCharacter), ("\u{9B}", .controlCharacter),
            ("\u{7}", .controlCharacter),
        ])
    func dotenvRefusal(_ value: String, _ reason: ExportError.Reason) {
        #expect(throws: ExportError(variable: "TWILIO_AUTH_TOKEN", format: .dotenv, reason: reason)) {
            _ = try ExportRenderer.render([("TWILIO_ACCOUNT_SID", "AC1"), ("TWILIO_AUTH_TOKEN", value)], as: .dotenv)
        }
        let message = ExportError(variable: "TWILIO_AUTH_TOKEN", format: .dotenv, reason: reason).description
        #expect(message.contains("TWILIO_AUTH_TOKEN"))
        #expect(!message.contains(value))
    }

    @Test("dotenv accepts exactly the corpus values without quote, backslash or controls")
    func dotenvCorpus() throws {
        var accepted = 0
        for value in HostileCorpus.values {
            let forbidden = value.unicodeScalars.contains { scalar in
                scalar == "'" || scalar == "\\" || scalar.value == 0x2028 || scalar.value == 0x2029
                    || (scalar.properties.generalCategory == .control && scalar != "\t")
            }
            #expect((ExportRenderer.dotenvRefusal(value) != nil) == forbidden, "\(value.unicodeScalars.map(\.value))")
            if !forbidden { accepted += 1 }
        }
        #expect(accepted > 100)
    }

    @Test(
        "the shell formats refuse NUL, which no environment can hold", arguments: [ExportFormat.sh, .fish, .powershell])
    func nul(_ format: ExportFormat) {
        #expect(throws: ExportError(variable: "TWILIO_X", format: format, reason: .nul)) {
            _ = try ExportRenderer.render([("TWILIO_X", "a\u{0}b")], as: format)
        }
    }

    @Test("json: present variables in the given order, parsing back to the same strings")
    func jsonCorpus() throws {
        let values = HostileCorpus.values + ["a\nb", "\u{0}", "\u{1F}\u{8}\u{C}\r\t"]
        var variables: [ExportRenderer.Variable] = values.enumerated().map { ("TWILIO_V\($0.offset)", $0.element) }
        variables.insert(("TWILIO_ABSENT", nil), at: 5)
        let text = try ExportRenderer.render(variables, as: .json)
        #expect(text.hasSuffix("}\n"))
        #expect(!text.dropLast().contains("\n"))
        #expect(text.unicodeScalars.allSatisfy { $0.value >= 0x20 || $0 == "\n" })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
        #expect(object.count == values.count)
        #expect(object["TWILIO_ABSENT"] == nil)
        for (index, value) in values.enumerated() {
            #expect(object["TWILIO_V\(index)"].map(bytes) == bytes(value), "TWILIO_V\(index)")
        }
        // Key order as given.
        var lastPosition = text.startIndex
        for index in values.indices {
            let range = try #require(text.range(of: "\"TWILIO_V\(index)\":"))
            #expect(range.lowerBound >= lastPosition)
            lastPosition = range.lowerBound
        }
    }

    @Test("json keeps non-ASCII as UTF-8 and escapes controls")
    func jsonEscapes() throws {
        let text = try ExportRenderer.render([("A", "é\u{1F511}\"\\\u{1}\u{2028}")], as: .json)
        #expect(text == "{\"A\":\"é\u{1F511}\\\"\\\\\\u0001\\u2028\"}\n")
        #expect(try ExportRenderer.render([("A", nil)], as: .json) == "{}\n")
    }

    @Test("variable names are checked")
    func names() {
        #expect(ExportRenderer.isValidName("TWILIO_AUTH_TOKEN"))
        #expect(ExportRenderer.isValidName("_X1"))
        for bad in ["", "1A", "a", "A-B", "A B", "Ä", "A;B", "$A"] {
            #expect(!ExportRenderer.isValidName(bad), "\(bad)")
        }
    }
}
