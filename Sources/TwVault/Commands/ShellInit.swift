import ArgumentParser
import VaultOperations

struct ShellInit: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell-init",
        abstract: "Print the shell integration: use, unlock and lock in this shell, completion, prompt.",
        discussion: """
            Defines a shell function `twvault` that runs the binary for every command, except:
              twvault use PROFILE [--no-token]   set the profile's variables in this shell; on any
                                                 failure none are left set
              twvault use --off                  unset them all
              twvault unlock …                   add the vault's unlock to TWVAULT_SESSION in this shell
              twvault lock                       end every unlock of the vault, and take it out of
                                                 TWVAULT_SESSION (other vaults' unlocks stay)
            It also installs completion (commands, options, profile names) and `twvault_prompt`, which \
            prints the active profile without starting a process (an optional printf format is \
            applied when a profile is active). Nothing else is defined but names starting with _twvault.

            Examples (in ~/.bashrc, ~/.zshrc after compinit, ~/.config/fish/config.fish):
              eval "$(twvault shell-init bash)"
              eval "$(twvault shell-init zsh)"
              twvault shell-init fish | source
              PS1='$(twvault_prompt "(%s) ")\\$ '
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "bash, zsh or fish.")
    var shell: IntegrationShell

    func run(in context: Context) async throws {
        let output = context.withOutput(quiet: global.quiet, verbose: global.verbose).output
        output.stdout(ShellIntegration.script(for: shell))
        if context.stdoutIsTerminal {
            let line =
                shell == .fish ? "twvault shell-init fish | source" : "eval \"$(twvault shell-init \(shell.rawValue))\""
            output.warn("this is code for your shell; load it with: \(line)")
        }
    }
}

/// `use` lives in the shell function that shell-init defines: a child process cannot change its
/// shell's variables. Run directly, it says how to load the function.
struct Use: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "use",
        abstract: "Switch this shell to a profile (through shell-init).",
        discussion: """
            Sets the profile's variables in the current shell, as `eval "$(twvault export PROFILE)"` \
            does, but leaves none of them set when anything fails. --off unsets them all. It works \
            through the function that `twvault shell-init` defines.

            Examples:
              twvault use acme-prod
              twvault use acme-staging --no-token
              twvault use --off
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The profile (default: $TWVAULT_PROFILE).", completion: CompletionKind.profileNames)
    var profile: String?
    @Flag(help: "Do not include or fetch an OAuth access token.")
    var noToken = false
    @Flag(help: "Unset every variable of the active profile.")
    var off = false

    func validate() throws {
        if off, profile != nil || noToken { throw ValidationError("--off takes no profile and no other flag") }
    }

    func run(in context: Context) async throws {
        let shell = context.env("SHELL").map { String($0.split(separator: "/").last ?? "") }
        let name = IntegrationShell(rawValue: shell ?? "") ?? .bash
        let load =
            name == .fish ? "twvault shell-init fish | source" : "eval \"$(twvault shell-init \(name.rawValue))\""
        throw OperationError.usage(
            "use changes this shell's variables, so it runs in the twvault shell function: load it with \(load)")
    }
}

/// The code `shell-init` prints. Each shell gets the same behaviour:
/// - `twvault` finds the command word past the global options and intercepts `use`, `unlock`
///   and `lock`; everything else (help, `---completion`, unknown words) goes to the binary.
/// - `use` runs `export` for this shell's format and checks its status before applying anything:
///   on failure it unsets every variable of DESIGN §3 and the extra variables named in
///   `TWVAULT_VARS`, then returns the binary's status. On success it unsets them too before
///   applying the output, so nothing of the previous profile survives whatever export prints.
/// - Help (`-h`, `--help`) and an explicit `--format` go to the binary and are never evaluated.
enum ShellIntegration {
    static func script(for shell: IntegrationShell) -> String {
        let functions =
            switch shell {
            case .bash: bash
            case .zsh: zsh
            case .fish: fish
            }
        return functions + "\n" + CompletionScript.embedded(for: shell)
    }

    /// Every variable `use` sets or unsets: DESIGN §3's set and `TWVAULT_VARS`.
    static var managedNames: String { (ProfileEnvironment.managedNames + ["TWVAULT_VARS"]).joined(separator: " ") }

