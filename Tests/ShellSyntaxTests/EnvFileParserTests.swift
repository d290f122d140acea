import Foundation
import Testing

@testable import ShellSyntax

@Suite("EnvFileParser")
struct EnvFileParserTests {
    static func values(_ text: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for assignment in try EnvFileParser.parse(text) { result[assignment.name] = assignment.stringValue }
        return result
    }

    @Test("sh output of every corpus value parses back exactly")
    func shRoundTrip() throws {
        for (index, value) in HostileCorpus.values.enumerated() {
            let text = try ExportRenderer.render([("TWILIO_V", value), ("TWILIO_GONE", nil)], as: .sh)
            let parsed = try EnvFileParser.parse(text)
            try #require(parsed.count == 1, "value \(index)")
            #expect(parsed[0].name == "TWILIO_V")
            #expect(parsed[0].value == bytes(value), "value \(index)")
        }
    }

    @Test("dotenv output of every value it accepts parses back exactly")
    func dotenvRoundTrip() throws {
        var checked = 0
        for (index, value) in HostileCorpus.values.enumerated() where ExportRenderer.dotenvRefusal(value) == nil {
            let parsed = try EnvFileParser.parse(try ExportRenderer.render([("TWILIO_V", value)], as: .dotenv))
            #expect(parsed.map(\.value) == [bytes(value)], "value \(index)")
            checked += 1
        }
        #expect(checked > 100)
    }

    @Test("a whole sh export, in order, with line numbers")
    func wholeExport() throws {
        let values = HostileCorpus.values
        let text = try ExportRenderer.render(values.enumerated().map { ("TWILIO_V\($0.offset)", $0.element) }, as: .sh)
        let parsed = try EnvFileParser.parse(text)
        #expect(parsed.map(\.name) == values.indices.map { "TWILIO_V\($0)" })
        #expect(parsed.map(\.value) == values.map(bytes))
        #expect(parsed.map(\.line) == Array(1...values.count))
    }

