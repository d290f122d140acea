import ArgumentParser
import Vault
import VaultCrypto
import VaultOperations

struct Add: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Store a profile's credentials.",
        discussion: """
            Identifiers are flags; secret values never are. They come from no-echo prompts on the \
            terminal, from TWILIO_* variables (--from-env), or from NAME=value lines on stdin (--stdin, \
            the names `export` prints; values may be single-quoted). The vault is created when missing. \
            To change part of a profile, use `update`; --force replaces all of it (on a terminal, after \
            listing what would be lost and asking).

            Examples:
              twvault add acme-prod --account-sid AC0123… --api-key SK0123…
              printf 'TWILIO_ACCOUNT_SID=AC…\\nTWILIO_AUTH_TOKEN=…\\n' | twvault add acme-prod --stdin
              twvault copy acme-prod acme-staging
              twvault add acme-org --client-id OQ… --scope offline_access

            Extra variables: with --stdin, a NAME=value line whose NAME is not a TWILIO_* credential \
            stores NAME as an extra variable of the profile, encrypted like its secrets and set by \
            export, exec and use. NAME is A-Z, 0-9 and _, starting with a letter, at most 64 characters. \
            Names that change how a shell or program runs are refused: PATH, HOME, SHELL, ENV, BASH_ENV, \
            IFS, PS1-PS4, PROMPT_COMMAND, ZDOTDIR, TMPDIR, LD_*, DYLD_*, GCONV_PATH, NODE_OPTIONS, \
            PYTHON*, PERL5*, RUBYOPT, RUBYLIB, JAVA_TOOL_OPTIONS, _JAVA_OPTIONS, GIT_*, SSH_* and \
            TWVAULT_* (TWVAULT_PROFILE and TWVAULT_VARS, which export prints, are ignored).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The profile name (letters, digits, '.', '_', '-').")
    var profile: String

    @OptionGroup var credentials: CredentialOptions

    @Flag(help: "Read secrets and identifiers from TWILIO_* environment variables.")
    var fromEnv = false
    @Flag(help: "Read NAME=value lines from stdin (names other than TWILIO_* become extra variables).")
    var stdin = false
    @Flag(help: "Replace an existing profile of that name, and everything it holds.")
    var force = false

    @OptionGroup var newPassphrase: NewPassphraseOptions

    func validate() throws {
        guard !(fromEnv && stdin) else { throw ValidationError("--from-env and --stdin exclude each other") }
        guard Names.isValidProfile(profile) else {
            throw ValidationError(
                "invalid profile name '\(Names.printable(profile))': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let context = access.context
        let source: CredentialInput.Source =
            fromEnv ? .environment(context.environment) : stdin ? .stdin(context.console) : .terminal
        var input = try CredentialInput.collect(
            flags: credentials.flags,
            source: source)
        // Everything that can be refused is refused before the passphrase and before any secret
        // is typed, so that no typing is lost to a refusal.
        var questions: [SecretQuestion] = []
        if source.isTerminal {
            guard input.namesIdentifiers else {
                throw OperationError.usage(
                    "give --account-sid, --api-key or --client-id (with secrets prompted), or use --from-env or --stdin"
                )
            }
            questions = SecretQuestions.questions(for: input, existing: nil)
            _ = try ProfileEditing.newRecord(SecretQuestions.assumingAnswers(questions, to: input), now: 0)
            try SecretQuestions.requireTerminal(context.console)
        } else {
            _ = try ProfileEditing.newRecord(input, now: 0)
        }

        let path = access.vaultPath
        let vault: UnlockedVault
        var lock: ProfileLock?
        defer { withExtendedLifetime(lock) {} }
        if SecureFilesProbe.exists(path) {
            let file = try access.open()
            let exists = try file.hasProfile(profile)
            if exists, !force { throw VaultError.profileExists(profile) }
            vault = try access.unlock(file)
            if exists {
                try ProfileEditing.confirmReplacement(of: profile, vault: vault, context: context)
                // What only the replaced records know of at Twilio is settled before any secret is
                // typed (a refusal loses no typing), and the lock kept until they are replaced.
                lock = try await TwilioLeftovers.settle(
                    profile: profile, vault: vault, access: access, purpose: .replace(profile))
            }
            input = try SecretQuestions.ask(questions, into: input, console: context.console)
        } else {
            let passphrase = try access.newPassphrase(file: newPassphrase.newPassphraseFile, allowCurrentChannel: true)
            input = try SecretQuestions.ask(questions, into: input, console: context.console)
            // Checked before the vault exists, so that bad input creates no vault.
            _ = try ProfileEditing.newRecord(input, now: 0)
            vault = try VaultFile.create(
                path: path, passphrase: passphrase, limits: newPassphrase.kdf.limits, now: context.now())
            context.output.info("created vault \(path)")
        }
        let record = try ProfileEditing.newRecord(input, now: context.now())
        try ProfileEditing.store(
            profile, record, variables: input.extraVariables, replace: force, vault: vault, now: context.now())
        let extras = input.extraVariables.keys.sorted()
        context.output.info(
            "stored profile '\(profile)' (\(record.credentialKinds.joined(separator: ", ")))"
                + (extras.isEmpty ? "" : " with extra variables \(extras.joined(separator: ", "))"))
    }
}
