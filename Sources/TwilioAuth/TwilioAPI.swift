import FoundationEssentials

/// HTTP Basic credentials: an Account SID with its auth token, or an API key SID with its secret.
public struct BasicCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    var headerValue: String {
        "Basic " + encodedPair
    }

    private var encodedPair: String { Data("\(username):\(password)".utf8).base64EncodedString() }

    /// What must not appear in an error text: the password, and the header that carries it
    /// (a server may quote the request's Authorization header back).
    var sentSecrets: [String] { [password, encodedPair] }

    public var description: String { "BasicCredentials(username: \(username), password: <redacted>)" }
    public var debugDescription: String { description }
}

/// An API key as listed: never with its secret.
public struct APIKey: Sendable, Equatable {
    public var sid: String
    public var friendlyName: String
    public var dateCreated: String?

    public init(sid: String, friendlyName: String, dateCreated: String? = nil) {
        self.sid = sid
        self.friendlyName = friendlyName
        self.dateCreated = dateCreated
    }

    /// `dateCreated` in seconds since 1970, when it is an RFC 2822 date.
    public var createdAt: Int64? { dateCreated.flatMap(TwilioDate.seconds) }
}

/// A key just created: the only time Twilio returns its secret.
public struct NewAPIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var sid: String
    public var friendlyName: String
    public var secret: String

    public init(sid: String, friendlyName: String, secret: String) {
        self.sid = sid
        self.friendlyName = friendlyName
        self.secret = secret
    }

    public var description: String { "NewAPIKey(sid: \(sid), friendlyName: \(friendlyName), secret: <redacted>)" }
    public var debugDescription: String { description }
}

/// The non-secret fields of an account (Twilio also returns the auth token; it is ignored).
public struct AccountInfo: Sendable, Equatable {
    public var sid: String
    public var friendlyName: String?
    public var status: String?
    public var type: String?

    public init(sid: String, friendlyName: String? = nil, status: String? = nil, type: String? = nil) {
        self.sid = sid
        self.friendlyName = friendlyName
        self.status = status
        self.type = type
    }
}

public enum DeletionOutcome: Sendable, Equatable {
    case deleted
    /// 404: it was already gone, which is what the caller wanted.
    case alreadyGone
}

/// The REST calls rotation needs (DESIGN §6): API keys on api.twilio.com and auth tokens on
/// accounts.twilio.com, with HTTP Basic authentication. No call is retried: creating twice
/// would leave a stray key or token.
public struct TwilioAPI: Sendable {
    public static let defaultAPIBaseURL = "https://api.twilio.com"
    public static let defaultAccountsBaseURL = "https://accounts.twilio.com"
    /// Guards against a server whose next_page_uri never ends.
    public static let maximumPages = 1000

    public var accountSID: String
    public var credentials: BasicCredentials
    public var transport: any HTTPTransport
    public var apiBaseURL: String
    public var accountsBaseURL: String

    public init(
        accountSID: String, credentials: BasicCredentials, transport: any HTTPTransport,
        apiBaseURL: String = TwilioAPI.defaultAPIBaseURL,
        accountsBaseURL: String = TwilioAPI.defaultAccountsBaseURL
    ) {
        self.accountSID = accountSID
        self.credentials = credentials
        self.transport = transport
        self.apiBaseURL = Self.trimmed(apiBaseURL)
        self.accountsBaseURL = Self.trimmed(accountsBaseURL)
    }

    private var accountPath: String {
        "/2010-04-01/Accounts/\(FormEncoding.percentEncode(accountSID))"
    }

    /// `POST /2010-04-01/Accounts/{AC}/Keys.json` → 201 with the key's secret.
    public func createAPIKey(friendlyName: String) async throws(TwilioError) -> NewAPIKey {
        let object = try await call(
            .post, apiBaseURL + accountPath + "/Keys.json", form: [("FriendlyName", friendlyName)])
        guard let sid = object["sid"]?.stringValue, let secret = object["secret"]?.stringValue, !secret.isEmpty else {
            throw try malformed(apiBaseURL, "the new key has no sid or secret")
        }
        return NewAPIKey(sid: sid, friendlyName: object["friendly_name"]?.stringValue ?? friendlyName, secret: secret)
    }

