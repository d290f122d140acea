import Foundation
import Testing

/// The shells `shell-init` supports, as the tests start them: no rc files, no controlling terminal.
enum IntegrationShellKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case bash
    case bashPosix = "bash --posix"
    case zsh
    case fish

    var testDescription: String { rawValue }

    /// The name `shell-init` and `completion` take.
    var initName: String {
        switch self {
        case .bash, .bashPosix: "bash"
        case .zsh: "zsh"
        case .fish: "fish"
        }
    }

    /// The command line that runs `script`.
    func command(_ script: String) -> [String] {
        switch self {
        case .bash: ["/bin/bash", "-c", script]
        case .bashPosix: ["/bin/bash", "--posix", "-c", script]
        case .zsh: ["/usr/bin/zsh", "-f", "-c", script]
        case .fish: ["/usr/bin/fish", "--no-config", "-c", script]
        }
    }

    var isFish: Bool { self == .fish }

    /// How a script loads the integration, as a user's rc file would.
    var loadLine: String {
        isFish ? "twvault shell-init fish | source" : "eval \"$(twvault shell-init \(initName))\""
    }

    /// `report LABEL STATUS` prints `[LABEL] STATUS` and then, one per line, each variable of the
    /// profile that is set: the account SID and the profile with their values (not secret),
    /// the others as `NAME set` (never their values), then `--`.
    var reportFunction: String {
        let names = ShellFixture.watchedNames.joined(separator: " ")
        if isFish {
            return """
                function report
                    echo "[$argv[1]] $argv[2]"
                    for name in \(names)
                        if set -q $name
                            switch $name
                                case TWILIO_ACCOUNT_SID TWVAULT_PROFILE
                                    echo "$name=$$name"
                                case '*'
                                    echo "$name set"
                            end
                        end
                    end
                    printf '%s\\n' --
                end

                """
        }
        return """
            report() {
                printf '[%s] %s\\n' "$1" "$2"
                for name in \(names); do
                    eval "state=\\${$name+set}"
                    if [ "$state" = set ]; then
                        case $name in
                        TWILIO_ACCOUNT_SID | TWVAULT_PROFILE) eval "printf '%s=%s\\n' $name \\"\\$$name\\"" ;;
                        *) printf '%s set\\n' "$name" ;;
                        esac
                    fi
                done
                printf '%s\\n' --
            }

            """
    }

    /// The status of the last command.
    var status: String { isFish ? "$status" : "$?" }
}

/// A vault with three profiles, the built binary alone in a directory on PATH, and a way to run
/// a script in a real shell under `setsid` (no terminal, so nothing can prompt).
final class ShellFixture {
    let harness: Harness
    let bin: String

    static let prodSID = Harness.accountSID
    static let stagingSID = Harness.otherAccountSID
    static let betaSID = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    static let watchedNames = [
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_CLIENT_ID",
        "TWILIO_CLIENT_SECRET", "TWILIO_ACCESS_TOKEN", "TWILIO_REGION", "TWILIO_EDGE", "TWVAULT_PROFILE",
        "TWVAULT_VARS", "TWVAULT_SESSION", "FOO_BAR",
    ]

    /// acme-prod: SID, auth token, API key. acme-staging: another SID, API key only. beta: SID
    /// and auth token.
    init() throws {
        harness = try Harness()
        bin = harness.root.path + "/bin"
        try harness.makeVault(
            profile: "acme-prod",
            lines: """
                TWILIO_ACCOUNT_SID=\(Self.prodSID)
                TWILIO_AUTH_TOKEN=\(Harness.authToken)
                TWILIO_API_KEY=\(Harness.apiKeySID)
                TWILIO_API_SECRET=\(Harness.apiSecret)

                """)
        try add(
            "acme-staging",
            "TWILIO_ACCOUNT_SID=\(Self.stagingSID)\nTWILIO_API_KEY=\(Harness.apiKeySID)\nTWILIO_API_SECRET=\(Harness.apiSecret)\n"
        )
        try add("beta", "TWILIO_ACCOUNT_SID=\(Self.betaSID)\nTWILIO_AUTH_TOKEN=\(Harness.authToken)\n")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/twvault", withDestinationPath: Harness.binary)
    }

