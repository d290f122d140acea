import ArgumentParser
import FoundationEssentials
import Vault
import VaultOperations

struct Token: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a valid OAuth access token.",
        discussion: """
            Uses the cached token while more than a minute remains; otherwise exchanges the refresh \
            token (or the client credentials) once, even when many processes ask at the same time.

            Examples:
              curl -H "Authorization: Bearer $(twvault token acme-org)" …
              twvault token acme-org --json | jq -r .expires_at
              twvault token acme-org --refresh
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The profile (default: $TWVAULT_PROFILE).", completion: CompletionKind.profileNames)
    var profile: String?
    @Flag(help: "Exchange for a new token even if the cached one is still valid.")
    var refresh = false
    @Flag(help: "Print JSON with access_token, token_type and expires_at.")
    var json = false

    func run(in context: Context) async throws {
        try await Token.run(
            access: VaultAccess(global.values, context: context), profile: profile, refresh: refresh, json: json)
    }

    /// The command itself, apart from its parsed form: `HotPath` calls it directly.
    nonisolated(nonsending) static func run(access: VaultAccess, profile: String?, refresh: Bool, json: Bool)
        async throws
    {
        let name = try ProfileArgument.resolve(profile, context: access.context)
        let vault = try access.openUnlocked()
        let record = try vault.profile(name)
        guard record.clientID != nil else {
            throw OperationError.usage(
                "profile '\(name)' has no OAuth client: add one with `twvault update \(name) --client-id OQ…`")
        }
        let token = try await AccessTokens.obtain(for: name, vault: vault, access: access, force: refresh)
        if json {
            struct Answer: Encodable {
                let accessToken: String
                let tokenType: String
                let expiresAt: String
                let scope: String?

                enum CodingKeys: String, CodingKey {
                    case accessToken = "access_token"
                    case tokenType = "token_type"
                    case expiresAt = "expires_at"
                    case scope
                }
            }
            access.context.output.stdout(
                try JSONOutput.encode(
                    Answer(
                        accessToken: token.accessToken, tokenType: token.tokenType,
                        expiresAt: Timestamps.rfc3339(token.expiresAt), scope: token.scope)))
        } else {
            access.context.output.stdout(token.accessToken + "\n")
        }
    }
}
