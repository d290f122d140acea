import ArgumentParser
import ShellSyntax
import Vault
import VaultOperations

struct Export: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print a profile's environment for a shell.",
        discussion: """
            Prints TWILIO_* and the extra variables of the profile (listed in TWVAULT_VARS), and unsets \
            those it lacks and the previous profile's extra variables, so switching profiles never mixes \
            two accounts. With an OAuth client it includes a valid TWILIO_ACCESS_TOKEN unless --no-token. \
            The refresh token is never printed.

            Examples:
              eval "$(twvault export acme-prod)"
              twvault export acme-prod --format fish | source
              twvault export acme-prod --format dotenv > .env.local
              twvault export acme-prod --format json | jq .TWILIO_ACCOUNT_SID
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The profile (default: $TWVAULT_PROFILE).", completion: CompletionKind.profileNames)
    var profile: String?
    @Option(help: "sh, fish, powershell, dotenv or json (default: fish or powershell when run by that shell, else sh).")
    var format: ExportFormat?
    @Flag(help: "Do not include or fetch an OAuth access token.")
    var noToken = false

    func run(in context: Context) async throws {
        try await Export.run(
            access: VaultAccess(global.values, context: context), profile: profile, format: format, noToken: noToken)
    }

    /// The command itself, apart from its parsed form: `HotPath` calls it directly.
    ///
    /// Fail safe (DESIGN §3): when it fails in a shell format and stdout is not a terminal,
    /// stdout still gets a fragment that unsets every variable `export` manages and ends in a
    /// failing command, so `eval "$(twvault export typo)" && deploy` neither runs `deploy` nor
    /// leaves the previous profile's credentials in the shell.
    nonisolated(nonsending) static func run(access: VaultAccess, profile: String?, format: ExportFormat?, noToken: Bool)
        async throws
    {
        let format = format ?? .ofParentShell(access.context)
        do {
            try await export(access: access, profile: profile, format: format, noToken: noToken)
        } catch {
            if !access.context.stdoutIsTerminal,
                let fragment = failSafeFragment(format: format, inherited: access.context.env(ExtraVariables.listName))
            {
                access.context.output.stdout(fragment)
            }
            throw error
        }
    }

    /// Unsets every managed variable, the extra variables an inherited `TWVAULT_VARS` names
    /// (those twvault may touch) and `TWVAULT_VARS`, then fails; nil for the formats that are
    /// not evaluated.
    static func failSafeFragment(format: ExportFormat, inherited: String?) -> String? {
        let failing: String
        switch format {
        case .sh, .fish: failing = "false\n"
        case .powershell: failing = "throw 'twvault export failed'\n"
        case .dotenv, .json: return nil
        }
        let names =
            ProfileEnvironment.managedNames + ExtraVariables.inheritedNames(inherited) + [ExtraVariables.listName]
        let cleared = names.map { (name: $0, value: String?.none) }
        guard let text = try? ExportRenderer.render(cleared, as: format) else { return nil }
        return text + failing
    }

    nonisolated(nonsending) private static func export(
        access: VaultAccess, profile: String?, format: ExportFormat, noToken: Bool
    ) async throws {
        let name = try ProfileArgument.resolve(profile, context: access.context)
        let vault = try access.openUnlocked()
        let record = try vault.profile(name)
        let extras = try vault.record(VariablesRecord.self, profile: name, kind: .variables)
        try await EphemeralKeys.cleanUpLeftovers(vault: vault, access: access)
        let token: String?
        do {
            token =
                noToken ? nil : try await AccessTokens.valid(for: name, record: record, vault: vault, access: access)
        } catch var error as ProfileTwilioError where ExitStatus(error.error) == .temporaryFailure {
            error.hint = "to export without an access token: twvault export \(name) --no-token"
            throw error
        }
        let extra = ExtraVariables.environment(extras, inherited: access.context.env(ExtraVariables.listName))
        let variables = ProfileEnvironment.variables(profile: name, record, accessToken: token) + extra.variables
        let text = try ExportRendering.render(variables, format: format)
        if let warning = ExtraVariables.skippedWarning(extra.skipped, profile: name) {
            access.context.output.warn(warning)
        }
        if access.context.stdoutIsTerminal {
            access.context.output.warn("printing secrets to a terminal; use: eval \"$(twvault export \(name))\"")
        }
        access.context.output.stdout(text)
    }
}
