import ArgumentParser
import Vault
import VaultOperations

struct Completion: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print a completion script for bash, zsh or fish.",
        discussion: """
            The script completes commands, options and profile names; the names come from the vault \
            as `twvault list` reads them, without a passphrase. `make install` installs the three \
            scripts, and `twvault shell-init` includes the one for its shell.

            Examples:
              twvault completion bash > ~/.local/share/bash-completion/completions/twvault
              twvault completion zsh > ~/.zfunc/_twvault      # a directory in $fpath, before compinit
              twvault completion fish > ~/.config/fish/completions/twvault.fish
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "bash, zsh or fish.")
    var shell: IntegrationShell

    func run(in context: Context) async throws {
        context.output.stdout(CompletionScript.standalone(for: shell))
    }
}

/// The shells twvault integrates with.
enum IntegrationShell: String, CaseIterable, ExpressibleByArgument {
    case bash, zsh, fish

    var completionShell: CompletionShell {
        switch self {
        case .bash: .bash
        case .zsh: .zsh
        case .fish: .fish
        }
    }
}

/// argument-parser's completion scripts, adapted to twvault's rules: every name they define
/// starts with `_twvault` (the generator names its helpers `__twvault_…`), and the bash script
/// also loads in `bash --posix`, which refuses function names with a hyphen (`shell-init`).
enum CompletionScript {
    /// For a file the shell loads itself: bash-completion's directory, zsh's `$fpath`, fish's
    /// completions directory.
    static func standalone(for shell: IntegrationShell) -> String {
        var text = Twvault.completionScript(for: shell.completionShell)
            .replacing("__twvault_", with: "_twvault__")
        if shell == .bash { text = posixFunctionNames(text) }
        if shell == .fish { text = text.replacing(fishTokenCursor, with: fishCursorInToken) }
        return text.hasSuffix("\n") ? text : text + "\n"
    }

    /// For `shell-init`. zsh registers the function only where compinit has run: evaluated
    /// code cannot autoload itself, and `compdef` exists only after compinit.
    static func embedded(for shell: IntegrationShell) -> String {
        let text = standalone(for: shell)
        guard shell == .zsh, let tail = text.ranges(of: zshRegistration).last else { return text }
        return String(text[..<tail.lowerBound])
            + "if (( ${+functions[compdef]} )); then\n    compdef _twvault twvault\nfi\n"
    }

    /// How the generated zsh script ends: it calls itself when autoloaded, else registers.
    static let zshRegistration = "if [[ \"${funcstack[1]}\" = _twvault ]]; then"

    /// fish 3 prints nothing for `commandline -o -tC`, so the binary would get no cursor index and
    /// refuse the request; the length of the token up to the cursor is that index in fish 3 and 4.
    static let fishTokenCursor = "(_twvault__tokens -tC)"
    static let fishCursorInToken = "(string length -- \"$(commandline -ct)\")"

    /// `_twvault_shell-init() {` becomes `_twvault_shell_init() {`, and the dispatch on the
    /// subcommand's name maps `-` to `_` the same way.
    static func posixFunctionNames(_ script: String) -> String {
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix("_twvault"), line.hasSuffix("() {") else { return String(line) }
            let name = line.dropLast("() {".count)
            return name.replacing("-", with: "_") + "() {"
        }
        return lines.joined(separator: "\n").replacing("_${subcommand}\"", with: "_${subcommand//-/_}\"")
    }
}

extension CompletionKind {
    /// The vault's profile names.
    static var profileNames: CompletionKind {
        .custom { words, _, _ in ProfileCompletion.names(words: words) }
    }

    /// Profile names for the first operand of `exec`, whose one argument also holds the command.
    static var execProfile: CompletionKind {
        .custom { words, index, _ in
            ProfileCompletion.isFirstOperand(at: index, after: "exec", in: words)
                ? ProfileCompletion.names(words: words) : []
        }
    }
}

/// Profile names for a shell's completion, read as `twvault list` reads them: no passphrase,
/// nothing written. `words` is the command line being completed, as the shell split it.
enum ProfileCompletion {
    static func names(words: [String]) -> [String] {
        let context = Context.live(childCoreLimit: nil)
        let access = VaultAccess(AccessOptions(vault: vaultOption(in: words, env: context.env)), context: context)
        guard let names = try? access.open().profileNames() else { return [] }
        // bash expands each word of a completion list, so a name from a tampered file such as
        // `$(…)` would run: only names of the documented form are offered.
        return names.filter(Names.isValidProfile)
    }

    /// The global options that take a value in the next word.
    static let optionsWithValue = ["--vault", "--passphrase-file", "--passphrase-fd"]

    /// The `--vault PATH` or `--vault=PATH` typed on the line, as the shell would read a plain
    /// word: one level of quotes removed, a leading `~` and `$NAME` or `${NAME}` expanded (not
    /// within single quotes).
    static func vaultOption(in words: [String], env: (String) -> String?) -> String? {
        var value: String?
        var index = words.startIndex
        while index < words.endIndex {
            let word = words[index]
            if word == "--vault", index + 1 < words.endIndex {
                value = words[index + 1]
                index += 1
            } else if word.hasPrefix("--vault=") {
                value = String(word.dropFirst("--vault=".count))
            }
            index += 1
        }
        guard var path = value, !path.isEmpty else { return nil }
        if path.count >= 2, path.first == "'", path.last == "'" { return String(path.dropFirst().dropLast()) }
        if path.count >= 2, path.first == "\"", path.last == "\"" { path = String(path.dropFirst().dropLast()) }
        if let home = env("HOME"), path == "~" || path.hasPrefix("~/") { path = home + path.dropFirst() }
        path = expandingVariables(path, env: env)
        return path.isEmpty ? nil : path
    }

    /// `$NAME` and `${NAME}` replaced by their values (empty when unset).
    static func expandingVariables(_ text: String, env: (String) -> String?) -> String {
        var result = ""
        var rest = text[...]
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            var after = rest[rest.index(after: dollar)...]
            let braced = after.first == "{"
            if braced { after = after.dropFirst() }
            let name = after.prefix { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
            if name.isEmpty || (braced && after.dropFirst(name.count).first != "}") {
                result += "$"
                rest = rest[rest.index(after: dollar)...]
                continue
            }
            result += env(String(name)) ?? ""
            rest = after.dropFirst(name.count + (braced ? 1 : 0))
        }
        return result + rest
    }

    /// Whether `words[index]` is the first word after `command` that is neither an option nor an
    /// option's value, with no `--` before it.
    static func isFirstOperand(at index: Int, after command: String, in words: [String]) -> Bool {
        guard let start = words.firstIndex(of: command), start < index, index < words.endIndex else { return false }
        var position = start + 1
        while position < index {
            let word = words[position]
            if word == "--" || !word.hasPrefix("-") { return false }
            position += optionsWithValue.contains(word) ? 2 : 1
        }
        return position == index && !words[index].hasPrefix("-")
    }
}
