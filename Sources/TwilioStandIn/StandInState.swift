import Foundation
import TwilioAuth
import VaultCrypto

/// What the server does with one request.
struct StandInReply: Sendable {
    enum Action: Sendable {
        case respond(status: Int, headers: [HeaderField], body: [UInt8])
        case drop
        case hang
    }

    var delay: Duration?
    var action: Action
}

/// A request as the server hands it to the state.
struct StandInRequest: Sendable {
    var method: String
    var path: String
    var query: String
    var headers: [HeaderField]
    var body: [UInt8]

    var queryItems: [String: String] {
        Dictionary(FormEncoding.decode(query), uniquingKeysWith: { first, _ in first })
    }

    var form: [String: String] {
        Dictionary(FormEncoding.decode(String(decoding: body, as: UTF8.self)), uniquingKeysWith: { first, _ in first })
    }
}

/// Everything the stand-in remembers, behind one lock: requests are handled on NIO threads
/// and inspected from tests at the same time.
final class StandInState: @unchecked Sendable {
    private let lock = NSLock()
    private var configuration: StandInConfiguration
    private var clients: [String: StandInClient] = [:]
    private var accounts: [String: StandInAccount] = [:]
    private var accountOrder: [String] = []
    private var log: [RecordedRequest] = []
    private var faults: [Fault] = []
    private var refreshTokens: [String: RefreshRecord] = [:]
    private var revokedFamilies: Set<String> = []
    private var codes: [String: CodeRecord] = [:]
    /// Every API key secret and secondary auth token handed out, for tests that grep outputs.
    private var issuedSecrets: [String] = []
    private let signingKey: [UInt8]
    var baseURL = ""

    struct RefreshRecord {
        var clientID: String
        var family: String
        var scope: String?
        var used: Bool
    }

    struct CodeRecord {
        var clientID: String
        var redirectURI: String
        var challenge: String
        var scope: String?
        var used: Bool
        var family: String
        var expiresAt: Date
    }

