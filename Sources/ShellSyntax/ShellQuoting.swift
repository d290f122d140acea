/// Single-quoting for each shell, exact at the Unicode-scalar level.
///
/// Single quotes are used everywhere because they are the only quoting in which these
/// shells expand nothing (`$`, backquotes, `!`, globs, `~`, fish's `()` and `{}`), so
/// the only characters to handle are the quote characters themselves.
enum ShellQuoting {
    /// POSIX sh: `'…'`, each `'` written as `'\''` (close, escaped quote, reopen).
    ///
    /// Correct in bash, dash, ksh and zsh (also with zsh's RC_QUOTES, because the output
    /// never holds two quotes in a row inside a quoted run), and for newlines too.
    static func posix(_ value: String) -> String {
        var quoted = "'"
        for scalar in value.unicodeScalars {
            if scalar == "'" {
                quoted += "'\\''"
            } else {
                quoted.unicodeScalars.append(scalar)
            }
        }
        quoted += "'"
        return quoted
    }

    /// fish: `'…'` with `\` written as `\\` and `'` as `\'`, the only escapes fish
    /// recognises inside single quotes.
    static func fish(_ value: String) -> String {
        var quoted = "'"
        for scalar in value.unicodeScalars {
            if scalar == "'" || scalar == "\\" {
                quoted += "\\"
            }
            quoted.unicodeScalars.append(scalar)
        }
        quoted += "'"
        return quoted
    }

    /// PowerShell: `'…'` with every quote character doubled. PowerShell treats the
    /// typographic single quotes U+2018, U+2019, U+201A and U+201B exactly like `'`,
    /// so leaving one undoubled would end the string early and let the rest run as code.
    static func powershell(_ value: String) -> String {
        var quoted = "'"
        for scalar in value.unicodeScalars {
            quoted.unicodeScalars.append(scalar)
            if isPowerShellQuote(scalar) {
                quoted.unicodeScalars.append(scalar)
            }
        }
        quoted += "'"
        return quoted
    }

    /// The characters PowerShell accepts as a single quote.
    static func isPowerShellQuote(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x27, 0x2018, 0x2019, 0x201A, 0x201B: true
        default: false
        }
    }
}