    /// Names an inherited `TWVAULT_VARS` may list that are never unset: variables that change how a
    /// shell or a program runs (DESIGN §11). Shell `case` patterns.
    static let protectedNames = ExtraVariables.refusedPatterns

    /// Letters spelled out: a range such as `[A-Z]` follows the locale's collation in some shells.
    static let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    static let nameCharacters = upper + "0123456789_"
    static let profileCharacters = upper + upper.lowercased() + "0123456789._-"

    /// Shared by bash and zsh: the loop over `TWVAULT_VARS` that skips malformed and protected names.
    static let posixSkipPattern = """
        '' | [!\(upper)]* | *[!\(nameCharacters)]* | \(protectedNames.joined(separator: " | "))
        """

    static var bash: String {
        #"""
        # twvault shell integration for bash: eval "$(twvault shell-init bash)"
        # Defines twvault, twvault_prompt and names starting with _twvault, nothing else.

        twvault() {
            local _twvault_at=0 _twvault_word _twvault_value=
            for _twvault_word in "$@"; do
                _twvault_at=$((_twvault_at + 1))
                if [ -n "$_twvault_value" ]; then
                    _twvault_value=
                    continue
                fi
                case $_twvault_word in
                --vault | --passphrase-file | --passphrase-fd) _twvault_value=1 ;;
                --vault=* | --passphrase-file=* | --passphrase-fd=* | -q | -v | --quiet | --verbose) ;;
                use | unlock | lock)
                    set -- "${@:1:_twvault_at-1}" "${@:_twvault_at+1}"
                    "_twvault__$_twvault_word" "$@"
                    return
                    ;;
                *) break ;;
                esac
            done
            command twvault "$@"
        }

        # Unsets every variable a profile may have set.
        _twvault__clear() {
            local _twvault_name _twvault_names
            IFS=' ' read -r -a _twvault_names <<<"${TWVAULT_VARS-}"
            for _twvault_name in "${_twvault_names[@]}"; do
                case $_twvault_name in
                \#(posixSkipPattern)) continue ;;
                esac
                [ "${#_twvault_name}" -le 64 ] && unset -v "$_twvault_name"
            done
            unset -v \#(managedNames)
        }

        # The arguments of use, without the word itself.
        _twvault__use() {
            local _twvault_word _twvault_value= _twvault_off= _twvault_other= _twvault_output _twvault_status=0
            for _twvault_word in "$@"; do
                if [ -n "$_twvault_value" ]; then
                    _twvault_value=
                    continue
                fi
                case $_twvault_word in
                -h | --help)
                    command twvault use "$@"
                    return
                    ;;
                --vault | --passphrase-file | --passphrase-fd) _twvault_value=1 ;;
                --vault=* | --passphrase-file=* | --passphrase-fd=* | -q | -v | --quiet | --verbose) ;;
                --off) _twvault_off=1 ;;
                --format | --format=*)
                    _twvault__clear
                    printf '%s\n' "twvault: use takes no --format: it prints for this shell" >&2
                    return 64
                    ;;
                *) _twvault_other=1 ;;
                esac
            done
            if [ -n "$_twvault_off" ]; then
                _twvault__clear
                if [ -n "$_twvault_other" ]; then
                    printf '%s\n' "twvault: use --off takes no profile and no other flag" >&2
                    return 64
                fi
                return 0
            fi
            _twvault_output=$(command twvault export "$@" --format sh) || _twvault_status=$?
            _twvault__clear
            [ "$_twvault_status" -eq 0 ] || return "$_twvault_status"
            eval "$_twvault_output" || {
                _twvault_status=$?
                _twvault__clear
                return "$_twvault_status"
            }
        }

        _twvault__unlock() {
            local _twvault_word _twvault_output _twvault_status=0
            for _twvault_word in "$@"; do
                case $_twvault_word in
                -h | --help | --format | --format=*)
                    command twvault unlock "$@"
                    return
                    ;;
                esac
            done
            _twvault_output=$(command twvault unlock "$@") || _twvault_status=$?
            [ "$_twvault_status" -eq 0 ] || return "$_twvault_status"
            eval "$_twvault_output"
        }

        _twvault__lock() {
            local _twvault_word _twvault_output _twvault_status=0
            for _twvault_word in "$@"; do
                case $_twvault_word in
                -h | --help | --format | --format=*)
                    command twvault lock "$@"
                    return
                    ;;
                esac
            done
            _twvault_output=$(command twvault lock "$@" --format sh) || _twvault_status=$?
            [ "$_twvault_status" -eq 0 ] || return "$_twvault_status"
            eval "$_twvault_output"
        }

        # The active profile for a prompt, with builtins only. $1: a printf format (default %s),
        # applied only when a profile is active.
        twvault_prompt() {
            [ -n "${TWVAULT_PROFILE-}" ] || return 0
            printf -- "${1:-%s}" "${TWVAULT_PROFILE//[!\#(profileCharacters)]/?}"
        }

        """#
    }

    static var zsh: String {
        #"""
        # twvault shell integration for zsh: eval "$(twvault shell-init zsh)", after compinit.
        # Defines twvault, twvault_prompt and names starting with _twvault, nothing else.

        twvault() {
            emulate -L zsh
            local _twvault_at=0 _twvault_word _twvault_value=
            for _twvault_word in "$@"; do
                _twvault_at=$((_twvault_at + 1))
                if [[ -n $_twvault_value ]]; then
                    _twvault_value=
                    continue
                fi
                case $_twvault_word in
                (--vault | --passphrase-file | --passphrase-fd) _twvault_value=1 ;;
                (--vault=* | --passphrase-file=* | --passphrase-fd=* | -q | -v | --quiet | --verbose) ;;
                (use | unlock | lock)
                    argv[$_twvault_at]=()
                    "_twvault__$_twvault_word" "$@"
                    return
                    ;;
                (*) break ;;
                esac
            done
            command twvault "$@"
        }

        # Unsets every variable a profile may have set.
        _twvault__clear() {
            emulate -L zsh
            local _twvault_name
            for _twvault_name in ${(s: :)${TWVAULT_VARS-}}; do
                case $_twvault_name in
                (\#(posixSkipPattern)) continue ;;
                esac
                (( ${#_twvault_name} <= 64 )) && unset $_twvault_name
            done
            unset \#(managedNames)
            return 0
        }

        # The arguments of use, without the word itself.
        _twvault__use() {
            emulate -L zsh
            local _twvault_word _twvault_value= _twvault_off= _twvault_other= _twvault_output
            local -i _twvault_status=0
            for _twvault_word in "$@"; do
                if [[ -n $_twvault_value ]]; then
                    _twvault_value=
                    continue
                fi
                case $_twvault_word in
                (-h | --help)
                    command twvault use "$@"
                    return
                    ;;
                (--vault | --passphrase-file | --passphrase-fd) _twvault_value=1 ;;
                (--vault=* | --passphrase-file=* | --passphrase-fd=* | -q | -v | --quiet | --verbose) ;;
                (--off) _twvault_off=1 ;;
                (--format | --format=*)
                    _twvault__clear
                    print -ru2 -- "twvault: use takes no --format: it prints for this shell"
                    return 64
                    ;;
                (*) _twvault_other=1 ;;
                esac
            done
            if [[ -n $_twvault_off ]]; then
                _twvault__clear
                if [[ -n $_twvault_other ]]; then
                    print -ru2 -- "twvault: use --off takes no profile and no other flag"
                    return 64
                fi
                return 0
            fi
            _twvault_output=$(command twvault export "$@" --format sh) || _twvault_status=$?
            _twvault__clear
            (( _twvault_status == 0 )) || return $_twvault_status
            eval "$_twvault_output" || {
                _twvault_status=$?
                _twvault__clear
                return $_twvault_status
            }
        }

        _twvault__unlock() {
            emulate -L zsh
            local _twvault_word _twvault_output
            local -i _twvault_status=0
            for _twvault_word in "$@"; do
                case $_twvault_word in
                (-h | --help | --format | --format=*)
                    command twvault unlock "$@"
                    return
                    ;;
                esac
            done
            _twvault_output=$(command twvault unlock "$@") || _twvault_status=$?
            (( _twvault_status == 0 )) || return $_twvault_status
            eval "$_twvault_output"
        }

        _twvault__lock() {
            emulate -L zsh
            local _twvault_word _twvault_output
            local -i _twvault_status=0
            for _twvault_word in "$@"; do
                case $_twvault_word in
                (-h | --help | --format | --format=*)
                    command twvault lock "$@"
                    return
                    ;;
                esac
            done
            _twvault_output=$(command twvault lock "$@" --format sh) || _twvault_status=$?
            (( _twvault_status == 0 )) || return $_twvault_status
            eval "$_twvault_output"
        }

        # The active profile for a prompt, with builtins only. $1: a printf format (default %s),
        # applied only when a profile is active.
        twvault_prompt() {
            emulate -L zsh
            [[ -n ${TWVAULT_PROFILE-} ]] || return 0
            printf -- "${1:-%s}" "${TWVAULT_PROFILE//[^\#(profileCharacters)]/?}"
        }

        """#
    }

    static var fish: String {
        #"""
        # twvault shell integration for fish: twvault shell-init fish | source
        # Defines twvault, twvault_prompt and names starting with _twvault, nothing else.

        function twvault --description 'twvault; use, unlock and lock change this shell'
            set -l at 0
            set -l value
            set -l word
            for word in $argv
                set at (math $at + 1)
                if set -q value[1]
                    set -e value
                    continue
                end
                switch $word
                    case --vault --passphrase-file --passphrase-fd
                        set value 1
                    case '--vault=*' '--passphrase-file=*' '--passphrase-fd=*' -q -v --quiet --verbose
                    case use unlock lock
                        set -e argv[$at]
                        _twvault__$word $argv
                        return
                    case '*'
                        break
                end
            end
            command twvault $argv
        end

        # Unsets every variable a profile may have set.
        function _twvault__clear
            set -l name
            for name in (string split -n ' ' -- "$TWVAULT_VARS")
                string match -qr '^[\#(upper)][\#(nameCharacters)]{0,63}$' -- $name; or continue
                switch $name
                    case \#(protectedNames.map { "'\($0)'" }.joined(separator: " "))
                        continue
                end
                set -eg $name
            end
            for name in \#(managedNames)
                set -eg $name
            end
            return 0
        end

        # The arguments of use, without the word itself.
        function _twvault__use
            set -l value
            set -l off
            set -l other
            set -l word
            for word in $argv
                if set -q value[1]
                    set -e value
                    continue
                end
                switch $word
                    case -h --help
                        command twvault use $argv
                        return
                    case --vault --passphrase-file --passphrase-fd
                        set value 1
                    case '--vault=*' '--passphrase-file=*' '--passphrase-fd=*' -q -v --quiet --verbose
                    case --off
                        set off 1
                    case --format '--format=*'
                        _twvault__clear
                        echo "twvault: use takes no --format: it prints for this shell" >&2
                        return 64
                    case '*'
                        set other 1
                end
            end
            if set -q off[1]
                _twvault__clear
                if set -q other[1]
                    echo "twvault: use --off takes no profile and no other flag" >&2
                    return 64
                end
                return 0
            end
            set -l output (command twvault export $argv --format fish)
            set -l code $status
            _twvault__clear
            test $code -eq 0; or return $code
            printf '%s\n' $output | source
            set code $status
            if test $code -ne 0
                _twvault__clear
                return $code
            end
        end

        function _twvault__unlock
            set -l word
            for word in $argv
                switch $word
                    case -h --help --format '--format=*'
                        command twvault unlock $argv
                        return
                end
            end
            set -l output (command twvault unlock $argv --format fish)
            set -l code $status
            test $code -eq 0; or return $code
            printf '%s\n' $output | source
        end

        function _twvault__lock
            set -l word
            for word in $argv
                switch $word
                    case -h --help --format '--format=*'
                        command twvault lock $argv
                        return
                end
            end
            set -l output (command twvault lock $argv --format fish)
            set -l code $status
            test $code -eq 0; or return $code
            printf '%s\n' $output | source
        end

        # The active profile for a prompt, with builtins only. $argv[1]: a printf format
        # (default %s), applied only when a profile is active.
        function twvault_prompt --description 'Print the active twvault profile'
            test -n "$TWVAULT_PROFILE"; or return 0
            set -l format '%s'
            set -q argv[1]; and set format $argv[1]
            printf $format (string replace -ra '[^\#(profileCharacters)]' '?' -- $TWVAULT_PROFILE)
        end

        """#
    }
}