    /// `GET …/Keys.json`, following `next_page_uri` (only to the same list on the same host).
    public func listAPIKeys() async throws(TwilioError) -> [APIKey] {
        let listPath = accountPath + "/Keys.json"
        var url = apiBaseURL + listPath
        var keys: [APIKey] = []
        for _ in 0..<Self.maximumPages {
            let object = try await call(.get, url)
            guard let entries = object["keys"]?.arrayValue else {
                throw try malformed(apiBaseURL, "the key list has no keys array")
            }
            for entry in entries {
                guard let sid = entry["sid"]?.stringValue else {
                    throw try malformed(apiBaseURL, "a listed key has no sid")
                }
                keys.append(
                    APIKey(
                        sid: sid, friendlyName: entry["friendly_name"]?.stringValue ?? "",
                        dateCreated: entry["date_created"]?.stringValue))
            }
            guard let next = object["next_page_uri"]?.stringValue, !next.isEmpty else { return keys }
            // The page link must stay on this list: following it elsewhere would send credentials there.
            guard next.hasPrefix(listPath + "?") || next == listPath else {
                throw try malformed(apiBaseURL, "next_page_uri points outside the key list")
            }
            url = apiBaseURL + next
        }
        throw try malformed(apiBaseURL, "the key list has more than \(Self.maximumPages) pages")
    }

    /// `GET …/Keys/{SK}.json`: one key's name and creation date (never its secret).
    ///
    /// Twilio answers it for the account's auth token and for Main keys; a Standard key (what
    /// twilio-cli and `rotate` create) may not read the Keys resource, not even itself (403).
    public func fetchAPIKey(sid: String) async throws(TwilioError) -> APIKey {
        let object = try await call(.get, apiBaseURL + accountPath + "/Keys/\(FormEncoding.percentEncode(sid)).json")
        return try decodeAPIKey(object, sid: sid)
    }

    /// The key in a fetch answer: it must be the key asked for, with an RFC 2822 `date_created`.
    func decodeAPIKey(_ object: [String: JSONValue], sid: String) throws(TwilioError) -> APIKey {
        guard object["sid"]?.stringValue == sid else {
            throw try malformed(apiBaseURL, "the answer is not about the key asked for")
        }
        let key = APIKey(
            sid: sid, friendlyName: object["friendly_name"]?.stringValue ?? "",
            dateCreated: object["date_created"]?.stringValue)
        guard key.createdAt != nil else {
            throw try malformed(apiBaseURL, "the key's date_created is missing or not an RFC 2822 date")
        }
        return key
    }

    /// `DELETE …/Keys/{SK}.json` → 204; 404 counts as already gone.
    public func deleteAPIKey(sid: String) async throws(TwilioError) -> DeletionOutcome {
        try await delete(apiBaseURL + accountPath + "/Keys/\(FormEncoding.percentEncode(sid)).json")
    }

    /// `GET /2010-04-01/Accounts/{AC}.json`: proves the credentials work for the account.
    public func fetchAccount() async throws(TwilioError) -> AccountInfo {
        let object = try await call(.get, apiBaseURL + accountPath + ".json")
        guard let sid = object["sid"]?.stringValue else { throw try malformed(apiBaseURL, "the account has no sid") }
        return AccountInfo(
            sid: sid, friendlyName: object["friendly_name"]?.stringValue,
            status: object["status"]?.stringValue, type: object["type"]?.stringValue)
    }

    /// `GET …/Messages.json?PageSize=1`: proves an API key works without changing anything.
    public func probeMessages() async throws(TwilioError) {
        _ = try await call(.get, apiBaseURL + accountPath + "/Messages.json?PageSize=1")
    }

