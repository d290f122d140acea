import ArgumentParser
import Vault
import VaultOperations

struct Update: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change part of a profile and keep the rest.",
        discussion: """
            Changes only what is given; other credentials, the refresh token, extra variables and \
            credential ages stay. \
            A new identifier needs its secret (asked for on the terminal, or from --from-env or --stdin); \
            a secret given for the stored identifier replaces that secret. --check asks Twilio when the \
            profile's API key was created and keeps that as its age (an imported key's age is unknown \
            until then). A new account SID needs the \
            profile's auth token and API key given again; a new OAuth client id drops the old client's \
            secrets, refresh token and cached access token.

            Examples:
              twvault update acme-prod --region ie1 --edge dublin
              twvault update acme-prod --no-region --no-edge
              twvault update acme-prod --api-key SK0123…          # its secret is asked for
              twvault update acme-prod --account-sid AC0123…      # Enter keeps the stored auth token
              printf 'TWILIO_AUTH_TOKEN=…\\n' | twvault update acme-prod --stdin
              twvault export acme-prod --format dotenv | twvault update acme-copy --stdin
              twvault update acme-prod --check                    # the API key's age, from Twilio
              printf 'STRIPE_API_KEY=…\\n' | twvault update acme-prod --stdin
              twvault update acme-prod --unset STRIPE_API_KEY

            Names other than TWILIO_* on stdin become extra variables, exported with the profile; names \
            that change how a shell or program runs (PATH, LD_*, …: see `twvault help add`) are refused.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The profile to change.")
    var profile: String

    @OptionGroup var credentials: CredentialOptions
    @Flag(help: "Remove the profile's region.")
    var noRegion = false
    @Flag(help: "Remove the profile's edge.")
    var noEdge = false

    @Flag(help: "Read secrets and identifiers from TWILIO_* environment variables.")
    var fromEnv = false
    @Flag(help: "Read NAME=value lines from stdin (names other than TWILIO_* become extra variables).")
    var stdin = false
    @Option(
        name: .customLong("unset"), parsing: .singleValue,
        help: ArgumentHelp("Remove one of the profile's extra variables (repeatable).", valueName: "NAME"))
    var unset: [String] = []
    @Flag(help: "Ask Twilio when the profile's API key was created, and keep that as its age.")
    var check = false

    func validate() throws {
        guard !(fromEnv && stdin) else { throw ValidationError("--from-env and --stdin exclude each other") }
        guard Names.isValidProfile(profile) else {
            throw ValidationError(
                "invalid profile name '\(Names.printable(profile))': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
        guard !(credentials.region != nil && noRegion) else {
            throw ValidationError("--region and --no-region exclude each other")
        }
        guard !(credentials.edge != nil && noEdge) else {
            throw ValidationError("--edge and --no-edge exclude each other")
        }
        for name in unset where !ExtraVariables.isWellFormed(name) {
            throw ValidationError(
                "--unset '\(Names.printable(name))': extra variable names use A-Z, 0-9 and _, starting with a letter")
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
        input.removesRegion = noRegion
        input.removesEdge = noEdge
        input.unsetVariables = Array(Set(unset)).sorted()
        try input.checkFormats()
        guard !input.isEmpty || check else {
            throw OperationError.usage(
                "nothing to change in '\(profile)': give identifier or setting flags, "
                    + "--unset, --from-env, --stdin or --check")
        }
        let asks = source.isTerminal && input.namesIdentifiers
        if asks { try SecretQuestions.requireTerminal(context.console) }

        let file = try access.open()
        guard try file.hasProfile(profile) else { throw VaultError.profileNotFound(profile) }
        let vault = try access.unlock(file)
        if input.isEmpty {
            try await checkAge(vault: vault, context: context)
            return
        }
        if asks {
            let questions = SecretQuestions.questions(for: input, existing: try vault.profile(profile))
            try ProfileEditing.checkUpdate(
                profile, with: SecretQuestions.assumingAnswers(questions, to: input), vault: vault)
            input = try SecretQuestions.ask(questions, into: input, console: context.console)
        }
        let update = try ProfileEditing.update(profile, with: input, vault: vault, now: context.now())
        if update.changesAnything {
            var parts: [String] = []
            if !update.changed.isEmpty { parts.append("set " + update.changed.joined(separator: ", ")) }
            if !update.removed.isEmpty { parts.append("removed " + update.removed.joined(separator: ", ")) }
            if !update.variablesSet.isEmpty {
                parts.append("set extra variables " + update.variablesSet.joined(separator: ", "))
            }
            if !update.variablesRemoved.isEmpty {
                parts.append("removed extra variables " + update.variablesRemoved.joined(separator: ", "))
            }
            if update.dropsAccessToken { parts.append("dropped the cached access token") }
            context.output.info("updated profile '\(profile)': \(parts.joined(separator: "; "))")
        } else {
            context.output.info("profile '\(profile)' already holds that: nothing changed")
        }
        if check { try await checkAge(vault: vault, context: context) }
    }

    /// `--check`: the API key's creation time at Twilio becomes its age.
    private func checkAge(vault: UnlockedVault, context: Context) async throws {
        let record = try vault.profile(profile)
        let created = try await CredentialAges.apiKeyCreation(of: record, profile: profile, context: context)
        guard let keySID = record.apiKeySID,
            try CredentialAges.storeAPIKeyCreation(
                created, keySID: keySID, profile: profile, vault: vault, now: context.now())
        else {
            throw OperationError.temporary(
                "the API key of '\(profile)' changed while Twilio was asked: run `twvault update \(profile) --check` again"
            )
        }
        context.output.info(
            "profile '\(profile)': API key \(keySID) was created \(Timestamps.rfc3339(created)) (\(Durations.describe(max(0, context.now() - created))) ago)"
        )
    }
}
