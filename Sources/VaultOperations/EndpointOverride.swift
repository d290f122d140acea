import TwilioAuth
import Vault

/// The endpoints the environment may redirect (DESIGN §5: for proxies and tests).
///
/// A redirected endpoint receives secrets — client secrets, refresh tokens, auth tokens, API
/// key secrets — so a command that contacts one says so on stderr, naming the host: one line per
/// variable and process (DESIGN §4, "Endpoints"), even with `--quiet`. A URL stored in a profile
/// (`--token-url`) was chosen by the user for that profile and is not announced.
public enum EndpointOverride: String, CaseIterable, Sendable {
    case token = "TWVAULT_TOKEN_URL"
    case authorize = "TWVAULT_AUTHORIZE_URL"
    case api = "TWVAULT_API_URL"
    case accounts = "TWVAULT_ACCOUNTS_URL"

    public var defaultURL: String {
        switch self {
        case .token: TokenEndpoint.defaultURL
        case .authorize: AuthorizeURL.defaultURL
        case .api: TwilioAPI.defaultAPIBaseURL
        case .accounts: TwilioAPI.defaultAccountsBaseURL
        }
    }

    /// Where twvault's requests to this endpoint go below its base URL: Twilio's REST API and
    /// its Accounts API may share one base (a proxy, the stand-in), and each request must be
    /// announced under the variable that sent it there. The token URL is requested as it is.
    var requestPathPrefix: String {
        switch self {
        case .api: "/2010-04-01/"
        case .accounts: "/v1/"
        case .token, .authorize: ""
        }
    }

    /// The environment's URL when set, else the default.
    public func url(_ context: Context) -> String { context.env(rawValue) ?? defaultURL }

    /// The environment's URL when it leads somewhere other than Twilio's endpoint (another
    /// scheme, host or port); nil when unset or equivalent to the default. A URL that does not
    /// validate is nil as well: no request reaches it, its own error says why.
    public func redirection(_ context: Context) -> String? {
        guard let value = context.env(rawValue), let chosen = try? EndpointURL.validate(value),
            let standard = try? EndpointURL.validate(defaultURL)
        else { return nil }
        let same = chosen.scheme == standard.scheme && chosen.host == standard.host && chosen.port == standard.port
        return same ? nil : value
    }

    /// The line that says where requests go instead of Twilio.
    func notice(_ url: String) -> String {
        let place = Self.hostAndPort(url)
        switch self {
        case .authorize: return "opening the sign-in page at \(place) (\(rawValue)), not Twilio's"
        default: return "sending credentials to \(place) (\(rawValue)), not Twilio"
        }
    }

    /// Warns (once per variable and process) when this endpoint is redirected.
    public func warnIfRedirected(_ context: Context) {
        guard let url = redirection(context) else { return }
        context.output.warnOnce(rawValue, notice(url))
    }

    /// `host[:port]` of a valid URL, IPv6 hosts in brackets.
    static func hostAndPort(_ url: String) -> String {
        guard let endpoint = try? EndpointURL.validate(url) else { return "an invalid URL" }
        let host = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
        return endpoint.port.map { "\(host):\($0)" } ?? host
    }

    /// `transport`, made to warn before the first request that goes to a redirected endpoint
    /// among `endpoints`; `transport` itself when none of them is redirected.
    public static func watching(
        _ endpoints: [EndpointOverride], context: Context, transport: any HTTPTransport
    ) -> any HTTPTransport {
        let watched = endpoints.compactMap { endpoint in
            endpoint.redirection(context).map { (endpoint, $0) }
        }
        guard !watched.isEmpty else { return transport }
        return RedirectionNotice(transport: transport, watched: watched, output: context.output)
    }
}

/// A transport that announces requests sent to redirected endpoints: the warning comes when a
/// request is about to go there, so a command that ends before contacting one says nothing.
struct RedirectionNotice: HTTPTransport {
    let transport: any HTTPTransport
    let watched: [(endpoint: EndpointOverride, url: String)]
    let output: Output

    func send(_ request: HTTPRequest) async throws(TwilioError) -> HTTPResponse {
        for (endpoint, url) in watched where Self.url(request.url, isUnder: url, pathPrefix: endpoint.requestPathPrefix)
        {
            output.warnOnce(endpoint.rawValue, endpoint.notice(url))
        }
        return try await transport.send(request)
    }

    /// Whether `url` is `base` or below it, starting with `pathPrefix` after the base.
    static func url(_ url: String, isUnder base: String, pathPrefix: String) -> Bool {
        var base = Substring(base)
        while base.hasSuffix("/") { base = base.dropLast() }
        guard url.hasPrefix(base) else { return false }
        let rest = url.dropFirst(base.count)
        guard pathPrefix.isEmpty else { return rest.hasPrefix(pathPrefix) }
        return rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix("?") || rest.hasPrefix("#")
    }
}
