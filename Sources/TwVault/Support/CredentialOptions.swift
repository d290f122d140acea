import ArgumentParser

/// The identifier and setting flags `add` and `update` share; secrets are never flags.
struct CredentialOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Account SID (AC + 32 hex digits); its auth token is asked for.", valueName: "AC…"))
    var accountSid: String?
    @Option(help: ArgumentHelp("API key SID (SK + 32 hex digits); its secret is asked for.", valueName: "SK…"))
    var apiKey: String?
    @Option(
        help: ArgumentHelp("OAuth client id (OQ + 32 letters or digits); its secret is asked for.", valueName: "OQ…"))
    var clientId: String?
    @Option(help: "Twilio region, e.g. ie1 (exported as TWILIO_REGION).")
    var region: String?
    @Option(help: "Twilio edge location, e.g. dublin (exported as TWILIO_EDGE).")
    var edge: String?
    @Option(help: ArgumentHelp("OAuth token endpoint for this profile.", valueName: "url"))
    var tokenUrl: String?
    @Option(help: "OAuth scope to request.")
    var scope: String?
    @Option(help: "OAuth audience to request.")
    var audience: String?

    var flags: CredentialInput.Flags {
        .init(
            accountSID: accountSid, apiKeySID: apiKey, clientID: clientId, region: region, edge: edge,
            tokenURL: tokenUrl, scope: scope, audience: audience)
    }
}
