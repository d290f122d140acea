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

    /// A name as it may appear in an error: control characters replaced, length bounded.
    public static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.prefix(80).map { $0.value < 0x20 || $0.value == 0x7f ? "?" : $0 }))
    }
}
