import ArgumentParser
import Vault
import VaultOperations

struct Export: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print a profile's environment for a shell.",
        discussion: """
            Prints TWILIO_* for the profile and unsets those it lacks, so switching profiles never mixes \
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
    @Option(help: "sh, fish, powershell, dotenv or json.")
    var format: ExportFormat = .sh
    @Flag(help: "Do not include or fetch an OAuth access token.")
    var noToken = false

    func run(in context: Context) async throws {
        try await Export.run(
            access: VaultAccess(global.values, context: context), profile: profile, format: format, noToken: noToken)
    }

    /// The command itself, apart from its parsed form: `HotPath` calls it directly.
    static func run(access: VaultAccess, profile: String?, format: ExportFormat, noToken: Bool) async throws {
        let name = try ProfileArgument.resolve(profile, context: access.context)
        let vault = try access.openUnlocked()
        let record = try vault.profile(name)
        await EphemeralKeys.cleanUpLeftovers(vault: vault, access: access)
        let token =
            noToken ? nil : try await AccessTokens.valid(for: name, record: record, vault: vault, access: access)
        let variables = ProfileEnvironment.variables(profile: name, record, accessToken: token)
        let text = try ExportRendering.render(variables, format: format)
        if access.context.stdoutIsTerminal {
            access.context.output.warn("printing secrets to a terminal; use: eval \"$(twvault export \(name))\"")
        }
        access.context.output.stdout(text)
    }
}
