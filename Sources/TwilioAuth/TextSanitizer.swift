/// Makes text from a server fit for a one-line error message.
enum TextSanitizer {
    /// Control characters become spaces, runs of whitespace collapse, and the result is cut
    /// to `limit` characters with an ellipsis; so a hostile body cannot forge extra lines
    /// or terminal escapes in the user's terminal.
    static func oneLine(_ text: some StringProtocol, limit: Int = 200) -> String {
        var result = ""
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            let isControl =
                scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029
            if isControl || scalar == " " {
                if !lastWasSpace && !result.isEmpty { result.unicodeScalars.append(" ") }
                lastWasSpace = true
            } else {
                result.unicodeScalars.append(scalar)
                lastWasSpace = false
            }
        }
        while result.hasSuffix(" ") { result.removeLast() }
        if result.count > limit {
            result = String(result.prefix(limit)) + "…"
        }
        return result
    }

    /// Replaces every occurrence of each secret (of 4 or more characters) with "[redacted]",
    /// in case a server or proxy echoes part of the request back in its error text.
    static func redacting(_ secrets: [String], in text: String) -> String {
        var result = text
        for secret in secrets where secret.count >= 4 {
            result = result.replacing(secret, with: "[redacted]")
        }
        return result
    }
}
