import Foundation
import Testing

/// Completion as each shell runs it, through the shell-init function and through the standalone
/// script, with profile names read from a real vault by the built binary.
@Suite struct CompletionShellTests {
    /// A second vault, named on the command line with --vault.
    static func otherVault(_ fixture: ShellFixture) throws -> String {
        let path = fixture.harness.root.path + "/other/vault.db"
        try fixture.add(
            "other-one", "TWILIO_ACCOUNT_SID=\(ShellFixture.betaSID)\nTWILIO_AUTH_TOKEN=\(Harness.authToken)\n",
            vault: path)
        return path
    }

    /// bash: COMP_WORDS and COMP_CWORD set as readline would, the completion function called,
    /// COMPREPLY printed sorted on one line per request.
    static let bashRequests = """
        request() {
            COMP_WORDS=("$@")
            COMP_CWORD=$(($# - 1))
            COMP_LINE="$*"
            COMP_POINT=${#COMP_LINE}
            COMPREPLY=()
            local function
            function=$(complete -p twvault | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')
            "$function" twvault "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            if ((${#COMPREPLY[@]})); then printf '%s\\n' "${COMPREPLY[@]}" | sort | tr '\\n' ' '; fi
            printf '\\n'
        }
        request twvault export acme
        request twvault use ''
        request twvault exec ''
        request twvault exec acme-prod ''
        request twvault show --vault "$OTHER" ''
        request twvault ex
        request twvault export --no
        request twvault shell-init ''

        """

    static let expected = [
        "acme-prod acme-staging ",
        "acme-prod acme-staging beta ",
        "acme-prod acme-staging beta ",
        "",
        "other-one ",
        "exec export ",
        "--no-token ",
        "bash fish zsh ",
    ]

