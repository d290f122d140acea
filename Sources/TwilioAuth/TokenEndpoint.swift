import FoundationEssentials

/// One OAuth 2.0 grant, with exactly the form fields Twilio's token endpoint takes.
public enum TokenGrant: Sendable, Equatable {
    case clientCredentials(clientID: String, clientSecret: String, scope: String? = nil, audience: String? = nil)
    case authorizationCode(
        code: String, redirectURI: String, codeVerifier: String?, clientID: String, clientSecret: String? = nil)
    case refreshToken(refreshToken: String, clientID: String, clientSecret: String? = nil)

    /// The form fields in a stable order; empty optional values are left out.
    public var formFields: [(String, String)] {
        var fields: [(String, String)]
        var optional: [(String, String?)]
        switch self {
        case .clientCredentials(let clientID, let clientSecret, let scope, let audience):
            fields = [("grant_type", "client_credentials"), ("client_id", clientID), ("client_secret", clientSecret)]
            optional = [("scope", scope), ("audience", audience)]
        case .authorizationCode(let code, let redirectURI, let codeVerifier, let clientID, let clientSecret):
            fields = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ]
            // A code obtained elsewhere (`login --code`) may come without a PKCE verifier.
            if let codeVerifier, !codeVerifier.isEmpty { fields.append(("code_verifier", codeVerifier)) }
            fields.append(("client_id", clientID))
            optional = [("client_secret", clientSecret)]
        case .refreshToken(let refreshToken, let clientID, let clientSecret):
            fields = [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientID)]
            optional = [("client_secret", clientSecret)]
        }
        for (name, value) in optional {
            if let value, !value.isEmpty { fields.append((name, value)) }
        }
        return fields
    }

    /// Only client_credentials is idempotent: a refresh token or code may be consumed by a
    /// request whose answer was lost, and re-sending a used refresh token revokes its family.
    public var mayBeRetried: Bool {
        if case .clientCredentials = self { return true }
        return false
    }

    /// Values that must never appear in an error message.
    var secrets: [String] {
        switch self {
        case .clientCredentials(_, let clientSecret, _, _):
            [clientSecret]
        case .authorizationCode(let code, _, let codeVerifier, _, let clientSecret):
            [code, codeVerifier, clientSecret].compactMap { $0 }
        case .refreshToken(let refreshToken, _, let clientSecret):
            [refreshToken, clientSecret].compactMap { $0 }
        }
    }
}

/// When and how often a retryable token request is sent again.
public struct RetryPolicy: Sendable {
    /// Extra attempts after the first.
    public var maxRetries: Int = 2
    /// A longer `Retry-After` is not waited for: the request fails at once as temporary.
    public var maxDelay: Duration = .seconds(10)
    /// Delays when the server sends no `Retry-After`, by retry number (the last repeats).
    public var backoff: [Duration] = [.milliseconds(500), .seconds(1)]
    /// Waits between attempts; tests inject one that records the delays.
    public var sleep: @Sendable (Duration) async -> Void = { duration in
        try? await Task.sleep(for: duration)
    }

    public init() {}

    public static let never: RetryPolicy = {
        var policy = RetryPolicy()
        policy.maxRetries = 0
        return policy
    }()
}

/// Twilio's OAuth v2 token endpoint (DESIGN §5). Never regionalised.
public struct TokenEndpoint: Sendable {
    public static let defaultURL = "https://oauth.twilio.com/v2/token"

    public var url: String
    public var transport: any HTTPTransport
    public var retryPolicy: RetryPolicy
    public var expiryPolicy: ExpiryPolicy
    /// The current time; tests inject a fixed one.
    public var now: @Sendable () -> Date

    public init(
        url: String = TokenEndpoint.defaultURL,
        transport: any HTTPTransport,
        retryPolicy: RetryPolicy = RetryPolicy(),
        expiryPolicy: ExpiryPolicy = ExpiryPolicy(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.url = url
        self.transport = transport
        self.retryPolicy = retryPolicy
        self.expiryPolicy = expiryPolicy
        self.now = now
    }

    public func clientCredentials(
        clientID: String, clientSecret: String, scope: String? = nil, audience: String? = nil
    ) async throws(TwilioError) -> TokenResponse {
        try await exchange(
            .clientCredentials(clientID: clientID, clientSecret: clientSecret, scope: scope, audience: audience))
    }

    public func authorizationCode(
        code: String, redirectURI: String, codeVerifier: String?, clientID: String, clientSecret: String? = nil
    ) async throws(TwilioError) -> TokenResponse {
        try await exchange(
            .authorizationCode(
                code: code, redirectURI: redirectURI, codeVerifier: codeVerifier, clientID: clientID,
                clientSecret: clientSecret))
    }

    public func refresh(
        refreshToken: String, clientID: String, clientSecret: String? = nil
    ) async throws(TwilioError) -> TokenResponse {
        try await exchange(.refreshToken(refreshToken: refreshToken, clientID: clientID, clientSecret: clientSecret))
    }

    /// Sends `grant`; retries only client_credentials, only on temporary failures other than
    /// a timeout of the whole request, at most `retryPolicy.maxRetries` times.
    public func exchange(_ grant: TokenGrant) async throws(TwilioError) -> TokenResponse {
        let endpoint = try EndpointURL.validate(url)
        let request = HTTPRequest(
            method: .post, url: url,
            headers: [
                HeaderField("Content-Type", "application/x-www-form-urlencoded"),
                HeaderField("Accept", "application/json"),
            ],
            body: Array(FormEncoding.encode(grant.formFields).utf8))
        var retries = 0
        while true {
            do {
                return try await attempt(request, grant: grant, host: endpoint.host)
            } catch {
                guard grant.mayBeRetried, retries < retryPolicy.maxRetries, case .temporary(let failure) = error
                else { throw error }
                if case .timedOut = failure { throw error }
                let backoff =
                    retryPolicy.backoff.isEmpty
                    ? Duration.zero : retryPolicy.backoff[min(retries, retryPolicy.backoff.count - 1)]
                let delay = failure.retryAfter ?? backoff
                guard delay <= retryPolicy.maxDelay else { throw error }
                await retryPolicy.sleep(delay)
                retries += 1
            }
        }
    }

    private func attempt(_ request: HTTPRequest, grant: TokenGrant, host: String) async throws(TwilioError)
        -> TokenResponse
    {
        let response = try await transport.send(request)
        guard (200...299).contains(response.status) else {
            throw ResponseClassifier.error(for: response, host: host, secrets: grant.secrets)
        }
        return try TokenResponse.decode(response.body, host: host, now: now(), policy: expiryPolicy)
    }
}
