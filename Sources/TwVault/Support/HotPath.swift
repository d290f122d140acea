import ShellSyntax
import VaultOperations

/// `export` and `token`, the commands shells and scripts run most often, parsed without
/// ArgumentParser. Building its command tree resolves generic types and protocol conformances
/// at run time, a few milliseconds in a binary this size: more than the rest of a warm `export`
/// (DESIGN §9).
///
/// Only plain argument lists are taken: the command name first, then the profile and the
/// options as separate words, each at most once. Anything else (help, `--version`,
/// `--name=value`, bundled short flags, `--`, a repeat, an unknown word, a value that is
/// missing, empty or starts with `-`, an unknown format) returns nil and goes to ArgumentParser,
/// which parses it or reports the error exactly as before.
enum HotPath {
    enum Command {
        case export(AccessOptions, profile: String?, format: ExportFormat?, noToken: Bool)
        case token(AccessOptions, profile: String?, refresh: Bool, json: Bool)
    }

    /// The command for `arguments` (without the program name), or nil.
    static func parse(_ arguments: ArraySlice<String>) -> Command? {
        guard let command = arguments.first, command == "export" || command == "token" else { return nil }
        var rest = arguments.dropFirst()
        var options = AccessOptions(vault: nil, passphraseFile: nil, passphraseFd: nil, quiet: false, verbose: false)
        var profile: String?
        var format: ExportFormat?
        // Arrays, not sets: a few words, and no hashing machinery to set up at start.
        var flags: [String] = []
        var seen: [String] = []
        while let word = rest.popFirst() {
            guard !word.isEmpty else { return nil }
            guard word.hasPrefix("-") else {
                // "help" may mean ArgumentParser's help command: let it decide.
                guard profile == nil, word != "help" else { return nil }
                profile = word
                continue
            }
            let name = word == "-q" ? "--quiet" : word == "-v" ? "--verbose" : word
            guard !seen.contains(name) else { return nil }
            seen.append(name)
            switch name {
            case "--vault", "--passphrase-file", "--passphrase-fd", "--format":
                guard let value = rest.popFirst(), !value.isEmpty, !value.hasPrefix("-") else { return nil }
                switch name {
                case "--vault": options.vault = value
                case "--passphrase-file": options.passphraseFile = value
                case "--passphrase-fd":
                    guard let fd = Int32(value) else { return nil }
                    options.passphraseFd = fd
                default:
                    guard command == "export", let value = ExportFormat(rawValue: value) else { return nil }
                    format = value
                }
            case "--quiet": options.quiet = true
            case "--verbose": options.verbose = true
            case "--no-token" where command == "export", "--refresh" where command == "token",
                "--json" where command == "token":
                flags.append(name)
            default:
                return nil
            }
        }
        if command == "export" {
            return .export(options, profile: profile, format: format, noToken: flags.contains("--no-token"))
        }
        return .token(options, profile: profile, refresh: flags.contains("--refresh"), json: flags.contains("--json"))
    }

    nonisolated(nonsending) static func run(_ command: Command, context: Context) async throws {
        switch command {
        case let .export(options, profile, format, noToken):
            try await Export.run(
                access: VaultAccess(options, context: context), profile: profile, format: format, noToken: noToken)
        case let .token(options, profile, refresh, json):
            try await Token.run(
                access: VaultAccess(options, context: context), profile: profile, refresh: refresh, json: json)
        }
    }
}