    @Test(arguments: [IntegrationShellKind.bash, .bashPosix]) func bashCompletesThroughShellInit(
        kind: IntegrationShellKind
    ) throws {
        let fixture = try ShellFixture()
        let other = try Self.otherVault(fixture)
        let result = try fixture.run(kind, kind.loadLine + "\n" + Self.bashRequests, env: ["OTHER": other])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast()
                == Self.expected[...])
    }

    @Test func bashCompletesWithTheStandaloneScript() throws {
        let fixture = try ShellFixture()
        let other = try Self.otherVault(fixture)
        let script = "source <(twvault completion bash)\n" + Self.bashRequests
        let result = try fixture.run(.bash, script, env: ["OTHER": other])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast()
                == Self.expected[...])
    }

    @Test func fishCompletesThroughShellInit() throws {
        let fixture = try ShellFixture()
        let other = try Self.otherVault(fixture)
        let requests = [
            "twvault export acme", "twvault use ", "twvault exec ", "twvault exec acme-prod ",
            "twvault show --vault $OTHER ", "twvault ex", "twvault export --no", "twvault shell-init ",
        ]
        let script =
            "twvault shell-init fish | source\n"
            + requests.map {
                "set -l found (complete -C '\($0)' | string replace -r '\\t.*' '' | sort); echo \"$found\""
            }.joined(separator: "\n") + "\n"
        // Interactive: `commandline`, which the completion script reads, needs it.
        var env = fixture.environment
        env["OTHER"] = other
        let result = try Harness.execute(
            "/usr/bin/setsid", ["-w", "/usr/bin/fish", "--no-config", "-i", "-c", script], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let expected = Self.expected.map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(Array(lines.prefix(expected.count)) == expected, "\(result.stdout)")
    }

    /// zsh in a pseudo-terminal (zsh/zpty): the line is typed with a TAB, and a `compadd`
    /// function records every match the completion system adds. TAB runs zsh's own
    /// expand-or-complete and then shows a numbered message; the next keys are sent only once
    /// that message is on the terminal, so nothing is typed ahead of a running completion.
    @Test func zshCompletesThroughShellInitInAPseudoTerminal() throws {
        let fixture = try ShellFixture()
        let hits = fixture.harness.root.path + "/hits"
        let script = #"""
            zmodload zsh/zpty || exit 3
            zpty -b typing 'TERM=xterm zsh -f -i'
            zpty -w typing 'unsetopt auto_list auto_menu list_beep; bindkey -e; PS1=""'
            zpty -w typing 'autoload -Uz compinit && compinit -u -D'
            zpty -w typing 'eval "$(twvault shell-init zsh)"'
            zpty -w typing '_tab() { zle expand-or-complete; zle -M "COMPLETED-$((++_tabs))"; }'
            zpty -w typing 'zle -N _tab && bindkey "^I" _tab'
            zpty -w typing "print -r -- RE''ADY"
            zpty -r typing output '*READY*'
            zpty -w typing 'compadd() {
                if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
                local -a matches
                builtin compadd -A matches "$@"
                (( $#matches )) && print -rl -- $matches >> "$HITS"
                builtin compadd "$@"
            }'
            request() {
                print -r -- "#$1" >> "$HITS"
                zpty -w -n typing "$1"$'\t'
                zpty -r typing output "*COMPLETED-$2*"
                zpty -w typing $'\C-u'"print -r -- DO''NE-$2"
                zpty -r typing output "*DONE-$2*"
            }
            request 'twvault export acme' 1
            request 'twvault use ' 2
            request 'twvault show --vault $OTHER ' 3
            request 'twvault exec acme-prod -- ' 4
            zpty -w typing 'exit'
            zpty -d typing
            cat "$HITS"

            """#
        let other = try Self.otherVault(fixture)
        var env = fixture.environment
        env["HITS"] = hits
        env["OTHER"] = other
        let result = try Harness.execute(
            "/usr/bin/timeout", ["120", "/usr/bin/zsh", "-f", "-c", script], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        var groups: [String: Set<String>] = [:]
        var current = ""
        for line in result.stdout.split(separator: "\n").map(String.init) {
            if line.hasPrefix("#") {
                current = String(line.dropFirst())
                groups[current] = []
            } else {
                groups[current, default: []].insert(line)
            }
        }
        #expect(groups["twvault export acme"] == ["acme-prod", "acme-staging"], "\(result.stdout)")
        #expect(groups["twvault use "] == ["acme-prod", "acme-staging", "beta"], "\(result.stdout)")
        #expect(groups["twvault show --vault $OTHER "] == ["other-one"], "\(result.stdout)")
        #expect(groups["twvault exec acme-prod -- "]?.isDisjoint(with: ["acme-prod", "acme-staging", "beta"]) == true)
    }

    /// The function the zsh script registers, and the call it makes for profile names.
    @Test func zshRegistersTheFunctionAndListsProfiles() throws {
        let fixture = try ShellFixture()
        let script = """
            autoload -Uz compinit && compinit -u -D
            eval "$(twvault shell-init zsh)"
            print -r -- "registered=$_comps[twvault]"
            SAP_SHELL=zsh twvault ---completion export -- positional@0 2 4 twvault export acme

            """
        let result = try fixture.run(.zsh, script)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("registered=_twvault\n"))
        #expect(result.stdout.contains("acme-prod\nacme-staging\nbeta\n"))
    }

    /// A name that is not of the documented form (a tampered file) is never offered: bash would
    /// expand it as code.
    @Test func aMalformedNameIsNeverOffered() throws {
        let fixture = try ShellFixture()
        let canary = fixture.harness.root.path + "/canary"
        // Rename one record's profile in the file itself, as someone with write access could.
        let python = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("UPDATE record SET profile = ? WHERE profile = 'beta'", ("$(touch " + sys.argv[2] + ")",))
            db.commit()

            """
        let tamper = try Harness.execute(
            "/usr/bin/python3", ["-c", python, fixture.harness.vaultPath, canary],
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(tamper.status == 0, "\(tamper.stderr)")
        let list = try fixture.harness.run(["list"])
        #expect(list.stdout.contains("touch"), "the tampered name is in the file: \(list.stdout)")
        let result = try fixture.run(
            .bash, IntegrationShellKind.bash.loadLine + "\n" + Self.bashRequests, env: ["OTHER": "/none"])
        #expect(result.stdout.hasPrefix("acme-prod acme-staging \nacme-prod acme-staging \n"), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: canary))
    }
}
