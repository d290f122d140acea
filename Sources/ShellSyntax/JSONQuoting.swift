/// JSON string literals (RFC 8259), written by hand so the output is byte-stable and
/// non-ASCII stays UTF-8 rather than `\u` escapes.
enum JSONQuoting {
    /// `"…"` with `"`, `\` and every control character U+0000–U+001F escaped; U+2028 and
    /// U+2029 are escaped too, because JavaScript before ES2019 reads them as line ends, and
    /// U+FEFF, because some readers (Foundation's JSONSerialization among them) drop it.
    static func string(_ value: String) -> String {
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x22: quoted += "\\\""
            case 0x5C: quoted += "\\\\"
            case 0x08: quoted += "\\b"
            case 0x0C: quoted += "\\f"
            case 0x0A: quoted += "\\n"
            case 0x0D: quoted += "\\r"
            case 0x09: quoted += "\\t"
            case 0x00...0x1F, 0x2028, 0x2029, 0xFEFF:
                quoted += "\\u" + hex4(scalar.value)
            default:
                quoted.unicodeScalars.append(scalar)
            }
        }
        quoted += "\""
        return quoted
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = Array("0123456789abcdef".unicodeScalars)
        var text = ""
        for shift in stride(from: 12, through: 0, by: -4) {
            text.unicodeScalars.append(digits[Int((value >> UInt32(shift)) & 0xF)])
        }
        return text
    }
}
