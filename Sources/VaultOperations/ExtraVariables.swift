import Vault

/// The rules for a profile's extra variables (DESIGN §11): which names they may take, which
/// names an inherited `TWVAULT_VARS` may make twvault unset, and the part of the environment
/// they make.
public enum ExtraVariables {
    /// The variable that lists, space separated, the extra variables an export set.
    public static let listName = "TWVAULT_VARS"

    /// Names that change how a shell or a program runs: never stored, exported or unset.
    /// Shell `case` patterns: a final `*` matches any rest (`shell-init` uses them as they are).
    public static let refusedPatterns = [
        "PATH", "HOME", "SHELL", "ENV", "BASH_ENV", "IFS", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "ZDOTDIR",
        "TMPDIR", "LD_*", "DYLD_*", "GCONV_PATH", "NODE_OPTIONS", "PYTHON*", "PERL5*", "RUBYOPT", "RUBYLIB",
        "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "GIT_*", "SSH_*", "TWVAULT_*",
    ]

    /// `^[A-Z][A-Z0-9_]{0,63}$`
    public static func isWellFormed(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), isUpper(bytes[0]) else { return false }
        return bytes.allSatisfy { isUpper($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == 95 }
    }

    /// The name matches one of `refusedPatterns`.
    public static func isRefused(_ name: String) -> Bool {
        refusedPatterns.contains { pattern in
            pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
        }
    }

    /// Names §3 gives to credentials and twvault's own variables: an extra variable never
    /// takes one (it would override a credential, or make `export` print a name twice).
    public static func isReserved(_ name: String) -> Bool {
        CredentialVariable(rawValue: name) != nil || ProfileVariable(rawValue: name) != nil || name == listName
            || CredentialVariable.ignoredNames.contains(name)
    }

    /// A name an extra variable may take, and that twvault may set or unset.
    public static func isAllowed(_ name: String) -> Bool { isWellFormed(name) && !isRefused(name) && !isReserved(name) }

    /// Why `name` cannot be an extra variable, as the end of a sentence naming it, or nil.
    /// Only a well-formed name is ever shown: anything else might be a pasted secret.
    public static func refusal(of name: String) -> String? {
        if !isWellFormed(name) {
            return "is not a variable name twvault stores: use A-Z, 0-9 and _, starting with a letter, at most 64"
        }
        if isRefused(name) { return "is refused: it changes how a shell or a program runs (see `twvault help add`)" }
        if isReserved(name) { return "is a variable twvault sets itself, not an extra variable" }
        return nil
    }

    /// The names in an inherited `TWVAULT_VARS` that twvault may unset: well formed, neither
    /// refused nor reserved, each once. Anything else in it is never touched.
    public static func inheritedNames(_ list: String?) -> [String] {
        guard let list else { return [] }
        var seen: Set<String> = []
        return list.split(separator: " ").map(String.init).filter { isAllowed($0) && seen.insert($0).inserted }
    }

    /// The part of the environment that extra variables make, after the variables of
    /// `ProfileEnvironment.variables`: unsets for the names in the inherited `TWVAULT_VARS`
    /// that the profile lacks, the profile's extra variables by name, then `TWVAULT_VARS`
    /// (empty when it has none). Names a record holds that are not allowed are left out and
    /// returned in `skipped`.
    public static func environment(_ record: VariablesRecord?, inherited: String?) -> (
        variables: [(name: String, value: String?)], skipped: [String]
    ) {
        let stored = record?.variables ?? [:]
        let names = stored.keys.sorted()
        var variables: [(name: String, value: String?)] = inheritedNames(inherited).filter { stored[$0] == nil }.map {
            ($0, nil)
        }
        let exported = names.filter(isAllowed)
        for name in exported { variables.append((name, stored[name])) }
        // Joined by hand: the standard library's generic `joined(separator:)`, reached
        // unspecialised here, resolves its collection's associated types by mangled name at
        // first use (a protocol-conformance scan on every warm `export`).
        var list = ""
        for name in exported {
            if !list.isEmpty { list += " " }
            list += name
        }
        variables.append((listName, list))
        return (variables, names.filter { !isAllowed($0) })
    }

    /// The warning for names a record holds that `export` and `exec` leave out; nil if none.
    public static func skippedWarning(_ skipped: [String], profile: String) -> String? {
        guard !skipped.isEmpty else { return nil }
        let shown = skipped.filter(isWellFormed)
        let others = skipped.count - shown.count
        var parts = shown
        if others > 0 { parts.append(others == 1 ? "1 malformed name" : "\(others) malformed names") }
        return "profile '\(profile)' holds extra variables twvault never sets; skipped: "
            + parts.joined(separator: ", ")
    }

    private static func isUpper(_ byte: UInt8) -> Bool { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }
}
