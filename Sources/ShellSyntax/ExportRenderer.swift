/// Turns an ordered list of environment variables into text for one `ExportFormat`.
///
/// Every value is quoted so that evaluating the text reproduces it byte for byte and
/// executes nothing, whatever it contains: a vault value is attacker-influenced data
/// (a pasted token, a synced file), and `eval "$(twvault export p)"` runs the output.
/// A variable whose value is `nil` is one the profile lacks: the shell formats unset it,
/// so switching profiles never leaves another account's credential behind.
public enum ExportRenderer {
    /// One variable to print; `value == nil` means "unset it".
    public typealias Variable = (name: String, value: String?)

    /// Renders `variables` in order, one statement per line, each line ending in `\n`.
    ///
    /// Names must match `^[A-Z_][A-Z0-9_]*$`; anything else is a programmer error.
    /// - Throws: `ExportError` naming the first variable whose value the format cannot
    ///   represent (a NUL for the shells; see `dotenvRefusal` for dotenv).
    public static func render(_ variables: [Variable], as format: ExportFormat) throws(ExportError) -> String {
        for variable in variables {
            precondition(isValidName(variable.name), "invalid environment variable name")
        }
        switch format {
        case .json:
            return renderJSON(variables)
        case .sh, .fish, .powershell, .dotenv:
            var text = ""
            for (name, value) in variables {
                if let value {
                    if let reason = refusal(of: value, in: format) {
                        throw ExportError(variable: name, format: format, reason: reason)
                    }
                    text += assignment(name: name, value: value, format: format)
                } else {
                    text += removal(name: name, format: format)
                }
            }
            return text
        }
    }

    /// Whether `name` is an acceptable variable name: `^[A-Z_][A-Z0-9_]*$`.
    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "_") || isUpper(first) else { return false }
        return bytes.allSatisfy { $0 == UInt8(ascii: "_") || isUpper($0) || isDigit($0) }
    }

    /// Why dotenv cannot carry `value`, or nil when it can.
    ///
    /// dotenv has no single specification: python-dotenv decodes `\\` and `\'` inside
    /// single quotes, npm dotenv and docker compose split lines on CR, LF and (JavaScript)
    /// U+2028/U+2029, and control characters are mangled or rejected by various readers.
    /// The rule keeps only values that every common reader takes literally inside `'…'`:
    /// refused are `'`, `\`, NUL, line breaks (LF, CR, NEL U+0085, U+2028, U+2029), and
    /// every other C0 or C1 control character and DEL. Tab is allowed.
    static func dotenvRefusal(_ value: String) -> ExportError.Reason? {
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x00: return .nul
            case 0x0A, 0x0D, 0x85, 0x2028, 0x2029: return .lineBreak
            case 0x09: continue
            case 0x01...0x1F, 0x7F, 0x80...0x9F: return .controlCharacter
            case 0x27: return .singleQuote
            case 0x5C: return .backslash
            default: continue
            }
        }
        return nil
    }

    // MARK: - Per-format pieces

    private static func refusal(of value: String, in format: ExportFormat) -> ExportError.Reason? {
        switch format {
        case .dotenv:
            return dotenvRefusal(value)
        case .sh, .fish, .powershell:
            // No shell variable or environment entry can hold NUL; truncating would be silent.
            return value.utf8.contains(0) ? .nul : nil
        case .json:
            return nil
        }
    }

    private static func assignment(name: String, value: String, format: ExportFormat) -> String {
        switch format {
        case .sh: "export \(name)=\(ShellQuoting.posix(value))\n"
        case .fish: "set -gx \(name) \(ShellQuoting.fish(value))\n"
        case .powershell: "$env:\(name) = \(ShellQuoting.powershell(value))\n"
        case .dotenv: "\(name)='\(value)'\n"
        case .json: preconditionFailure("json is rendered as a whole")
        }
    }

    private static func removal(name: String, format: ExportFormat) -> String {
        switch format {
        case .sh: "unset \(name)\n"
        // `set -e` fails (status 4) when the variable is not set; the status would leak
        // into `eval`/`source`, so it is silenced and reset.
        case .fish: "set -e \(name) 2>/dev/null; or true\n"
        case .powershell: "Remove-Item Env:\(name) -ErrorAction SilentlyContinue\n"
        case .dotenv: ""
        case .json: preconditionFailure("json is rendered as a whole")
        }
    }

    private static func renderJSON(_ variables: [Variable]) -> String {
        var text = "{"
        var first = true
        for (name, value) in variables {
            guard let value else { continue }
            if !first { text += "," }
            first = false
            text += JSONQuoting.string(name) + ":" + JSONQuoting.string(value)
        }
        return text + "}\n"
    }

    private static func isUpper(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