    func add(_ profile: String, _ lines: String, vault: String? = nil) throws {
        var arguments = ["add", profile, "--stdin", "--kdf", "interactive"]
        if let vault { arguments += ["--vault", vault] }
        let result = try harness.run(arguments, stdin: lines, passphrase: true)
        #expect(result.status == 0, "add \(profile): \(result.stderr)")
    }

    var environment: [String: String] {
        var env = harness.baseEnvironment()
        env["PATH"] = bin + ":/usr/bin:/bin"
        env["TWVAULT_PASSPHRASE_FILE"] = harness.passphraseFile
        env["TERM"] = "dumb"
        return env
    }

    func run(_ kind: IntegrationShellKind, _ script: String, env extra: [String: String] = [:]) throws -> Harness.Result
    {
        var env = environment
        for (key, value) in extra { env[key] = value }
        return try Harness.execute("/usr/bin/setsid", ["-w"] + kind.command(script), environment: env)
    }

    /// The `[LABEL] STATUS` blocks that `report` printed: status and the lines that follow.
    static func reports(_ output: String) -> [String: (status: Int32, lines: [String])] {
        var reports: [String: (status: Int32, lines: [String])] = [:]
        var current: (label: String, status: Int32, lines: [String])?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                let status = Int32(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)) ?? -1
                current = (String(line[line.index(after: line.startIndex)..<close]), status, [])
            } else if line == "--", let done = current {
                reports[done.label] = (done.status, done.lines.sorted())
                current = nil
            } else if current != nil {
                current?.lines.append(line)
            }
        }
        return reports
    }

    static let prodLines = [
        "TWILIO_ACCOUNT_SID=\(prodSID)", "TWILIO_API_KEY set", "TWILIO_API_SECRET set", "TWILIO_AUTH_TOKEN set",
        "TWVAULT_PROFILE=acme-prod",
    ]
    static let stagingLines = [
        "TWILIO_ACCOUNT_SID=\(stagingSID)", "TWILIO_API_KEY set", "TWILIO_API_SECRET set",
        "TWVAULT_PROFILE=acme-staging",
    ]

    /// The lines of a successful `use`, without TWVAULT_VARS (present once profiles carry extra
    /// variables).
    static func applied(_ lines: [String]) -> [String] { lines.filter { $0 != "TWVAULT_VARS set" } }
}

