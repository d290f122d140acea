/// Reads the `NAME=value` lines of `twvault add --stdin`.
///
/// The accepted language is a strict subset of POSIX sh assignments, so every input it
/// accepts means exactly the same to bash, dash and zsh as to this parser, and both the
/// `sh` and the `dotenv` output of `ExportRenderer` read back unchanged. The input is
/// split on LF; on each line:
///
/// - One trailing CR is removed (CRLF files). NUL anywhere, or bytes that are not UTF-8,
///   are errors. Leading spaces and tabs are skipped.
/// - An empty line, or one whose first non-blank character is `#`, is skipped.
/// - A line without `=` after its first word is an error that does not name the word,
///   since it may be a pasted secret.
/// - `unset NAME…` is accepted and ignored (the sh renderer prints it for absent
///   variables); a name both unset and assigned is an error.
/// - Otherwise the line is `[export<blanks>]NAME=VALUE[<blanks>[#comment]]`, with no blanks
///   around `=`. NAME is `[A-Za-z_][A-Za-z0-9_]*`; assigning a NAME twice is an error.
/// - VALUE is zero or more adjacent runs, ending at the first unquoted space or tab:
///   - `'…'`: every byte literal up to the next `'` (which must be on the same line);
///     two such runs may not touch (`'a''b'`), since zsh's RC_QUOTES reads that as `a'b`;
///   - `\'`: a literal `'`, the only backslash escape allowed outside quotes;
///   - `"…"`: literal bytes, except `\\` → `\` and `\"` → `"`; any other backslash, `$`
///     and a backquote are errors (a shell would treat them differently);
///   - a bare run of ASCII letters, digits, `_ - . , : / + = @ % ^ #` and non-ASCII
///     characters. A bare `=` may not start the value nor follow a `:`, quoted or not
///     (zsh expands `=cmd` there); every other character (`$ ~ * ? [ ] { } ( ) ; & | < > ! ` and controls)
///     must be quoted.
///
/// Names are not checked against the known set: the caller reports unknown ones.
public enum EnvFileParser {
    /// Parses `input` and returns the assignments in input order.
    ///
    /// The caller should zero `input` and each returned value once it has copied them.
    /// - Throws: `EnvFileError` with the line number and, when known, the variable name.
    public static func parse(_ input: [UInt8]) throws(EnvFileError) -> [EnvAssignment] {
        var assignments: [EnvAssignment] = []
        var assignedNames: Set<String> = []
        var unsetNames: Set<String> = []
        var lineNumber = 0
        var lineStart = 0
        while lineStart <= input.count { // the segment after a final LF is empty, hence blank
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < input.count, input[lineEnd] != Byte.newline { lineEnd += 1 }
            let nextStart = lineEnd + 1
            if lineEnd > lineStart, input[lineEnd - 1] == Byte.carriageReturn { lineEnd -= 1 }
            var line = Line(bytes: input[lineStart..<lineEnd], number: lineNumber)
            lineStart = nextStart

            guard !line.bytes.contains(0) else { throw line.error(nil, .nul) }
            guard isValidUTF8(line.bytes) else { throw line.error(nil, .invalidUTF8) }

            line.skipBlanks()
            if line.atEnd || line.peek == Byte.hash { continue }

            if line.consumeKeyword("unset") {
                for name in try line.readUnsetNames() {
                    if assignedNames.contains(name) { throw line.error(name, .assignedAndUnset) }
                    unsetNames.insert(name)
                }
                continue
            }
            _ = line.consumeKeyword("export")
            let assignment = try line.readAssignment()
            if assignedNames.contains(assignment.name) { throw line.error(assignment.name, .duplicate) }
            if unsetNames.contains(assignment.name) { throw line.error(assignment.name, .assignedAndUnset) }
            assignedNames.insert(assignment.name)
            assignments.append(assignment)
        }
        return assignments
    }

    /// Parses UTF-8 text; convenient for tests and non-secret input.
    public static func parse(_ text: String) throws(EnvFileError) -> [EnvAssignment] {
        try parse(Array(text.utf8))
    }

    private static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}

/// ASCII bytes the parser looks for.
private enum Byte {
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let hash = UInt8(ascii: "#")
    static let equals = UInt8(ascii: "=")
    static let colon = UInt8(ascii: ":")
    static let singleQuote = UInt8(ascii: "'")
    static let doubleQuote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let dollar = UInt8(ascii: "$")
    static let backquote = UInt8(ascii: "`")
    static let underscore = UInt8(ascii: "_")

    static func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab }
    static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    static func isNameStart(_ byte: UInt8) -> Bool { isLetter(byte) || byte == underscore }
    static func isNameContinue(_ byte: UInt8) -> Bool { isNameStart(byte) || isDigit(byte) }

    /// Characters sh takes literally in an assignment value, in every shell we support.
    static func isBare(_ byte: UInt8) -> Bool {
        if isNameContinue(byte) || byte >= 0x80 { return true }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "/"),
            UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: "%"), UInt8(ascii: "^"),
            UInt8(ascii: "#"):
            return true
        default:
            return false
        }
    }
}

