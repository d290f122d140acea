import Foundation
import Testing

@testable import ShellSyntax

@Suite("DotenvParser")
struct DotenvParserTests {
    static func pairs(_ text: String) throws -> [String] {
        try DotenvParser.parse(text).map { "\($0.name)=\($0.stringValue ?? "<none>")" }
    }

    @Test("comments, export, blank lines, quotes, escapes, inline comments, blank values")
    func grammar() throws {
        let text = """
            # a comment
               # an indented comment

            export TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef
            export\tTABBED=1
            SINGLE='literal $HOME "x" # not a comment'
            SINGLE_ESCAPES='it\\'s a \\\\ and \\n'
            DOUBLE="line\\nnext\\ttab \\\\ \\" \\' \\a\\b\\f\\r\\v \\x \\$"
            UNQUOTED=some value   # inline comment
            HASH_IN_VALUE=a#b
            HASH_AFTER_TAB=a\t#c
            TRAILING=value   \t
            EMPTY=
            EMPTY_COMMENT= # nothing
            EMPTY_QUOTES=''
            SPACED = around
            QUOTED_THEN_COMMENT="v" # c
            QUOTED_THEN_HASH='v'#c
            'QUOTED_KEY'=1
            lower.case-key=ok
            BARE
            BARE_WITH_COMMENT # c
            """
        #expect(
            try Self.pairs(text) == [
                "TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef",
                "TABBED=1",
                "SINGLE=literal $HOME \"x\" # not a comment",
                "SINGLE_ESCAPES=it's a \\ and \\n",
                "DOUBLE=line\nnext\ttab \\ \" ' \u{07}\u{08}\u{0C}\r\u{0B} \\x \\$",
                "UNQUOTED=some value",
                "HASH_IN_VALUE=a#b",
                "HASH_AFTER_TAB=a",
                "TRAILING=value",
                "EMPTY=",
                "EMPTY_COMMENT=# nothing",
                "EMPTY_QUOTES=",
                "SPACED=around",
                "QUOTED_THEN_COMMENT=v",
                "QUOTED_THEN_HASH=v",
                "QUOTED_KEY=1",
                "lower.case-key=ok",
                "BARE=<none>",
                "BARE_WITH_COMMENT=<none>",
            ])
    }

    @Test("line numbers count LF, CRLF and CR; a quoted value may span lines")
    func lines() throws {
        let text = "A=1\r\nB=2\rC=\"x\ny\"\n\n  D=4"
        let bindings = try DotenvParser.parse(text)
        #expect(bindings.map(\.name) == ["A", "B", "C", "D"])
        #expect(bindings.map(\.line) == [1, 2, 3, 6])
        #expect(bindings[2].stringValue == "x\ny")
        #expect(try DotenvParser.parse("\u{FEFF}A=1").map(\.name) == ["A"], "a byte order mark is skipped")
        #expect(try DotenvParser.parse("A=1\nA=2").map(\.stringValue) == ["1", "2"], "both, in order")
    }

    @Test("a quote after a backslash ends a value only when nothing else does")
    func backtracking() throws {
        #expect(try Self.pairs(#"A="a\"b""#) == [#"A=a"b"#])
        #expect(try Self.pairs(#"A="a\\""#) == [#"A=a\"#])
        #expect(try Self.pairs(#"A='a\'"#) == ["A=a\\"])
        #expect(try Self.pairs("A=\"a\\\" b\\\"") == ["A=a\" b\\"])
    }

    @Test(
        "what python-dotenv cannot parse is an error naming the line, never the value",
        arguments: [
            ("A=1\n=secret-value\n", 2, DotenvError.Problem.expectedKey),
            ("A=1\nB=\"secret-value\n", 2, .unterminatedQuote),
            ("B='secret-value\nC=1\n", 1, .unterminatedQuote),
            ("A=\"secret\" value\n", 1, .trailingText),
            ("A='secret'value\n", 1, .trailingText),
            ("secret value\n", 1, .trailingText),
            ("''=1\n", 1, .expectedKey),
            ("export =secret\n", 1, .expectedKey),
            ("A=1\n\nB=se\u{0}cret\n", 3, .nul),
        ])
    func errors(text: String, line: Int, problem: DotenvError.Problem) throws {
        #expect(throws: DotenvError(line: line, problem: problem)) { try DotenvParser.parse(text) }
        do {
            _ = try DotenvParser.parse(text)
        } catch {
            #expect(!error.description.contains("secret"))
            #expect(error.description.hasPrefix("line \(line): "))
        }
    }

    @Test("bytes that are not UTF-8 are refused with their line")
    func invalidUTF8() {
        #expect(throws: DotenvError(line: 2, problem: .invalidUTF8)) {
            try DotenvParser.parse([65, 61, 49, 10, 66, 61, 0xC3, 0x28])
        }
        #expect(throws: DotenvError(line: 1, problem: .invalidUTF8)) {
            try DotenvParser.parse([65, 61, 0xED, 0xA0, 0x80])
        }
    }

    @Test("Unicode whitespace is whitespace, as in Python")
    func unicodeWhitespace() throws {
        #expect(try Self.pairs("A=\u{A0}value\u{2003}\u{3000}\n\u{2028}B=x\u{A0}#c") == ["A=value", "B=x"])
    }

    @Test("interpolation: what python-dotenv would expand")
    func interpolation() {
        for value in ["${HOME}", "a${X:-default}b", "${}", "$${A}", "${a b}"] {
            #expect(DotenvParser.interpolates(Array(value.utf8)), "\(value)")
        }
        for value in ["$HOME", "${HOME", "${A:b}", "${A:-x", "$ {A}", "{A}", "$"] {
            #expect(!DotenvParser.interpolates(Array(value.utf8)), "\(value)")
        }
    }

    /// Statements for the comparison with python-dotenv: each line alone, and all together.
    static let agreementCorpus = [
        "A=1", "export B=2", "  export   C = 3  ", "D='single $HOME \" #'", #"E="dq \n \t \\ \" \' \a \x""#,
        "F=unquoted value # comment", "G=a#b", "H=a #b", "I=", "J= # c", "K=''", #"L="""#, "M", "N # c",
        "'O'=quoted key", "p.q-r=odd key", #"S="a\"b""#, #"T="a\\""#, #"U='a\'b'"#, #"V='a\\'"#, "W=\tx\t",
        "X=\u{A0}y\u{A0}", "# only a comment", "Y=é 日本 🔑", "Z=`cmd` $(cmd) ${HOME}", "AA='x'  # c",
        "AB=\"x\"#c", "AC=a\\tb", "AD='multi\nline'", "AE=\"multi\nline\"", "AF=1\r\nAG=2", "AH=x\rAI=y",
        "=bad", "AJ=\"unterminated", "AK='x' tail", "AL x", "''=1", "export =1", "exportAM=1",
        "AN='\\'", #"AO="\""#, "AP=\"a\\\" b\\\" c", "AQ=\u{0C}form", "\u{2028}AR=1", "AS=a\u{2003}#c",
    ]

    /// Short random inputs over the characters the grammar cares about (a fixed seed, so the
    /// same inputs every run).
    static func randomInputs(count: Int) -> [String] {
        let pieces = [
            "A", "B", "=", "'", "\"", "\\", "#", " ", "\t", "\n", "\r", "x", "export ", "$", "{", "}", ":-",
            "\u{A0}", "\u{2028}", "\u{0C}", "n", "é",
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        return (0..<count).map { _ in (0..<(1 + next(24))).map { _ in pieces[next(pieces.count)] }.joined() }
    }

    /// python-dotenv (scripts/install-deps installs it) reads the corpus and random inputs;
    /// wherever it warns, this parser refuses, and wherever it does not, both give the same
    /// bindings.
    @Test("agrees with python-dotenv")
    func agreesWithPythonDotenv() throws {
        let directory = try TemporaryDirectory()
        let accepted = Self.agreementCorpus.filter { (try? DotenvParser.parse($0)) != nil }
        let inputs =
            Self.agreementCorpus + [Self.agreementCorpus.joined(separator: "\n"), accepted.joined(separator: "\n")]
            + Self.randomInputs(count: 3000)
        let casesFile = try directory.write(
            "cases.json", String(decoding: try JSONEncoder().encode(inputs), as: UTF8.self))
        // Each input as a stream, so that CR and CRLF reach python-dotenv as they are.
        let script = """
            import io, json, logging, sys
            from dotenv import dotenv_values
            class Count(logging.Handler):
                def __init__(self):
                    super().__init__()
                    self.count = 0
                def emit(self, record):
                    self.count += 1
            handler = Count()
            logging.getLogger("dotenv.main").addHandler(handler)
            results = []
            for text in json.load(open(sys.argv[1], encoding="utf-8")):
                handler.count = 0
                values = dotenv_values(stream=io.StringIO(text), interpolate=False)
                results.append({"warned": handler.count > 0, "values": [[k, v] for k, v in values.items()]})
            json.dump(results, sys.stdout)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, casesFile]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(
            process.terminationStatus == 0, "python-dotenv is missing (run scripts/install-deps): \(errorText)")
        let results = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        try #require(results.count == inputs.count)
        var refused = 0
        for (input, result) in zip(inputs, results) {
            let warned = result["warned"] as? Bool ?? false
            let expected = (result["values"] as? [[Any]] ?? []).map { pair in
                "\(pair[0] as? String ?? "?")=\(pair[1] as? String ?? "<none>")"
            }
            let parsed: [DotenvBinding]
            do {
                parsed = try DotenvParser.parse(input)
            } catch {
                #expect(warned, "python-dotenv reads \(input.debugDescription) without a warning: \(expected)")
                refused += 1
                continue
            }
            #expect(!warned, "python-dotenv warns on \(input.debugDescription), which the parser accepts")
            // python-dotenv keeps the last value of a key, in the place of the first.
            var last: [String: String] = [:]
            var order: [String] = []
            for binding in parsed {
                if last[binding.name] == nil { order.append(binding.name) }
                last[binding.name] = "\(binding.name)=\(binding.stringValue ?? "<none>")"
            }
            #expect(order.map { last[$0]! } == expected, "\(input.debugDescription)")
        }
        #expect(refused >= 7)
        #expect(inputs.count - refused > 500, "the random inputs mostly parse")
    }
}