@Suite struct ShellIntegrationTests {
    @Test(arguments: IntegrationShellKind.allCases) func useSwitchesAndFailsSafe(kind: IntegrationShellKind) throws {
        let fixture = try ShellFixture()
        let s = kind.status
        let strict = kind.isFish ? "" : kind == .zsh ? "setopt nounset\n" : "set -u\n"
        let script =
            strict + kind.reportFunction + kind.loadLine + "\n"
                + """
                twvault use acme-prod; report prod \(s)
                twvault use typo; report typo \(s)
                twvault use acme-prod; twvault use acme-staging; report staging \(s)
                twvault use --off; report off \(s)
                twvault --vault "$TWVAULT_VAULT" -q use beta --no-token; report global-options \(s)
                twvault use acme-prod --format json; report format \(s)
                twvault use acme-prod; twvault use --off acme-prod; report off-with-profile \(s)
                twvault use acme-prod; twvault use 'bad name'; report bad-name \(s)
                twvault use acme-prod; TWVAULT_PASSPHRASE_FILE=/nonexistent twvault use acme-staging; report bad-passphrase-file \(s)

                """
        let result = try fixture.run(kind, script)
        #expect(result.status == 0, "\(result.stderr)")
        let reports = ShellFixture.reports(result.stdout)
        #expect(reports["prod"]?.status == 0)
        #expect(ShellFixture.applied(reports["prod"]?.lines ?? []) == ShellFixture.prodLines, "\(result.stderr)")
        #expect(reports["typo"]?.status == 66)
        #expect(reports["typo"]?.lines == [])
        #expect(reports["staging"]?.status == 0)
        #expect(ShellFixture.applied(reports["staging"]?.lines ?? []) == ShellFixture.stagingLines)
        #expect(reports["off"]?.status == 0)
        #expect(reports["off"]?.lines == [])
        #expect(reports["global-options"]?.status == 0)
        #expect(
            ShellFixture.applied(reports["global-options"]?.lines ?? []) == [
                "TWILIO_ACCOUNT_SID=\(ShellFixture.betaSID)", "TWILIO_AUTH_TOKEN set", "TWVAULT_PROFILE=beta",
            ])
        for label in ["format", "off-with-profile"] {
            #expect(reports[label]?.status == 64, "\(label)")
            #expect(reports[label]?.lines == [], "\(label)")
        }
        #expect(reports["bad-passphrase-file"].map { $0.status != 0 && $0.status != -1 } == true)
        #expect(reports["bad-passphrase-file"]?.lines == [])
        #expect(reports["bad-name"]?.status == 64)
        #expect(reports["bad-name"]?.lines == [])
        // Each failure said why on stderr, in one line each, with no secret.
        #expect(result.stderr.contains("twvault: use takes no --format"))
        #expect(!result.stderr.contains(Harness.authToken) && !result.stdout.contains(Harness.authToken))
    }

    @Test(arguments: IntegrationShellKind.allCases) func offUnsetsOnlyWellFormedExtraVariables(
        kind: IntegrationShellKind
    ) throws {
        let fixture = try ShellFixture()
        let set =
            kind.isFish
            ? "set -gx FOO_BAR 1; set -gx lower 1; set -gx TWVAULT_VARS 'PATH HOME FOO_BAR lower LD_PRELOAD'; set -gx LD_PRELOAD ''"
            : "export FOO_BAR=1 lower=1 LD_PRELOAD= TWVAULT_VARS='PATH HOME FOO_BAR lower LD_PRELOAD'"
        let kept =
            kind.isFish
            ? "set -q PATH HOME lower LD_PRELOAD; and echo kept"
            : "[ -n \"${PATH-}\" ] && [ -n \"${HOME-}\" ] && [ -n \"${lower-}\" ] && [ \"${LD_PRELOAD+x}\" = x ] && echo kept"
        let script =
            kind.reportFunction + kind.loadLine + "\n" + set + "\n"
                + """
                twvault use --off; report off \(kind.status)
                \(kept)

                """
        let result = try fixture.run(kind, script)
        let reports = ShellFixture.reports(result.stdout)
        #expect(reports["off"]?.status == 0, "\(result.stderr)")
        #expect(reports["off"]?.lines == [])
        #expect(result.stdout.contains("kept\n"))
    }

    @Test(arguments: IntegrationShellKind.allCases) func unlockAndLockChangeTheShell(kind: IntegrationShellKind) throws
    {
        let fixture = try ShellFixture()
        let s = kind.status
        let forget = kind.isFish ? "set -e TWVAULT_PASSPHRASE_FILE" : "unset TWVAULT_PASSPHRASE_FILE"
        let script =
            kind.reportFunction + kind.loadLine + "\n"
                + """
                twvault -q unlock --ttl 5m; report unlock \(s)
                \(forget)
                twvault use acme-prod; report use-unlocked \(s)
                twvault lock; report lock \(s)
                twvault use acme-prod; report use-locked \(s)
                twvault unlock --help > /dev/null; report unlock-help \(s)

                """
        let result = try fixture.run(kind, script)
        let reports = ShellFixture.reports(result.stdout)
        #expect(reports["unlock"]?.status == 0, "\(result.stderr)")
        #expect(reports["unlock"]?.lines == ["TWVAULT_SESSION set"])
        #expect(reports["use-unlocked"]?.status == 0)
        #expect(
            ShellFixture.applied(reports["use-unlocked"]?.lines ?? [])
                == (ShellFixture.prodLines + ["TWVAULT_SESSION set"]).sorted())
        #expect(reports["lock"]?.status == 0)
        #expect(ShellFixture.applied(reports["lock"]?.lines ?? []) == ShellFixture.prodLines)
        #expect(reports["use-locked"]?.status == 77)
        #expect(reports["use-locked"]?.lines == [])
        // Help is printed, never evaluated.
        #expect(reports["unlock-help"]?.status == 0)
        #expect(reports["unlock-help"]?.lines == [])
        #expect(result.stderr.contains("ended 1 unlock"))
    }

    /// DESIGN §10: `unlock` of a second vault keeps the first one's entry; `lock` of one ends and
    /// removes only its own; locking the last unsets the variable.
    @Test(arguments: IntegrationShellKind.allCases) func severalVaultsStayUnlocked(kind: IntegrationShellKind) throws {
        let fixture = try ShellFixture()
        let other = fixture.harness.root.path + "/vault/other.db"
        try fixture.add(
            "gamma", "TWILIO_ACCOUNT_SID=\(ShellFixture.betaSID)\nTWILIO_AUTH_TOKEN=gamma-token\n", vault: other)
        let s = kind.status
        let forget = kind.isFish ? "set -e TWVAULT_PASSPHRASE_FILE" : "unset TWVAULT_PASSPHRASE_FILE"
        let count =
            kind.isFish
            ? "echo entries=(count (string split ':' -- $TWVAULT_SESSION))"
            : "printf 'entries=%s\\n' \"$(printf '%s' \"${TWVAULT_SESSION-}\" | tr ':' '\\n' | grep -c .)\""
        let script =
            kind.reportFunction + kind.loadLine + "\n"
                + """
                twvault -q unlock --ttl 5m; report unlock-a \(s)
                twvault --vault "$OTHER" -q unlock --ttl 5m; report unlock-b \(s)
                twvault -q unlock --ttl 5m; report unlock-a-again \(s)
                \(count)
                \(forget)
                twvault use acme-prod; report a-unlocked \(s)
                twvault --vault "$OTHER" use gamma; report b-unlocked \(s)
                twvault lock --help > /dev/null; report lock-help \(s)
                twvault lock; report lock-a \(s)
                \(count)
                twvault --vault "$OTHER" use gamma; report b-after-lock \(s)
                twvault use acme-prod; report a-after-lock \(s)
                twvault --vault "$OTHER" lock; report lock-b \(s)

                """
        let result = try fixture.run(kind, script, env: ["OTHER": other])
        let reports = ShellFixture.reports(result.stdout)
        for label in ["unlock-a", "unlock-b", "unlock-a-again"] {
            #expect(reports[label]?.status == 0, "\(label): \(result.stderr)")
            #expect(reports[label]?.lines == ["TWVAULT_SESSION set"], "\(label)")
        }
        // Two entries after three unlocks of two vaults, then one after the lock.
        #expect(result.stdout.contains("entries=2\n"), "\(result.stdout)")
        #expect(result.stdout.contains("entries=1\n"), "\(result.stdout)")
        #expect(reports["a-unlocked"]?.status == 0, "\(result.stderr)")
        #expect(
            ShellFixture.applied(reports["a-unlocked"]?.lines ?? [])
                == (ShellFixture.prodLines + ["TWVAULT_SESSION set"]).sorted())
        let gamma = ["TWILIO_ACCOUNT_SID=\(ShellFixture.betaSID)", "TWILIO_AUTH_TOKEN set", "TWVAULT_PROFILE=gamma"]
        for label in ["b-unlocked", "b-after-lock"] {
            #expect(reports[label]?.status == 0, "\(label): \(result.stderr)")
            #expect(
                ShellFixture.applied(reports[label]?.lines ?? []) == (gamma + ["TWVAULT_SESSION set"]).sorted(),
                "\(label)")
        }
        #expect(reports["lock-help"]?.status == 0)
        #expect(reports["lock-a"]?.status == 0)
        #expect(reports["a-after-lock"]?.status == 77)
        #expect(reports["a-after-lock"]?.lines == ["TWVAULT_SESSION set"])
        #expect(result.stderr.contains("holds no unlock of this vault"))
        #expect(reports["lock-b"]?.status == 0)
        #expect(reports["lock-b"]?.lines == [])
    }

    @Test(arguments: IntegrationShellKind.allCases) func theCodeDefinesNothingElse(kind: IntegrationShellKind) throws {
        let fixture = try ShellFixture()
        let listing =
            switch kind {
            case .bash, .bashPosix: "compgen -A function; compgen -v; compgen -a || true"
            case .zsh: "print -rl -- ${(k)functions} ${(k)parameters} ${(k)aliases}"
            case .fish: "functions -an; set -n; abbr -l"
            }
        let script = """
            \(listing)
            echo '#loaded'
            \(kind.loadLine)
            twvault use acme-prod
            twvault use --off
            twvault_prompt
            twvault use typo 2> /dev/null
            \(listing)

            """
        let result = try fixture.run(kind, script)
        #expect(result.status == 0, "\(result.stderr)")
        let parts = result.stdout.components(separatedBy: "#loaded\n")
        try #require(parts.count == 2)
        let before = Set(parts[0].split(separator: "\n").map(String.init))
        let after = Set(parts[1].split(separator: "\n").map(String.init))
        // What the shells themselves add while running these commands.
        let shellOwn: Set<String> = ["_", "BASH_REMATCH", "COMP_WORDBREAKS", "status", "pipestatus"]
        let added = after.subtracting(before).subtracting(shellOwn)
        #expect(added.contains("twvault") && added.contains("twvault_prompt"))
        for name in added {
            #expect(name == "twvault" || name == "twvault_prompt" || name.hasPrefix("_twvault"), "\(name)")
        }
    }

    @Test(arguments: IntegrationShellKind.allCases) func thePromptStartsNoProcess(kind: IntegrationShellKind) throws {
        let fixture = try ShellFixture()
        let initFile = fixture.harness.root.path + "/init"
        let generated = try fixture.harness.run(["shell-init", kind.initName])
        try fixture.harness.write(generated.stdout, to: initFile)
        let script =
            kind.isFish
            ? """
            source $INIT
            set -gx TWVAULT_PROFILE acme-prod
            set PATH
            printf 'BEGIN\\n' >&2
            twvault_prompt; printf '|'; twvault_prompt '(%s) '; printf '|'
            set -e TWVAULT_PROFILE; twvault_prompt '(%s) '; printf '|'
            set -gx TWVAULT_PROFILE 'evil$(x)'; twvault_prompt
            printf 'END\\n' >&2

            """
            : """
            . "$INIT"
            export TWVAULT_PROFILE=acme-prod
            PATH=
            printf 'BEGIN\\n' >&2
            twvault_prompt; printf '|'; twvault_prompt '(%s) '; printf '|'
            unset TWVAULT_PROFILE; twvault_prompt '(%s) '; printf '|'
            TWVAULT_PROFILE='evil$(x)'; twvault_prompt
            printf 'END\\n' >&2

            """
        let trace = fixture.harness.root.path + "/trace"
        var env = fixture.environment
        env["INIT"] = initFile
        let result = try Harness.execute(
            "/usr/bin/strace",
            ["-f", "-qq", "-e", "trace=execve,clone,clone3,fork,vfork,write", "-o", trace] + kind.command(script),
            environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "acme-prod|(acme-prod) ||evil??x?")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        let begin = try #require(lines.firstIndex { $0.contains("\"BEGIN\\n\"") })
        let end = try #require(lines.firstIndex { $0.contains("\"END\\n\"") })
        let started = lines[begin..<end].filter { line in
            line.contains("execve(") || line.contains("fork(")
                || (line.contains("clone") && !line.contains("CLONE_THREAD"))
        }
        #expect(started.isEmpty, "\(started)")
    }
}
