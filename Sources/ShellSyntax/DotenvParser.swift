/// Reads a project's `.env` file as python-dotenv (1.x) does, for `twvault import dotenv`.
///
/// Unlike `EnvFileParser`, whose language is a subset of sh, this one follows python-dotenv's
/// grammar, because that is what the file's authors tested it with:
///
/// - Whitespace is Python's (`str.isspace`: ASCII blanks and controls 0x09–0x0D, 0x1C–0x1F,
///   and the Unicode spaces); line breaks are LF, CRLF and a lone CR. Whitespace and blank
///   lines between statements are skipped.
/// - A statement is `[export<blanks>]KEY[<blanks>][=<blanks>VALUE][<blanks>][#comment]`, then
///   the end of the line. A statement whose KEY starts with `#` is a comment.
/// - KEY is a run of characters other than `=`, `#` and whitespace, or `'…'` (any characters
///   but `'`). A KEY without `=` has no value (`DotenvBinding.value` is nil).
/// - VALUE is `'…'`, in which `\\` and `\'` are escapes; `"…"`, in which `\\ \' \" \a \b \f
///   \n \r \t \v` are; or unquoted: the rest of the line, cut before the first whitespace that
///   precedes a `#`, with trailing whitespace removed. Nothing, or the end of the line, is the
///   empty value. Quoted values may span lines; a quote preceded by a backslash does not end
///   one, except that when no other quote ends it the last such quote does (python-dotenv's
///   regular expressions backtrack so).
/// - A KEY given twice: both bindings are returned, in order (python-dotenv keeps the last).
///
/// Where python-dotenv skips a statement it cannot parse with a warning, this parser stops
/// with an error naming the line; it also refuses NUL and bytes that are not UTF-8, and skips
/// a leading byte order mark. It does no
/// `${NAME}` interpolation, which python-dotenv applies to every value: `interpolates(_:)`
/// says when python-dotenv would have changed a value, so that the caller can refuse it.
/// Errors never include any part of a value.
public enum DotenvParser {
    /// Parses `input` and returns the bindings in input order.
    /// - Throws: `DotenvError` with the line of the statement that does not parse.
    public static func parse(_ input: [UInt8]) throws(DotenvError) -> [DotenvBinding] {
        var reader = DotenvReader(input)
        try reader.checkEncoding()
        // A byte order mark (some Windows editors write one) is not part of the first key.
        if input.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }
        var bindings: [DotenvBinding] = []
        while true {
            reader.skipWhitespace(lineBreaks: true)
            if reader.atEnd { break }
            if let binding = try reader.readStatement() { bindings.append(binding) }
        }
        return bindings
    }

    /// Parses UTF-8 text; convenient for tests.
    public static func parse(_ text: String) throws(DotenvError) -> [DotenvBinding] {
        try parse(Array(text.utf8))
    }

    /// Whether python-dotenv's interpolation (on by default) would replace part of `value`: it
    /// holds `${NAME}` or `${NAME:-default}` (NAME without `}` or `:`).
    public static func interpolates(_ value: [UInt8]) -> Bool {
        let dollar = UInt8(ascii: "$")
        let open = UInt8(ascii: "{")
        let close = UInt8(ascii: "}")
        let colon = UInt8(ascii: ":")
        var index = 0
        while index + 1 < value.count {
            defer { index += 1 }
            guard value[index] == dollar, value[index + 1] == open else { continue }
            var end = index + 2
            while end < value.count, value[end] != close, value[end] != colon { end += 1 }
            guard end < value.count else { return false }
            if value[end] == close { return true }
            guard end + 1 < value.count, value[end + 1] == UInt8(ascii: "-") else { continue }
            if value[(end + 2)...].contains(close) { return true }
        }
        return false
    }
}

/// One `KEY=value` statement read by `DotenvParser`.
public struct DotenvBinding: Equatable, Sendable {
    /// The key as written (not checked against any naming rule).
    public let name: String
    /// The value's bytes (valid UTF-8, no NUL); nil for a key without `=`.
    public var value: [UInt8]?
    /// The line the statement starts on (1-based).
    public let line: Int

    /// The value as a `String`, for tests and non-secret fields.
    public var stringValue: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}

/// A `.env` file that `DotenvParser` does not accept: the line and what is wrong, never a value.
public struct DotenvError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// A statement that does not start with a key (e.g. `=value`).
        case expectedKey
        /// A quoted key or value without its closing quote.
        case unterminatedQuote
        /// Text after the key or the closing quote that is not `=`, a comment or the line's end.
        case trailingText
        /// A NUL byte.
        case nul
        /// Bytes that are not UTF-8.
        case invalidUTF8

        var sentence: String {
            switch self {
            case .expectedKey: "expected KEY=value"
            case .unterminatedQuote: "unterminated quote"
            case .trailingText: "unexpected text after the key or the quoted value"
            case .nul: "NUL byte"
            case .invalidUTF8: "invalid UTF-8"
            }
        }
    }

    /// The 1-based line.
    public let line: Int
    public let problem: Problem

    /// For example "line 3: unterminated quote".
    public var description: String { "line \(line): \(problem.sentence)" }
}