    @Test("comments, blank lines, export, unset, CRLF, bare and double-quoted values")
    func accepted() throws {
        let text = """
              # a comment
            \r
            export TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef\r
            TWILIO_AUTH_TOKEN='s3cr3t value'   # trailing comment
            \tTWILIO_API_KEY=SK0123
            TWILIO_API_SECRET="a \\"quoted\\" \\\\ value with ' and #"
            TWILIO_REGION=us1#not-a-comment
            TWILIO_EDGE='a'\\''b'c"d"
            TWILIO_CLIENT_SECRET=b64+/==
            TWILIO_CLIENT_ID=
            TWILIO_URL=https://example.com:8443/path?x
            unset TWILIO_ACCESS_TOKEN TWILIO_OTHER
            lower_case=ok
            """
        // `?` is not bare; this line must fail. Check the rest without it first.
        let withoutURL = text.replacingOccurrences(of: "TWILIO_URL=https://example.com:8443/path?x\n", with: "")
        let parsed = try EnvFileParser.parse(withoutURL)
        #expect(
            parsed.map(\.name) == [
                "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_REGION",
                "TWILIO_EDGE", "TWILIO_CLIENT_SECRET", "TWILIO_CLIENT_ID", "lower_case",
            ])
        #expect(
            parsed.map(\.stringValue) == [
                "AC0123456789abcdef0123456789abcdef", "s3cr3t value", "SK0123", "a \"quoted\" \\ value with ' and #",
                "us1#not-a-comment", "a'bcd", "b64+/==", "", "ok",
            ])
        #expect(parsed.map(\.line) == [3, 4, 5, 6, 7, 8, 9, 10, 12])
        #expect(throws: EnvFileError(line: 11, variable: "TWILIO_URL", problem: .unquotedSpecialCharacter)) {
            _ = try EnvFileParser.parse(text)
        }
        #expect(try EnvFileParser.parse("").isEmpty)
        #expect(try EnvFileParser.parse("\n\n").isEmpty)
        #expect(try Self.values("A=1") == ["A": "1"])
        #expect(try Self.values("A='x\ty'\r\n") == ["A": "x\ty"])
        // Only one CR is stripped: a second one is text after the value.
        #expect(throws: EnvFileError(line: 1, variable: "A", problem: .unquotedSpecialCharacter)) {
            _ = try EnvFileParser.parse("A='x'\r\r\n")
        }
    }

    @Test(
        "errors carry the line number and the name, never the value",
        arguments: [
            ("A=1\nTWILIO_AUTH_TOKEN='s3cret", 2, "TWILIO_AUTH_TOKEN", EnvFileError.Problem.unterminatedQuote),
            ("TWILIO_AUTH_TOKEN=\"s3cret", 1, "TWILIO_AUTH_TOKEN", .unterminatedQuote),
            ("TWILIO_AUTH_TOKEN=s3cret value", 1, "TWILIO_AUTH_TOKEN", .trailingText),
            ("TWILIO_AUTH_TOKEN=s3cret;rm", 1, "TWILIO_AUTH_TOKEN", .unquotedSpecialCharacter),
            ("TWILIO_AUTH_TOKEN=s3cret$x", 1, "TWILIO_AUTH_TOKEN", .unquotedSpecialCharacter),
            ("TWILIO_AUTH_TOKEN=~s3cret", 1, "TWILIO_AUTH_TOKEN", .unquotedSpecialCharacter),
            ("TWILIO_AUTH_TOKEN==s3cret", 1, "TWILIO_AUTH_TOKEN", .unquotedSpecialCharacter),
            ("TWILIO_AUTH_TOKEN=s3:=cret", 1, "TWILIO_AUTH_TOKEN", .unquotedSpecialCharacter),
            ("TWILIO_AUTH_TOKEN=s3cret\\n", 1, "TWILIO_AUTH_TOKEN", .unsupportedEscape),
            ("TWILIO_AUTH_TOKEN=s3cret\\", 1, "TWILIO_AUTH_TOKEN", .unsupportedEscape),
            ("TWILIO_AUTH_TOKEN=\"s3cret\\n\"", 1, "TWILIO_AUTH_TOKEN", .unsupportedEscape),
            ("TWILIO_AUTH_TOKEN=\"s3cret$HOME\"", 1, "TWILIO_AUTH_TOKEN", .expansionInDoubleQuotes),
            ("TWILIO_AUTH_TOKEN=\"s3cret`x`\"", 1, "TWILIO_AUTH_TOKEN", .expansionInDoubleQuotes),
            ("TWILIO_AUTH_TOKEN=s3cret\u{1}", 1, "TWILIO_AUTH_TOKEN", .unquotedSpecialCharacter),
            ("A=1\n\nTWILIO_AUTH_TOKEN=x\nTWILIO_AUTH_TOKEN=s3cret", 4, "TWILIO_AUTH_TOKEN", .duplicate),
            ("TWILIO_AUTH_TOKEN=s3cret\nunset TWILIO_AUTH_TOKEN", 2, "TWILIO_AUTH_TOKEN", .assignedAndUnset),
            ("unset TWILIO_AUTH_TOKEN\nTWILIO_AUTH_TOKEN=s3cret", 2, "TWILIO_AUTH_TOKEN", .assignedAndUnset),
            ("TWILIO_AUTH_TOKEN='x':=s3cret", 1, "TWILIO_AUTH_TOKEN", .unquotedSpecialCharacter),
            ("TWILIO_AUTH_TOKEN='x:'=s3cret", 1, "TWILIO_AUTH_TOKEN", .unquotedSpecialCharacter),
            ("TWILIO_AUTH_TOKEN=''=s3cret", 1, "TWILIO_AUTH_TOKEN", .unquotedSpecialCharacter),
            ("TWILIO_AUTH_TOKEN='s3''cret'", 1, "TWILIO_AUTH_TOKEN", .adjacentSingleQuotes),
        ] as [(String, Int, String, EnvFileError.Problem)])
    func errors(_ text: String, _ line: Int, _ variable: String, _ problem: EnvFileError.Problem) {
        let expected = EnvFileError(line: line, variable: variable, problem: problem)
        #expect(throws: expected) { _ = try EnvFileParser.parse(text) }
        #expect(expected.description.hasPrefix("line \(line): "))
        #expect(expected.description.hasSuffix(" in \(variable)"))
        #expect(!expected.description.contains("s3cret"))
    }

    @Test(
        "errors without a variable name",
        arguments: [
            ("echo hi", 1, EnvFileError.Problem.expectedAssignment),
            ("s3cretpastedalone", 1, .expectedAssignment), ("TWILIO_AUTH_TOKEN s3cret", 1, .expectedAssignment),
            ("export TWILIO_AUTH_TOKEN", 1, .expectedAssignment), ("unset s3cret;x", 1, .invalidName),
            ("1A=x", 1, .invalidName), ("A-B=x", 1, .invalidName), ("=x", 1, .expectedAssignment),
            ("unset", 1, .expectedAssignment), ("unset A;B", 1, .invalidName), ("A=1\n$(touch x)", 2, .invalidName),
            ("A=1\nB=\u{0}", 2, .nul),
        ] as [(String, Int, EnvFileError.Problem)])
    func anonymousErrors(_ text: String, _ line: Int, _ problem: EnvFileError.Problem) {
        let expected = EnvFileError(line: line, variable: nil, problem: problem)
        #expect(throws: expected) { _ = try EnvFileParser.parse(text) }
        #expect(!expected.description.contains("s3cret"))
    }

    @Test("invalid UTF-8 is refused with its line number")
    func invalidUTF8() {
        let input = Array("A=1\nB='".utf8) + [0xC3, 0x28] + Array("'\n".utf8)
        #expect(throws: EnvFileError(line: 2, variable: nil, problem: .invalidUTF8)) {
            _ = try EnvFileParser.parse(input)
        }
        #expect(
            EnvFileError(line: 3, variable: "X", problem: .unterminatedQuote).description
                == "line 3: unterminated quote in X")
    }
}
