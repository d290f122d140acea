import ArgumentParser
import Vault
import VaultOperations

struct Show: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one profile's non-secret fields.",
        discussion: """
            Secrets are shown only as present or absent, extra variables by name only.

            Examples:
              twvault show acme-prod
              TWVAULT_PROFILE=acme-prod twvault show --json
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The profile (default: $TWVAULT_PROFILE).", completion: CompletionKind.profileNames)
    var profile: String?
    @Flag(help: "Print JSON.")
    var json = false

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let name = try ProfileArgument.resolve(profile, context: access.context)
        let file = try access.open()
        guard try file.hasProfile(name) else { throw VaultError.profileNotFound(name) }
        let vault = try access.unlock(file)
        let now = access.context.now()
        var summary = ProfileSummary(
            name: name, record: try vault.profile(name),
            token: try vault.cachedToken(profile: name),
            rotation: try vault.record(RotationState.self, profile: name, kind: .rotation), now: now)
        summary.extraVariables = try vault.record(VariablesRecord.self, profile: name, kind: .variables)?.names ?? []
        if json {
            access.context.output.stdout(try JSONOutput.encode(summary))
            return
        }
        func present(_ key: String) -> String { summary.secrets[key] == true ? "present" : "absent" }
        var lines: [(String, String)] = [("profile", name)]
        lines.append(("account sid", summary.accountSID ?? "-"))
        lines.append(("auth token", present("auth_token")))
        lines.append(("api key", summary.apiKeySID ?? "-"))
        lines.append(("api key secret", present("api_key_secret")))
        lines.append(("oauth client id", summary.clientID ?? "-"))
        lines.append(("client secret", present("client_secret")))
        lines.append(("refresh token", present("refresh_token")))
        lines.append(("access token", summary.tokenDescription(now: now)))
        lines.append(("region", summary.region ?? "-"))
        lines.append(("edge", summary.edge ?? "-"))
        if let url = summary.tokenURL { lines.append(("token url", url)) }
        if let scope = summary.scope { lines.append(("scope", scope)) }
        if let audience = summary.audience { lines.append(("audience", audience)) }
        let extras = summary.extraVariables ?? []
        lines.append(("extra variables", extras.isEmpty ? "-" : extras.map(Names.printable).joined(separator: " ")))
        lines.append(("created", summary.createdAt))
        lines.append(("credential age", summary.ageDescription))
        if let rotation = summary.rotationDescription { lines.append(("rotation", rotation)) }
        let width = lines.map(\.0.count).max() ?? 0
        access.context.output.stdout(
            lines.map {
                $0.0.padded(to: width) + "  " + Names.terminalSafe($0.1) + "\n"
            }.joined())
    }
}