/// A cursor over the whole input that keeps the line number of its position.
private struct DotenvReader {
    let bytes: [UInt8]
    var index = 0
    var line = 1

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { atEnd ? nil : bytes[index] }

    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
    static let hash = UInt8(ascii: "#")
    static let equals = UInt8(ascii: "=")
    static let singleQuote = UInt8(ascii: "'")
    static let doubleQuote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    /// NUL and invalid UTF-8 are refused up front, with the line they are on.
    func checkEncoding() throws(DotenvError) {
        var line = 1
        var position = 0
        while position < bytes.count {
            let byte = bytes[position]
            if byte == 0 { throw DotenvError(line: line, problem: .nul) }
            if byte == Self.lf || (byte == Self.cr && (position + 1 == bytes.count || bytes[position + 1] != Self.lf)) {
                line += 1
            }
            if byte < 0x80 {
                position += 1
                continue
            }
            guard let length = Self.scalarLength(bytes, at: position) else {
                throw DotenvError(line: line, problem: .invalidUTF8)
            }
            position += length
        }
    }

    /// The length of the well-formed UTF-8 sequence at `position`, or nil.
    static func scalarLength(_ bytes: [UInt8], at position: Int) -> Int? {
        let lead = bytes[position]
        let length: Int
        let lower: UInt8
        let upper: UInt8
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: (length, lower, upper) = (2, 0x80, 0xBF)
        case 0xE0: (length, lower, upper) = (3, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, lower, upper) = (3, 0x80, 0xBF)
        case 0xED: (length, lower, upper) = (3, 0x80, 0x9F)
        case 0xF0: (length, lower, upper) = (4, 0x90, 0xBF)
        case 0xF1...0xF3: (length, lower, upper) = (4, 0x80, 0xBF)
        case 0xF4: (length, lower, upper) = (4, 0x80, 0x8F)
        default: return nil
        }
        guard position + length <= bytes.count, (lower...upper).contains(bytes[position + 1]) else { return nil }
        for offset in 2..<max(2, length) where !(0x80...0xBF).contains(bytes[position + offset]) { return nil }
        return length
    }

    /// The Unicode scalar at `position` (the input is known to be UTF-8) and its length.
    func scalar(at position: Int) -> (value: UInt32, length: Int) {
        let lead = bytes[position]
        guard lead >= 0x80, let length = Self.scalarLength(bytes, at: position) else { return (UInt32(lead), 1) }
        var value = UInt32(lead) & (0xFF >> (length + 1))
        for offset in 1..<length { value = value << 6 | UInt32(bytes[position + offset] & 0x3F) }
        return (value, length)
    }

    /// Python's `str.isspace`.
    static func isSpace(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default: false
        }
    }

    /// The length of the whitespace character at `position`, or nil; `lineBreaks: false`
    /// leaves CR and LF out, as python-dotenv's `[^\S\r\n]` does.
    func spaceLength(at position: Int, lineBreaks: Bool) -> Int? {
        guard position < bytes.count else { return nil }
        let (value, length) = scalar(at: position)
        guard Self.isSpace(value) else { return nil }
        if !lineBreaks, value == 0x0A || value == 0x0D { return nil }
        return length
    }

    /// Moves to `position`, counting the line breaks passed (LF, CRLF, lone CR).
    mutating func advance(to position: Int) {
        while index < position {
            let byte = bytes[index]
            if byte == Self.lf || (byte == Self.cr && (index + 1 == bytes.count || bytes[index + 1] != Self.lf)) {
                line += 1
            }
            index += 1
        }
    }

    mutating func skipWhitespace(lineBreaks: Bool) {
        var position = index
        while let length = spaceLength(at: position, lineBreaks: lineBreaks) { position += length }
        advance(to: position)
    }

    /// One statement, from its first character; nil for a comment.
    mutating func readStatement() throws(DotenvError) -> DotenvBinding? {
        let start = line
        func error(_ problem: DotenvError.Problem) -> DotenvError { DotenvError(line: start, problem: problem) }

        // `export` followed by at least one blank.
        let export = Array("export".utf8)
        if bytes.count - index > export.count, bytes[index..<(index + export.count)].elementsEqual(export),
            spaceLength(at: index + export.count, lineBreaks: false) != nil
        {
            advance(to: index + export.count)
            skipWhitespace(lineBreaks: false)
        }

        var name: String?
        if peek == Self.singleQuote {
            guard let close = bytes[(index + 1)...].firstIndex(of: Self.singleQuote) else {
                throw error(.unterminatedQuote)
            }
            guard close > index + 1 else { throw error(.expectedKey) }
            name = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
            advance(to: close + 1)
        } else if peek != Self.hash {
            var end = index
            while end < bytes.count, bytes[end] != Self.equals, bytes[end] != Self.hash,
                spaceLength(at: end, lineBreaks: true) == nil
            {
                end += scalar(at: end).length
            }
            guard end > index else { throw error(.expectedKey) }
            name = String(decoding: bytes[index..<end], as: UTF8.self)
            advance(to: end)
        }

        skipWhitespace(lineBreaks: false)
        var value: [UInt8]?
        if peek == Self.equals {
            advance(to: index + 1)
            skipWhitespace(lineBreaks: false)
            value = try readValue(error)
        }

        // An optional comment, then the end of the line.
        let beforeComment = index
        skipWhitespace(lineBreaks: false)
        if peek == Self.hash {
            var end = index
            while end < bytes.count, bytes[end] != Self.lf, bytes[end] != Self.cr { end += 1 }
            advance(to: end)
        } else {
            index = beforeComment
        }
        skipWhitespace(lineBreaks: false)
        switch peek {
        case nil: break
        case Self.lf: advance(to: index + 1)
        case Self.cr: advance(to: index + (index + 1 < bytes.count && bytes[index + 1] == Self.lf ? 2 : 1))
        default: throw error(.trailingText)
        }
        guard let name else { return nil }
        return DotenvBinding(name: name, value: value, line: start)
    }

    mutating func readValue(_ error: (DotenvError.Problem) -> DotenvError) throws(DotenvError) -> [UInt8] {
        switch peek {
        case nil, Self.lf, Self.cr:
            return []
        case Self.singleQuote:
            let content = try quoted(by: Self.singleQuote, error)
            return Self.unescape(bytes[content], escapes: [Self.backslash, Self.singleQuote])
        case Self.doubleQuote:
            let content = try quoted(by: Self.doubleQuote, error)
            return Self.unescape(bytes[content], escapes: Array("\\'\"abfnrtv".utf8))
        default:
            var end = index
            while end < bytes.count, bytes[end] != Self.lf, bytes[end] != Self.cr { end += 1 }
            let part = index..<end
            advance(to: end)
            return unquoted(part)
        }
    }

    /// The content of the quoted value at `index` (python-dotenv's `'((?:\\'|[^'])*)'`), and
    /// moves past its closing quote. The content ends at the first quote not preceded by a
    /// backslash; when there is none, at the last quote (which a backslash precedes).
    mutating func quoted(by quote: UInt8, _ error: (DotenvError.Problem) -> DotenvError) throws(DotenvError)
        -> Range<Int>
    {
        let start = index + 1
        var close: Int?
        var last: Int?
        var position = start
        while position < bytes.count {
            if bytes[position] == quote {
                if position == start || bytes[position - 1] != Self.backslash {
                    close = position
                    break
                }
                last = position
            }
            position += 1
        }
        guard let end = close ?? last else { throw error(.unterminatedQuote) }
        advance(to: end + 1)
        return start..<end
    }

    /// python-dotenv's unquoted value: cut before the first whitespace run followed by `#`,
    /// then trailing whitespace removed.
    func unquoted(_ part: Range<Int>) -> [UInt8] {
        var cut = part.upperBound
        var position = part.lowerBound
        var runStart: Int?
        while position < part.upperBound {
            if let length = spaceLength(at: position, lineBreaks: true) {
                if runStart == nil { runStart = position }
                position += length
                continue
            }
            if bytes[position] == Self.hash, let run = runStart {
                cut = run
                break
            }
            runStart = nil
            position += scalar(at: position).length
        }
        // Trailing whitespace: the last non-space scalar ends the value.
        var end = part.lowerBound
        position = part.lowerBound
        while position < cut {
            let length = spaceLength(at: position, lineBreaks: true) ?? 0
            if length == 0 {
                position += scalar(at: position).length
                end = position
            } else {
                position += length
            }
        }
        return Array(bytes[part.lowerBound..<end])
    }

    /// Replaces each backslash followed by one of `escapes` (left to right, without overlap)
    /// by what Python's `unicode-escape` makes of the pair.
    static func unescape(_ content: ArraySlice<UInt8>, escapes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(content.count)
        var position = content.startIndex
        while position < content.endIndex {
            let byte = content[position]
            if byte == backslash, position + 1 < content.endIndex, escapes.contains(content[position + 1]) {
                let decoded: UInt8 =
                    switch content[position + 1] {
                    case UInt8(ascii: "a"): 0x07
                    case UInt8(ascii: "b"): 0x08
                    case UInt8(ascii: "f"): 0x0C
                    case UInt8(ascii: "n"): 0x0A
                    case UInt8(ascii: "r"): 0x0D
                    case UInt8(ascii: "t"): 0x09
                    case UInt8(ascii: "v"): 0x0B
                    default: content[position + 1]
                    }
                result.append(decoded)
                position += 2
            } else {
                result.append(byte)
                position += 1
            }
        }
        return result
    }
}