    init(_ configuration: StandInConfiguration) {
        self.configuration = configuration
        var generator = SystemRandomNumberGenerator()
        signingKey = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for client in configuration.clients { clients[client.id] = client }
        for account in configuration.accounts { addAccountLocked(account) }
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: - Control

    func register(_ client: StandInClient) { withLock { clients[client.id] = client } }

    func register(_ account: StandInAccount) { withLock { addAccountLocked(account) } }

    private func addAccountLocked(_ account: StandInAccount) {
        if accounts[account.sid] == nil { accountOrder.append(account.sid) }
        accounts[account.sid] = account
    }

    func account(_ sid: String) -> StandInAccount? { withLock { accounts[sid] } }

    func requests() -> [RecordedRequest] { withLock { log } }

    func secretsIssued() -> [String] { withLock { issuedSecrets } }

    func clearLog() { withLock { log.removeAll() } }

    func inject(_ fault: Fault) { withLock { faults.append(fault) } }

    func clearFaults() { withLock { faults.removeAll() } }

    func update(_ change: (inout StandInConfiguration) -> Void) { withLock { change(&configuration) } }

    var currentConfiguration: StandInConfiguration { withLock { configuration } }

    /// A refresh token as if issued by an authorization-code exchange, for tests that start there.
    func issueRefreshToken(clientID: String, scope: String?) -> String {
        withLock {
            let token = "RT" + Self.randomToken()
            refreshTokens[token] = RefreshRecord(
                clientID: clientID, family: Self.randomToken(), scope: scope, used: false)
            return token
        }
    }

    // MARK: - Handling

    func handle(_ request: StandInRequest) -> StandInReply {
        withLock {
            log.append(
                RecordedRequest(
                    method: request.method, path: request.path, query: request.query, headers: request.headers,
                    body: request.body))
            let step = Self.step(of: request)
            var delay: Duration?
            if let index = faults.firstIndex(where: { Self.matches($0.target, request, step) }) {
                let fault = faults[index]
                if let count = fault.count {
                    if count <= 1 { faults.remove(at: index) } else { faults[index].count = count - 1 }
                }
                switch fault.kind {
                case .delay(let duration):
                    delay = duration
                case .status(let status):
                    return StandInReply(
                        action: Self.twilioError(status, code: 20000 + status, message: Self.reason(status)))
                case .tooManyRequests(let retryAfter):
                    var reply = Self.twilioError(429, code: 20429, message: "Too Many Requests")
                    if let retryAfter, case .respond(let status, var headers, let body) = reply {
                        headers.append(HeaderField("Retry-After", retryAfter))
                        reply = .respond(status: status, headers: headers, body: body)
                    }
                    return StandInReply(action: reply)
                case .malformedJSON:
                    return StandInReply(
                        action: .respond(
                            status: 200, headers: Self.jsonHeaders, body: Array("{\"access_token\": \"abc\",".utf8)))
                case .oversizedBody:
                    var body = Array("{\"padding\":\"".utf8)
                    body += [UInt8](repeating: UInt8(ascii: "x"), count: 2 * 1024 * 1024)
                    body += Array("\"}".utf8)
                    return StandInReply(action: .respond(status: 200, headers: Self.jsonHeaders, body: body))
                case .dropConnection:
                    return StandInReply(action: .drop)
                case .neverAnswer:
                    return StandInReply(action: .hang)
                case .respond(let status, let headers, let body):
                    return StandInReply(action: .respond(status: status, headers: headers, body: Array(body.utf8)))
                }
            }
            return StandInReply(delay: delay, action: route(request, step: step))
        }
    }

    private static func matches(_ target: Fault.Target, _ request: StandInRequest, _ step: StandInStep?) -> Bool {
        switch target {
        case .any: true
        case .path(let path): path == request.path
        case .step(let wanted): wanted == step
        }
    }

    static func step(of request: StandInRequest) -> StandInStep? {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch (request.method, parts.count) {
        case ("POST", 2) where parts == ["v2", "token"]: return .token
        case ("GET", 2) where parts == ["v2", "authorize"]: return .authorize
        case ("POST", 3) where parts == ["v1", "AuthTokens", "Secondary"]: return .createSecondary
        case ("DELETE", 3) where parts == ["v1", "AuthTokens", "Secondary"]: return .deleteSecondary
        case ("POST", 3) where parts == ["v1", "AuthTokens", "Promote"]: return .promote
        default: break
        }
        guard parts.count >= 3, parts[0] == "2010-04-01", parts[1] == "Accounts" else { return nil }
        switch (request.method, Array(parts.dropFirst(3))) {
        case ("GET", []) where parts[2].hasSuffix(".json"): return .fetchAccount
        case ("GET", ["Keys.json"]): return .listKeys
        case ("POST", ["Keys.json"]): return .createKey
        case ("DELETE", let rest) where rest.count == 2 && rest[0] == "Keys": return .deleteKey
        case ("GET", let rest) where rest.count == 2 && rest[0] == "Keys": return .fetchKey
        case ("GET", ["Messages.json"]): return .probeMessages
        default: return nil
        }
    }

    // MARK: - Routes

    private func route(_ request: StandInRequest, step: StandInStep?) -> StandInReply.Action {
        switch step {
        case .token: return token(request)
        case .authorize: return authorize(request)
        case nil:
            return Self.twilioError(404, code: 20404, message: "The requested resource \(request.path) was not found")
        default: return rest(request, step: step!)
        }
    }

    // MARK: OAuth

    private func token(_ request: StandInRequest) -> StandInReply.Action {
        guard
            request.headers.value(for: "Content-Type")?.lowercased().hasPrefix("application/x-www-form-urlencoded")
                == true
        else { return Self.oauthError(400, "invalid_request", "the body must be application/x-www-form-urlencoded") }
        guard request.headers.value(for: "Authorization") == nil else {
            return Self.oauthError(
                400, "invalid_request", "client credentials belong in the form, not in an Authorization header")
        }
        let form = request.form
        guard let clientID = form["client_id"], let client = clients[clientID] else {
            return Self.twilioError(401, code: 20003, message: "Authentication Error - invalid client")
        }
        if let secret = client.secret {
            guard form["client_secret"] == secret else {
                return Self.twilioError(401, code: 20003, message: "Authentication Error - invalid client")
            }
        }
        switch form["grant_type"] {
        case "client_credentials":
            guard client.secret != nil else {
                return Self.oauthError(400, "unauthorized_client", "a public client cannot use client_credentials")
            }
            return issue(clientID: clientID, scope: form["scope"], audience: form["audience"], family: nil)
        case "refresh_token":
            guard let token = form["refresh_token"], var record = refreshTokens[token], record.clientID == clientID
            else {
                return Self.oauthError(400, "invalid_grant", "the refresh token is not valid")
            }
            guard !revokedFamilies.contains(record.family) else {
                return Self.oauthError(400, "invalid_grant", "the refresh token was revoked")
            }
            guard !record.used else {
                // Reuse means two parties hold the token: revoke everything issued from it.
                revokedFamilies.insert(record.family)
                return Self.oauthError(
                    400, "invalid_grant", "the refresh token was already used; its family is revoked")
            }
            record.used = true
            refreshTokens[token] = record
            return issue(clientID: clientID, scope: record.scope, audience: nil, family: record.family)
        case "authorization_code":
            guard let code = form["code"], var record = codes[code], record.clientID == clientID else {
                return Self.oauthError(400, "invalid_grant", "the authorization code is not valid")
            }
            guard !record.used else {
                revokedFamilies.insert(record.family)
                return Self.oauthError(400, "invalid_grant", "the authorization code was already used")
            }
            record.used = true
            codes[code] = record
            guard record.expiresAt > Date() else {
                return Self.oauthError(400, "invalid_grant", "the authorization code expired")
            }
            guard form["redirect_uri"] == record.redirectURI else {
                return Self.oauthError(400, "invalid_grant", "redirect_uri does not match the authorization request")
            }
            guard let verifier = form["code_verifier"], PKCE.challenge(for: verifier) == record.challenge else {
                return Self.oauthError(400, "invalid_grant", "code_verifier does not match the code challenge")
            }
            return issue(clientID: clientID, scope: record.scope, audience: nil, family: record.family)
        case nil:
            return Self.oauthError(400, "invalid_request", "grant_type is missing")
        default:
            return Self.oauthError(400, "unsupported_grant_type", "this grant type is not supported")
        }
    }

    private func issue(clientID: String, scope: String?, audience: String?, family: String?) -> StandInReply.Action {
        let now = Date()
        let lifetime = configuration.tokenLifetime
        let accessToken: String
        switch configuration.tokenFormat {
        case .opaque:
            accessToken = "AT" + Self.randomToken()
        case .jwt:
            var claims: [String: JSONValue] = [
                "iss": .string(baseURL.isEmpty ? "twilio-standin" : baseURL), "sub": .string(clientID),
                "iat": .number(now.timeIntervalSince1970.rounded(.down)),
                "exp": .number(now.timeIntervalSince1970.rounded(.down) + Double(lifetime)),
                "jti": .string(Self.randomToken()),
            ]
            if let scope { claims["scope"] = .string(scope) }
            if let audience { claims["aud"] = .string(audience) }
            let header = Base64URL.encode(
                JSONValue.object(["alg": .string("HS256"), "typ": .string("JWT")]).serialized())
            let payload = Base64URL.encode(JSONValue.object(claims).serialized())
            let signature = Base64URL.encode(
                HMACSHA256.authenticate(Array("\(header).\(payload)".utf8), key: signingKey))
            accessToken = "\(header).\(payload).\(signature)"
        }
        var body: [String: JSONValue] = ["access_token": .string(accessToken), "token_type": .string("Bearer")]
        if configuration.sendsExpiresIn { body["expires_in"] = .number(Double(lifetime)) }
        if let scope { body["scope"] = .string(scope) }
        if let family {
            let refreshToken = "RT" + Self.randomToken()
            refreshTokens[refreshToken] = RefreshRecord(clientID: clientID, family: family, scope: scope, used: false)
            body["refresh_token"] = .string(refreshToken)
        }
        return Self.json(200, .object(body))
    }

    private func authorize(_ request: StandInRequest) -> StandInReply.Action {
        let query = request.queryItems
        guard query["response_type"] == "code" else {
            return Self.oauthError(400, "unsupported_response_type", "response_type must be code")
        }
        guard let clientID = query["client_id"], let client = clients[clientID] else {
            return Self.twilioError(400, code: 20003, message: "unknown client_id")
        }
        guard let redirectURI = query["redirect_uri"] else {
            return Self.oauthError(400, "invalid_request", "redirect_uri is missing")
        }
        let redirectAllowed: Bool
        if client.redirectURIs.isEmpty {
            redirectAllowed =
                redirectURI.hasPrefix("http://") && ((try? EndpointURL.validate(redirectURI))?.isLoopback ?? false)
        } else {
            redirectAllowed = client.redirectURIs.contains(redirectURI)
        }
        // Never redirect to an unregistered URI: that would hand the code to anyone.
        guard redirectAllowed else { return Self.oauthError(400, "invalid_request", "redirect_uri is not registered") }
        guard let challenge = query["code_challenge"], query["code_challenge_method"] == "S256" else {
            return Self.oauthError(400, "invalid_request", "PKCE with code_challenge_method=S256 is required")
        }
        let code = "CD" + Self.randomToken()
        codes[code] = CodeRecord(
            clientID: clientID, redirectURI: redirectURI, challenge: challenge, scope: query["scope"], used: false,
            family: Self.randomToken(), expiresAt: Date().addingTimeInterval(600))
        var fields = [("code", code)]
        if let state = query["state"] { fields.append(("state", state)) }
        let separator = redirectURI.contains("?") ? "&" : "?"
        let location = redirectURI + separator + FormEncoding.encode(fields)
        return .respond(status: 302, headers: [HeaderField("Location", location)], body: [])
    }

    // MARK: REST

    private enum Caller {
        /// The account SID with its primary auth token, or with the secondary when `secondary`.
        case account(String, secondary: Bool)
        case apiKey(account: String, key: String, main: Bool)
    }

    private func authenticate(_ request: StandInRequest) -> Caller? {
        guard let header = request.headers.value(for: "Authorization"), header.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6))),
            let decoded = String(data: data, encoding: .utf8), let colon = decoded.firstIndex(of: ":")
        else { return nil }
        let user = String(decoded[..<colon])
        let password = String(decoded[decoded.index(after: colon)...])
        if let account = accounts[user] {
            if password == account.authToken { return .account(user, secondary: false) }
            if account.secondaryAuthToken.map({ $0 == password }) ?? false { return .account(user, secondary: true) }
            return nil
        }
        for account in accounts.values {
            if let key = account.apiKeys.first(where: { $0.sid == user }), key.secret == password {
                return .apiKey(account: account.sid, key: key.sid, main: key.isMain)
            }
        }
        return nil
    }

    private func rest(_ request: StandInRequest, step: StandInStep) -> StandInReply.Action {
        guard let caller = authenticate(request) else {
            return Self.twilioError(401, code: 20003, message: "Authenticate", authenticate: true)
        }
        let accountSID: String
        switch (caller, step) {
        case (.account, .createSecondary), (.account, .deleteSecondary), (.account, .promote):
            // Twilio's examples authenticate every AuthTokens call with the primary token; the
            // secondary is refused here so that a client relying on it fails in tests.
            guard case .account(let sid, secondary: false) = caller else {
                return Self.twilioError(401, code: 20003, message: "Authenticate", authenticate: true)
            }
            accountSID = sid
        case (.account(let sid, _), _):
            accountSID = sid
        case (.apiKey(let sid, _, _), .fetchAccount), (.apiKey(let sid, _, _), .probeMessages):
            accountSID = sid
        case (.apiKey(let sid, _, main: true), .createKey), (.apiKey(let sid, _, main: true), .listKeys),
            (.apiKey(let sid, _, main: true), .fetchKey), (.apiKey(let sid, _, main: true), .deleteKey):
            accountSID = sid
        case (.apiKey, _):
            return Self.twilioError(403, code: 20403, message: "an API key may not do this")
        }
        let parts = request.path.split(separator: "/").map(String.init)
        if parts.first == "2010-04-01" {
            let pathAccount = parts[2].hasSuffix(".json") ? String(parts[2].dropLast(5)) : parts[2]
            guard pathAccount == accountSID else {
                return Self.twilioError(401, code: 20003, message: "Authenticate", authenticate: true)
            }
        }
        guard var account = accounts[accountSID] else {
            return Self.twilioError(404, code: 20404, message: "The requested resource \(request.path) was not found")
        }
        defer { accounts[accountSID] = account }
        let now = Self.rfc2822(Date())
        switch step {
        case .fetchAccount:
            return Self.json(
                200,
                .object([
                    "sid": .string(account.sid), "friendly_name": .string(account.friendlyName),
                    "status": .string("active"), "type": .string("Full"), "auth_token": .string(account.authToken),
                    "date_created": .string(now), "uri": .string("/2010-04-01/Accounts/\(account.sid).json"),
                ]))
        case .probeMessages:
            let pageSize = Int(request.queryItems["PageSize"] ?? "") ?? 50
            return Self.json(
                200,
                .object([
                    "messages": .array([]), "page": .number(0), "page_size": .number(Double(pageSize)),
                    "next_page_uri": .null,
                    "uri": .string(request.path + (request.query.isEmpty ? "" : "?" + request.query)),
                ]))
        case .createKey:
            let key = StandInAPIKey(
                sid: "SK" + Self.randomHex(16), secret: Self.randomAlphanumeric(32),
                friendlyName: request.form["FriendlyName"] ?? "", dateCreated: Date())
            account.apiKeys.append(key)
            issuedSecrets.append(key.secret)
            return Self.json(
                201,
                .object([
                    "sid": .string(key.sid), "friendly_name": .string(key.friendlyName), "secret": .string(key.secret),
                    "date_created": .string(now), "date_updated": .string(now),
                ]))
        case .listKeys:
            let query = request.queryItems
            let pageSize = max(1, min(1000, Int(query["PageSize"] ?? "") ?? configuration.listPageSize))
            let page = max(0, Int(query["Page"] ?? "") ?? 0)
            let start = min(page * pageSize, account.apiKeys.count)
            let end = min(start + pageSize, account.apiKeys.count)
            let keys = account.apiKeys[start..<end].map { key -> JSONValue in
                .object([
                    "sid": .string(key.sid), "friendly_name": .string(key.friendlyName),
                    "date_created": .string(Self.rfc2822(key.dateCreated)),
                ])
            }
            let listPath = "/2010-04-01/Accounts/\(account.sid)/Keys.json"
            let next: JSONValue =
                end < account.apiKeys.count
                ? .string("\(listPath)?PageSize=\(pageSize)&Page=\(page + 1)&PageToken=PA\(Self.randomHex(8))") : .null
            return Self.json(
                200,
                .object([
                    "keys": .array(keys), "page": .number(Double(page)), "page_size": .number(Double(pageSize)),
                    "next_page_uri": next, "first_page_uri": .string("\(listPath)?PageSize=\(pageSize)&Page=0"),
                ]))
        case .fetchKey:
            let keySID = String(parts[4].dropLast(5))
            guard parts[4].hasSuffix(".json"), let key = account.apiKeys.first(where: { $0.sid == keySID }) else {
                return Self.twilioError(
                    404, code: 20404, message: "The requested resource \(request.path) was not found")
            }
            let created = Self.rfc2822(key.dateCreated)
            return Self.json(
                200,
                .object([
                    "sid": .string(key.sid), "friendly_name": .string(key.friendlyName),
                    "date_created": .string(created), "date_updated": .string(created),
                ]))
        case .deleteKey:
            let keySID = String(parts[4].dropLast(5))
            guard parts[4].hasSuffix(".json"), let index = account.apiKeys.firstIndex(where: { $0.sid == keySID })
            else {
                return Self.twilioError(
                    404, code: 20404, message: "The requested resource \(request.path) was not found")
            }
            account.apiKeys.remove(at: index)
            return .respond(status: 204, headers: [], body: [])
        case .createSecondary:
            let token = Self.randomHex(16)
            account.secondaryAuthToken = token
            issuedSecrets.append(token)
            return Self.json(
                201,
                .object([
                    "account_sid": .string(account.sid), "secondary_auth_token": .string(token),
                    "date_created": .string(now), "date_updated": .string(now),
                    "url": .string(baseURL + "/v1/AuthTokens/Secondary"),
                ]))
        case .deleteSecondary:
            guard account.secondaryAuthToken != nil else {
                return Self.twilioError(
                    404, code: 20404, message: "The requested resource \(request.path) was not found")
            }
            account.secondaryAuthToken = nil
            return .respond(status: 204, headers: [], body: [])
        case .promote:
            guard let secondary = account.secondaryAuthToken else {
                return Self.twilioError(400, code: 20001, message: "There is no secondary auth token to promote")
            }
            account.authToken = secondary
            account.secondaryAuthToken = nil
            return Self.json(
                200,
                .object([
                    "account_sid": .string(account.sid), "auth_token": .string(secondary),
                    "date_created": .string(now), "date_updated": .string(now),
                    "url": .string(baseURL + "/v1/AuthTokens/Promote"),
                ]))
        case .token, .authorize:
            return Self.twilioError(404, code: 20404, message: "not found")
        }
    }

    // MARK: - Answers

    static let jsonHeaders = [HeaderField("Content-Type", "application/json; charset=utf-8")]

    static func json(_ status: Int, _ value: JSONValue) -> StandInReply.Action {
        .respond(status: status, headers: jsonHeaders, body: value.serialized())
    }

    static func twilioError(_ status: Int, code: Int, message: String, authenticate: Bool = false)
        -> StandInReply.Action
    {
        var action = json(
            status,
            .object([
                "code": .number(Double(code)), "message": .string(message),
                "more_info": .string("https://www.twilio.com/docs/errors/\(code)"), "status": .number(Double(status)),
            ]))
        if authenticate, case .respond(let status, var headers, let body) = action {
            headers.append(HeaderField("WWW-Authenticate", "Basic realm=\"Twilio API\""))
            action = .respond(status: status, headers: headers, body: body)
        }
        return action
    }

    /// OAuth errors in Twilio's shape, with the RFC 6749 code leading the message.
    static func oauthError(_ status: Int, _ error: String, _ description: String) -> StandInReply.Action {
        twilioError(status, code: 20001, message: "\(error): \(description)")
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 429: "Too Many Requests"
        default: "HTTP \(status)"
        }
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    static func randomAlphanumeric(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }

    static func rfc2822(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
