import ArgumentParser
import Vault
import VaultOperations

/// Options every command accepts.
public struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The vault file (default: $TWVAULT_VAULT, else ~/.local/share/twvault/vault.db).", valueName: "path"))
    public var vault: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Read the passphrase from this file (one trailing newline is removed).", valueName: "path"))
    public var passphraseFile: String?

    @Option(name: .long, help: ArgumentHelp("Read the passphrase from this open file descriptor.", valueName: "n"))
    public var passphraseFd: Int32?

    @Flag(name: .shortAndLong, help: "Print nothing but results and errors.")
    public var quiet = false

    @Flag(name: .shortAndLong, help: "Explain each step on stderr (never secrets).")
    public var verbose = false

    public init() {}

    /// Global options given before the subcommand (`twvault --vault X list`), moved after it
    /// where the subcommand's option group parses them: both spellings mean the same.
    static func movedAfterSubcommand(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let word = rest.first {
            let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
            if ["--vault", "--passphrase-file", "--passphrase-fd"].contains(name) {
                leading.append(word)
                rest = rest.dropFirst()
                if name == word, let value = rest.first {
                    leading.append(value)
                    rest = rest.dropFirst()
                }
            } else if ["-q", "--quiet", "-v", "--verbose"].contains(word) {
                leading.append(word)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty, let subcommand = rest.first, !subcommand.hasPrefix("-") else { return arguments }
        rest = rest.dropFirst()
        // A command group (`import`) takes no options itself: they go after its subcommand.
        if groups.contains(subcommand), let nested = rest.first, !nested.hasPrefix("-") {
            return [subcommand, nested] + leading + Array(rest.dropFirst())
        }
        return [subcommand] + leading + Array(rest)
    }

    /// The commands that only group subcommands (`import twilio-cli`).
    static let groups: Set<String> = Set(
        Twvault.configuration.subcommands.filter { !$0.configuration.subcommands.isEmpty }
            .compactMap { $0.configuration.commandName })

    /// The same options as plain values.
    var values: AccessOptions {
        AccessOptions(
            vault: vault, passphraseFile: passphraseFile, passphraseFd: passphraseFd, quiet: quiet, verbose: verbose)
    }
}

/// The Argon2id cost of a new passphrase slot.
enum KDFLevel: String, ExpressibleByArgument, CaseIterable {
    case interactive, moderate, sensitive

    var limits: KDFLimits {
        switch self {
        case .interactive: .interactive
        case .moderate: .moderate
        case .sensitive: .sensitive
        }
    }
}

/// Options for commands that may set a new passphrase.
struct NewPassphraseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the new passphrase from this file (else $TWVAULT_NEW_PASSPHRASE, else asked twice).",
            valueName: "path"))
    var newPassphraseFile: String?

    @Option(name: .long, help: "Argon2id cost of the new passphrase: interactive, moderate (default) or sensitive.")
    var kdf: KDFLevel = .moderate
}
