import ArgumentParser
import FoundationEssentials
import TwilioAuth
import TwilioHTTP
import Vault
import VaultOperations

struct Login: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in an organization OAuth app and store its refresh token.",
        discussion: """
            Authorization code flow with PKCE (S256): twvault prints the authorize URL (and opens a \
            browser unless --no-browser), listens on 127.0.0.1:PORT for the redirect, checks the \
            returned state, exchanges the code and stores the refresh token. Register the redirect URI \
            http://127.0.0.1:\(Login.defaultPort)/callback (or your --port) with the app.

            Examples:
              twvault login acme-org
              twvault login acme-org --no-browser --port 9000
              twvault login acme-org --code - --redirect-uri https://example.com/cb   # code on stdin
            """)

    static let defaultPort = 8910
    /// How long to wait for the browser's redirect.
    static let timeoutSeconds = 300

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The profile (default: $TWVAULT_PROFILE).", completion: CompletionKind.profileNames)
    var profile: String?
    @Option(help: "Loopback port for the redirect listener.")
    var port: Int = Login.defaultPort
    @Option(help: "Scope to request (default: the profile's, else offline_access).")
    var scope: String?
    @Flag(help: "Print the authorize URL only; do not start a browser.")
    var noBrowser = false
    @Option(
        help: ArgumentHelp(
            "Exchange this authorization code obtained elsewhere ('-' reads it from stdin).", valueName: "code"))
    var code: String?
    @Option(help: ArgumentHelp("The redirect URI the code was issued for (with --code).", valueName: "uri"))
    var redirectUri: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (code == nil) == (redirectUri == nil) else {
            throw ValidationError("--code and --redirect-uri go together")
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let name = try ProfileArgument.resolve(profile, context: access.context)
        let vault = try access.openUnlocked()
        let record = try vault.profile(name)
        guard let clientID = record.clientID else {
            throw OperationError.usage("profile '\(name)' has no OAuth client: add one with --client-id")
        }
        // The exchange replaces the stored refresh token: not on top of a damaged vault.
        try vault.checkIntegrity()
        let endpoint = try AccessTokens.endpoint(record, access: access)
        let token: TokenResponse
        do {
            if let code, let redirectUri {
                let value = code == "-" ? try readCode(access.context.console) : code
                token = try await endpoint.authorizationCode(
                    code: value, redirectURI: redirectUri, codeVerifier: nil,
                    clientID: clientID, clientSecret: record.clientSecret)
            } else {
                token = try await browserFlow(endpoint: endpoint, clientID: clientID, record: record, access: access)
            }
        } catch let error as TwilioError {
            throw ProfileTwilioError(error: error, profile: name)
        }
        guard token.refreshToken != nil else {
            throw OperationError.malformedInput(
                "the token endpoint returned no refresh token: request the offline_access scope (--scope offline_access)"
            )
        }
        try TokenStore.store(token, profile: name, vault: vault, now: access.context.now())
        access.context.output.info("signed in: stored a refresh token for '\(name)'")
    }

    private func browserFlow(
        endpoint: TokenEndpoint, clientID: String, record: ProfileRecord,
        access: VaultAccess
    ) async throws -> TokenResponse {
        let pkce = PKCE()
        let state = OAuthState.generate()
        let listener: LoopbackRedirectListener
        let redirect: AuthorizationRedirect
        do {
            listener = try await LoopbackRedirectListener.bind(port: port, expectedState: state)
        } catch {
            throw OperationError.temporary("\(error.description): choose another --port")
        }
        do {
            let url = try AuthorizeURL.make(
                base: EndpointOverride.authorize.url(access.context), clientID: clientID,
                redirectURI: listener.redirectURI, scope: scope ?? record.scope ?? "offline_access", state: state,
                pkce: pkce)
            EndpointOverride.authorize.warnIfRedirected(access.context)
            access.context.output.info("Open this URL to sign in (waiting up to \(Login.timeoutSeconds / 60) minutes):")
            access.context.output.info(url)
            if !noBrowser { openBrowser(url, context: access.context) }
            // The listener checks the state: it ties the redirect to this login, so another page
            // cannot inject its own code.
            redirect = try await listener.waitForRedirect(timeout: .seconds(Login.timeoutSeconds))
        } catch {
            // A no-op when the wait itself ended: it closes the listener on every outcome.
            await listener.close()
            guard let error = error as? LoopbackRedirectError else { throw error }
            switch error {
            case .timedOut, .cancelled, .cannotListen:
                throw OperationError.temporary("\(error.description): run `twvault login` again")
            case .stateMismatch, .malformedRedirect:
                throw OperationError.malformedInput("\(error.description): refused (try `twvault login` again)")
            }
        }
        switch redirect {
        case .denied(let error, _):
            throw OperationError.accessDenied(
                "the authorization was refused (\(Names.printable(error))): run `twvault login` again")
        case .code(let code):
            return try await endpoint.authorizationCode(
                code: code, redirectURI: listener.redirectURI, codeVerifier: pkce.verifier,
                clientID: clientID, clientSecret: record.clientSecret)
        }
    }

    private func readCode(_ console: any Console) throws -> String {
        var bytes = try console.readStandardInput(limit: SecretReader.limit)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        let text = String(decoding: bytes, as: UTF8.self)
        guard !text.isEmpty else { throw OperationError.usage("no authorization code on stdin") }
        return text
    }

    /// `xdg-open URL` in the background when it exists; the URL is printed either way.
    /// The browser gets the user's environment without any unlock secret.
    private func openBrowser(_ url: String, context: Context) {
        let environment = ProfileEnvironment.childEnvironment(parent: context.environment, variables: [])
        try? context.processes.startDetached(["xdg-open", url], environment: environment)
    }
}
