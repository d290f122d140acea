/// Validation of the names and identifiers the vault stores.
public enum Names {
    /// `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`
    public static func isValidProfile(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.dropFirst().allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    public static func validateProfile(_ name: String) throws(VaultError) {
        guard isValidProfile(name) else {
            throw .invalidName(
                "invalid profile name '\(printable(name))': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
    }

    /// Slot labels follow the profile-name rule.
    public static func validateSlotLabel(_ label: String) throws(VaultError) {
        guard isValidProfile(label) else {
            throw .invalidName("invalid slot label '\(printable(label))': use 1-64 letters, digits, '.', '_' or '-'")
        }
    }

    /// Account SID: `AC` and 32 hex digits.
    public static func isAccountSID(_ text: String) -> Bool { matches(text, prefix: "AC", hexOnly: true) }
    /// API key SID: `SK` and 32 hex digits.
    public static func isAPIKeySID(_ text: String) -> Bool { matches(text, prefix: "SK", hexOnly: true) }
    /// OAuth client id: `OQ` and 32 letters or digits.
    public static func isClientID(_ text: String) -> Bool { matches(text, prefix: "OQ", hexOnly: false) }

    private static func matches(_ text: String, prefix: String, hexOnly: Bool) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 34, text.hasPrefix(prefix) else { return false }
        return bytes.dropFirst(2).allSatisfy { hexOnly ? isHex($0) : isAlphanumeric($0) }
    }

    static func isAlphanumeric(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }

    static func isHex(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(c)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }

    /// A name as it may appear in an error or a listing: length bounded, and every character
    /// that could drive a terminal or reorder the text around it escaped (`escaped(_:)`).
    public static func printable(_ text: String) -> String {
        escaped(String(String.UnicodeScalarView(text.unicodeScalars.prefix(80))))
    }

    /// How a profile name or slot label read from the vault file is shown: as it is when it
    /// follows the name rule, else escaped. A name planted in the file by SQL (bypassing
    /// validation) can then neither send escape sequences to the terminal nor reverse the
    /// text printed after it.
    public static func display(_ name: String) -> String {
        isValidProfile(name) ? name : escaped(name)
    }

    /// `text` with each character a terminal or the bidirectional algorithm acts on written
    /// as an escape: `\x1b` for C0 and C1 controls and DEL, `\u{202E}` for the directional
    /// formatting characters, line and paragraph separators; a backslash is doubled so the
    /// escaped form cannot be mistaken for one made by this function.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0) || $0 == "\\" }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "\\" {
                out += "\\\\"
            } else if needsEscape(scalar) {
                out += escape(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `text` with every terminal-controlling or direction-changing character escaped, but
    /// backslashes kept: for whole messages, which may already hold escapes made here.
    public static func terminalSafe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) { out += escape(scalar) } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// C0 controls, DEL, C1 controls; the bidirectional marks, embeddings, overrides and
    /// isolates (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069); U+2028 and U+2029,
    /// which some terminals and editors treat as line breaks.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1f, 0x7f...0x9f: true
        case 0x061c, 0x200e, 0x200f, 0x2028...0x202e, 0x2066...0x2069: true
        default: false
        }
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: scalar.value > 0xff)
        if scalar.value <= 0xff { return "\\x" + (hex.count == 1 ? "0" + hex : hex) }
        return "\\u{" + hex + "}"
    }
}
