/// A malformed line in the input of `add --stdin`.
///
/// Carries the line number and, when known, the variable name, never any part of the
/// value: the value is a secret, and error messages end up in terminals and CI logs.
public struct EnvFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong with the line.
    public enum Problem: Equatable, Sendable {
        /// The line is not `NAME=value`, `export NAME=value`, `unset NAME`, a comment or blank.
        case expectedAssignment
        /// A name that is not `[A-Za-z_][A-Za-z0-9_]*`.
        case invalidName
        /// A `'` or `"` without its closing quote on the same line.
        case unterminatedQuote
        /// Two single-quoted runs in a row (`'a''b'`), which zsh's RC_QUOTES reads differently.
        case adjacentSingleQuotes
        /// A backslash outside quotes not followed by `'`, or one in double quotes not
        /// followed by `\` or `"`.
        case unsupportedEscape
        /// `$` or a backquote inside double quotes, which a shell would expand.
        case expansionInDoubleQuotes
        /// An unquoted character a shell would treat specially (space, `$`, `;`, `~`, …).
        case unquotedSpecialCharacter
        /// More text after the value that is not a `#` comment.
        case trailingText
        /// The same name assigned twice.
        case duplicate
        /// A name both assigned and unset.
        case assignedAndUnset
        /// A NUL byte anywhere in the input.
        case nul
        /// Bytes that are not UTF-8.
        case invalidUTF8

        var sentence: String {
            switch self {
            case .expectedAssignment: "expected NAME=value"
            case .invalidName: "invalid variable name"
            case .unterminatedQuote: "unterminated quote"
            case .adjacentSingleQuotes: "two single-quoted parts in a row (write '\\'' for a quote)"
            case .unsupportedEscape: "unsupported backslash escape"
            case .expansionInDoubleQuotes: "$ or ` inside double quotes (use single quotes)"
            case .unquotedSpecialCharacter: "unquoted special character (quote the value with single quotes)"
            case .trailingText: "unexpected text after the value"
            case .duplicate: "duplicate variable"
            case .assignedAndUnset: "variable is both set and unset"
            case .nul: "NUL byte"
            case .invalidUTF8: "invalid UTF-8"
            }
        }
    }

    /// The 1-based line number.
    public let line: Int
    /// The variable the line is about, when it got that far.
    public let variable: String?
    /// What is wrong.
    public let problem: Problem

    init(line: Int, variable: String?, problem: Problem) {
        self.line = line
        self.variable = variable
        self.problem = problem
    }

    /// For example "line 3: unterminated quote in TWILIO_AUTH_TOKEN".
    public var description: String {
        if let variable {
            "line \(line): \(problem.sentence) in \(variable)"
        } else {
            "line \(line): \(problem.sentence)"
        }
    }
}