    /// `POST {accounts}/v1/AuthTokens/Secondary` → 201 with `secondary_auth_token`.
    ///
    /// Like every AuthTokens call, authenticate it as Twilio's examples do: `credentials`
    /// are the account SID and the primary auth token.
    public func createSecondaryAuthToken() async throws(TwilioError) -> String {
        let object = try await call(.post, accountsBaseURL + "/v1/AuthTokens/Secondary", form: [])
        guard let token = object["secondary_auth_token"]?.stringValue, !token.isEmpty else {
            throw try malformed(accountsBaseURL, "the answer has no secondary_auth_token")
        }
        return token
    }

    /// `DELETE {accounts}/v1/AuthTokens/Secondary` → 204; 404 counts as already gone.
    /// `credentials` are the account SID and the primary auth token.
    public func deleteSecondaryAuthToken() async throws(TwilioError) -> DeletionOutcome {
        try await delete(accountsBaseURL + "/v1/AuthTokens/Secondary")
    }

    /// `POST {accounts}/v1/AuthTokens/Promote` → 200 with the new primary `auth_token`.
    ///
    /// Authenticated with the account SID and `primaryAuthToken`, the token being replaced, as
    /// Twilio's examples do: it is valid until this call succeeds. The secondary is never the
    /// credential here; it proves itself beforehand with `fetchAccount()` on a client of its own.
    public func promoteSecondaryAuthToken(primaryAuthToken: String) async throws(TwilioError) -> String {
        let primary = BasicCredentials(username: accountSID, password: primaryAuthToken)
        let object = try await call(
            .post, accountsBaseURL + "/v1/AuthTokens/Promote", form: [], credentials: primary)
        guard let token = object["auth_token"]?.stringValue, !token.isEmpty else {
            throw try malformed(accountsBaseURL, "the answer has no auth_token")
        }
        return token
    }

    // MARK: - One call

    private func delete(_ url: String) async throws(TwilioError) -> DeletionOutcome {
        let host = try EndpointURL.validate(url).host
        let response = try await transport.send(request(.delete, url, form: nil, credentials: credentials))
        switch response.status {
        case 200...299: return .deleted
        case 404: return .alreadyGone
        default: throw ResponseClassifier.error(for: response, host: host, secrets: credentials.sentSecrets)
        }
    }

    private func call(
        _ method: HTTPRequest.Method, _ url: String, form: [(String, String)]? = nil,
        credentials: BasicCredentials? = nil
    ) async throws(TwilioError) -> [String: JSONValue] {
        let credentials = credentials ?? self.credentials
        let host = try EndpointURL.validate(url).host
        let response = try await transport.send(request(method, url, form: form, credentials: credentials))
        guard (200...299).contains(response.status) else {
            throw ResponseClassifier.error(for: response, host: host, secrets: credentials.sentSecrets)
        }
        guard let object = JSONValue.parse(response.body)?.objectValue else {
            throw .malformedResponse(host: host, reason: "the answer is not a JSON object")
        }
        return object
    }

    private func request(
        _ method: HTTPRequest.Method, _ url: String, form: [(String, String)]?, credentials: BasicCredentials
    ) -> HTTPRequest {
        var headers = [
            HeaderField("Authorization", credentials.headerValue), HeaderField("Accept", "application/json"),
        ]
        var body: [UInt8] = []
        if let form {
            headers.append(HeaderField("Content-Type", "application/x-www-form-urlencoded"))
            body = Array(FormEncoding.encode(form).utf8)
        }
        return HTTPRequest(method: method, url: url, headers: headers, body: body)
    }

    private func malformed(_ base: String, _ reason: String) throws(TwilioError) -> TwilioError {
        .malformedResponse(host: try EndpointURL.validate(base).host, reason: reason)
    }

    private static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