/// A cursor over one line.
private struct Line {
    let bytes: ArraySlice<UInt8>
    let number: Int
    var index: Int

    init(bytes: ArraySlice<UInt8>, number: Int) {
        self.bytes = bytes
        self.number = number
        self.index = bytes.startIndex
    }

    var atEnd: Bool { index >= bytes.endIndex }
    var peek: UInt8? { atEnd ? nil : bytes[index] }

    func error(_ variable: String?, _ problem: EnvFileError.Problem) -> EnvFileError {
        EnvFileError(line: number, variable: variable, problem: problem)
    }

    mutating func skipBlanks() {
        while let byte = peek, Byte.isBlank(byte) { index += 1 }
    }

    /// Consumes `keyword` and the blanks after it when the line starts with both.
    mutating func consumeKeyword(_ keyword: String) -> Bool {
        let word = Array(keyword.utf8)
        let end = index + word.count
        guard end < bytes.endIndex, bytes[index..<end].elementsEqual(word), Byte.isBlank(bytes[end]) else {
            return false
        }
        index = end
        skipBlanks()
        return true
    }

    mutating func readName() -> String? {
        guard let first = peek, Byte.isNameStart(first) else { return nil }
        let start = index
        while let byte = peek, Byte.isNameContinue(byte) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// The rest of the line is blanks and optionally a `#` comment.
    mutating func expectEnd(_ variable: String?) throws(EnvFileError) {
        skipBlanks()
        if let byte = peek, byte != Byte.hash { throw error(variable, .trailingText) }
    }

    mutating func readUnsetNames() throws(EnvFileError) -> [String] {
        var names: [String] = []
        while let byte = peek, byte != Byte.hash {
            guard let name = readName(), peek.map(Byte.isBlank) ?? true else { throw error(nil, .invalidName) }
            names.append(name)
            skipBlanks()
        }
        if names.isEmpty { throw error(nil, .expectedAssignment) }
        return names
    }

    mutating func readAssignment() throws(EnvFileError) -> EnvAssignment {
        guard let name = readName() else {
            throw error(nil, peek == Byte.equals ? .expectedAssignment : .invalidName)
        }
        // Without `=` the word may be a pasted secret, so it is never named in the error.
        guard peek == Byte.equals else {
            if let byte = peek, !Byte.isBlank(byte) { throw error(nil, .invalidName) }
            throw error(nil, .expectedAssignment)
        }
        index += 1
        let value = try readValue(name)
        try expectEnd(name)
        return EnvAssignment(name: name, value: value, line: number)
    }

    mutating func readValue(_ name: String) throws(EnvFileError) -> [UInt8] {
        var value: [UInt8] = []
        var afterSingleQuotedRun = false
        while let byte = peek, !Byte.isBlank(byte) {
            defer { afterSingleQuotedRun = byte == Byte.singleQuote }
            switch byte {
            case Byte.singleQuote:
                // zsh with RC_QUOTES reads `''` inside quotes as a quote: `'a''b'` is ambiguous.
                if afterSingleQuotedRun { throw error(name, .adjacentSingleQuotes) }
                index += 1
                guard let close = bytes[index...].firstIndex(of: Byte.singleQuote) else {
                    throw error(name, .unterminatedQuote)
                }
                value.append(contentsOf: bytes[index..<close])
                index = close + 1
            case Byte.backslash:
                guard index + 1 < bytes.endIndex, bytes[index + 1] == Byte.singleQuote else {
                    throw error(name, .unsupportedEscape)
                }
                value.append(Byte.singleQuote)
                index += 2
            case Byte.doubleQuote:
                index += 1
                try readDoubleQuoted(name, into: &value)
            default:
                guard Byte.isBare(byte) else { throw error(name, .unquotedSpecialCharacter) }
                // zsh expands `=cmd` at the start of a value and after a `:` (quoted or not).
                if byte == Byte.equals, value.isEmpty || value.last == Byte.colon {
                    throw error(name, .unquotedSpecialCharacter)
                }
                value.append(byte)
                index += 1
            }
        }
        return value
    }

    mutating func readDoubleQuoted(_ name: String, into value: inout [UInt8]) throws(EnvFileError) {
        while let byte = peek {
            index += 1
            switch byte {
            case Byte.doubleQuote:
                return
            case Byte.backslash:
                guard let next = peek, next == Byte.backslash || next == Byte.doubleQuote else {
                    throw error(name, .unsupportedEscape)
                }
                value.append(next)
                index += 1
            case Byte.dollar, Byte.backquote:
                throw error(name, .expansionInDoubleQuotes)
            default:
                value.append(byte)
            }
        }
        throw error(name, .unterminatedQuote)
    }
}
