/// Makes text from a server fit for a one-line error message.
package enum TextSanitizer {
    /// Control characters become spaces, runs of whitespace collapse, and the result is cut
    /// to `limit` characters with an ellipsis; so a hostile body cannot forge extra lines
    /// or terminal escapes in the user's terminal.
    package static func oneLine(_ text: some StringProtocol, limit: Int = 200) -> String {
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

    static let redactionMark = "[redacted]"
    /// A run of this many leading characters of a secret is redacted even when the rest is missing.
    static let minimumEchoedPrefix = 8
    /// Text beyond this many Unicode scalars is dropped before redaction: it is never shown
    /// (messages are cut to one short line), and the scan stays linear in what is kept.
    static let maximumScannedScalars = 65_536

    /// Replaces each secret (of 4 or more characters) with "[redacted]", in case a server or
    /// proxy echoes part of the request back in its error text.
    ///
    /// An echo need not be exact, so four forms are recognised:
    /// - the whole secret, by characters, which also catches a canonically equivalent spelling;
    /// - the whole secret by Unicode scalars, because a combining mark after the secret makes its
    ///   last character a different one, and the character match would then let its bytes through;
    /// - any prefix of `minimumEchoedPrefix` or more characters, since servers cut long values;
    /// - the secret or such a prefix percent-encoded as it travels in a form body or query
    ///   (`%XX` in either letter case for each UTF-8 byte, `+` or `%20` for a space), whole or
    ///   mixed with plain characters.
    package static func redacting(_ secrets: [String], in text: String) -> String {
        var result = text
        if result.unicodeScalars.count > maximumScannedScalars {
            var kept = String.UnicodeScalarView()
            kept.append(contentsOf: result.unicodeScalars.prefix(maximumScannedScalars))
            kept.append("…")
            result = String(kept)
        }
        for secret in secrets where secret.count >= 4 {
            result = result.replacing(secret, with: redactionMark)
            let needle = Array(secret.unicodeScalars)
            result = replacingEchoes(of: needle, in: result, decodingPercent: false)
            result = replacingEchoes(of: needle, in: result, decodingPercent: true)
        }
        return result
    }

    /// One left-to-right pass that replaces every match of `needle` (whole, or a prefix of
    /// at least `minimumEchoedPrefix` scalars). With `decodingPercent`, each scalar of the
    /// needle may also appear percent-encoded; the encoded form is tried first, so a `%` of
    /// the secret written as `%25` is matched as one character.
    private static func replacingEchoes(
        of needle: [Unicode.Scalar], in text: String, decodingPercent: Bool
    ) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = needle.first, !scalars.isEmpty else { return text }
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            // Most positions fail on the first scalar; test it before the general match.
            let current = scalars[index]
            if current == first || (decodingPercent && (current == "%" || (current == "+" && first == " "))) {
                let (matched, end) = echo(of: needle, in: scalars, from: index, decodingPercent: decodingPercent)
                if matched == needle.count || matched >= minimumEchoedPrefix {
                    output.append(contentsOf: redactionMark.unicodeScalars)
                    index = end
                    continue
                }
            }
            output.append(current)
            index += 1
        }
        return String(output)
    }

    /// How many leading scalars of `needle` appear in `text` from `start`, and the index just
    /// after the last one matched.
    private static func echo(
        of needle: [Unicode.Scalar], in text: [Unicode.Scalar], from start: Int, decodingPercent: Bool
    ) -> (matched: Int, end: Int) {
        var position = start
        var matched = 0
        for scalar in needle {
            if decodingPercent, let end = encodedEnd(of: scalar, in: text, at: position) {
                position = end
            } else if position < text.count && text[position] == scalar {
                position += 1
            } else {
                break
            }
            matched += 1
        }
        return (matched, position)
    }

    /// Where `scalar` written form-encoded at `position` ends: `+` for a space, or `%XX`
    /// for each of its UTF-8 bytes; nil when the text there is not such an encoding.
    private static func encodedEnd(of scalar: Unicode.Scalar, in text: [Unicode.Scalar], at position: Int) -> Int? {
        if scalar == " ", position < text.count, text[position] == "+" { return position + 1 }
        var position = position
        for byte in String(scalar).utf8 {
            guard position + 2 < text.count, text[position] == "%",
                let high = hexValue(text[position + 1]), let low = hexValue(text[position + 2]),
                high << 4 | low == byte
            else { return nil }
            position += 3
        }
        return position
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt8? {
        switch scalar {
        case "0"..."9": UInt8(scalar.value - 0x30)
        case "a"..."f": UInt8(scalar.value - 0x61 + 10)
        case "A"..."F": UInt8(scalar.value - 0x41 + 10)
        default: nil
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP's optional whitespace, and
    /// what a JSON number written as a string may carry).
    package func trimmingBlanks() -> SubSequence {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
