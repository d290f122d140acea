/// A value the chosen export format cannot carry faithfully.
///
/// Names the variable and the rule it broke, never the value: the value is a secret.
public struct ExportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Why a value was refused.
    public enum Reason: String, Equatable, Sendable {
        /// A NUL byte, which no shell variable and no environment entry can hold.
        case nul = "a NUL byte"
        /// A line break, which dotenv files cannot hold portably.
        case lineBreak = "a line break"
        /// A control character other than tab, which dotenv readers treat inconsistently.
        case controlCharacter = "a control character"
        /// A single quote, which cannot appear inside a single-quoted dotenv value.
        case singleQuote = "a single quote"
        /// A backslash, which some dotenv readers decode as an escape inside single quotes.
        case backslash = "a backslash"
    }

    /// The variable whose value was refused.
    public let variable: String
    /// The format that refused it.
    public let format: ExportFormat
    /// The rule the value broke.
    public let reason: Reason

    init(variable: String, format: ExportFormat, reason: Reason) {
        self.variable = variable
        self.format = format
        self.reason = reason
    }

    public var description: String {
        "\(variable) contains \(reason.rawValue), which the \(format.rawValue) format cannot represent; "
            + "use --format sh or json instead"
    }
}
