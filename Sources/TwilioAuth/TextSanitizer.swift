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
    ///
    /// Matched twice: by characters, which also catches a canonically equivalent spelling,
    /// and by Unicode scalars, because a combining mark after the secret makes its last
    /// character a different one, and the character match would then let its bytes through.
    static func redacting(_ secrets: [String], in text: String) -> String {
        var result = text
        for secret in secrets where secret.count >= 4 {
            result = result.replacing(secret, with: "[redacted]")
            result = replacingScalars(Array(secret.unicodeScalars), in: result)
        }
        return result
    }

    private static func replacingScalars(_ needle: [Unicode.Scalar], in text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard !needle.isEmpty, scalars.count >= needle.count else { return text }
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if index + needle.count <= scalars.count, scalars[index..<(index + needle.count)].elementsEqual(needle) {
                output.append(contentsOf: "[redacted]".unicodeScalars)
                index += needle.count
            } else {
                output.append(scalars[index])
                index += 1
            }
        }
        return String(output)
    }
}
