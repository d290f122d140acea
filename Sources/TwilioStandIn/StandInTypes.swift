import Foundation
import TwilioAuth

/// An OAuth client the stand-in knows.
public struct StandInClient: Sendable, Equatable {
    public var id: String
    /// nil for a public client (authorization code with PKCE only).
    public var secret: String?
    /// Exact redirect URIs accepted; when empty, any http:// loopback URI is (as for native apps).
    public var redirectURIs: [String]

    public init(id: String, secret: String?, redirectURIs: [String] = []) {
        self.id = id
        self.secret = secret
        self.redirectURIs = redirectURIs
    }
}

/// An API key of an account.
public struct StandInAPIKey: Sendable, Equatable {
    public var sid: String
    public var secret: String
    public var friendlyName: String
    /// Sent as `date_created`. Configured keys default to a fixed day (2020-01-01), so that
    /// configurations compare equal; keys created through the API get the time of creation.
    public var dateCreated: Date
    /// A Main key may do what the account's auth token does on the 2010 API, including the
    /// Keys resource; a Standard key (the default, and what the API creates) may not.
    public var isMain: Bool

    public init(
        sid: String, secret: String, friendlyName: String = "",
        dateCreated: Date = Date(timeIntervalSince1970: 1_577_836_800), isMain: Bool = false
    ) {
        self.sid = sid
        self.secret = secret
        self.friendlyName = friendlyName
        self.dateCreated = dateCreated
        self.isMain = isMain
    }
}

/// An account and its credentials.
public struct StandInAccount: Sendable, Equatable {
    public var sid: String
    public var authToken: String
    public var secondaryAuthToken: String?
    public var apiKeys: [StandInAPIKey]
    public var friendlyName: String

    public init(
        sid: String, authToken: String, secondaryAuthToken: String? = nil, apiKeys: [StandInAPIKey] = [],
        friendlyName: String = "Stand-in account"
    ) {
        self.sid = sid
        self.authToken = authToken
        self.secondaryAuthToken = secondaryAuthToken
        self.apiKeys = apiKeys
        self.friendlyName = friendlyName
    }
}

/// What the stand-in starts with.
public struct StandInConfiguration: Sendable {
    public var clients: [StandInClient] = []
    public var accounts: [StandInAccount] = []
    /// Access token lifetime, sent as `expires_in` and as the JWT `exp`.
    public var tokenLifetime: Int = 3600
    /// `.jwt` (HS256, with exp) or `.opaque` (random string; expiry only from expires_in).
    public var tokenFormat: TokenFormat = .jwt
    /// Whether token responses carry `expires_in`.
    public var sendsExpiresIn: Bool = true
    /// Page size of list answers when the request gives no PageSize.
    public var listPageSize: Int = 50

    public enum TokenFormat: String, Sendable { case jwt, opaque }

    public init(clients: [StandInClient] = [], accounts: [StandInAccount] = []) {
        self.clients = clients
        self.accounts = accounts
    }
}

/// A REST or OAuth call, for faults aimed at one step of a flow.
public enum StandInStep: String, Sendable, CaseIterable {
    case token
    case authorize
    case createKey = "create-key"
    case listKeys = "list-keys"
    case deleteKey = "delete-key"
    case fetchKey = "fetch-key"
    case fetchAccount = "fetch-account"
    case probeMessages = "probe-messages"
    case createSecondary = "create-secondary"
    case deleteSecondary = "delete-secondary"
    case promote
}

/// A misbehaviour to inject.
public struct Fault: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Wait, then answer normally.
        case delay(Duration)
        /// Answer with this status and a Twilio-shaped error body.
        case status(Int)
        /// 429 with `Retry-After` (seconds or an HTTP date) when given.
        case tooManyRequests(retryAfter: String?)
        /// 200 with a body that is not JSON.
        case malformedJSON
        /// 200 with a 2 MiB body.
        case oversizedBody
        /// Close the connection without answering.
        case dropConnection
        /// Never answer (until the client gives up or the stand-in shuts down).
        case neverAnswer
        /// Answer exactly this.
        case respond(status: Int, headers: [HeaderField], body: String)
    }

    /// Which requests a fault applies to.
    public enum Target: Sendable, Equatable {
        case any
        /// Requests whose path equals this (query ignored).
        case path(String)
        case step(StandInStep)
    }

    public var kind: Kind
    public var target: Target
    /// How many matching requests it affects; nil until cleared.
    public var count: Int?

    public init(_ kind: Kind, target: Target = .any, count: Int? = 1) {
        self.kind = kind
        self.target = target
        self.count = count
    }
}

/// One request as the stand-in received it (test support: bodies and headers included).
public struct RecordedRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var query: String
    public var headers: [HeaderField]
    public var body: [UInt8]

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The form fields of the body, in order.
    public var form: [(String, String)] { FormEncoding.decode(bodyText) }

    public var formDictionary: [String: String] {
        Dictionary(form, uniquingKeysWith: { first, _ in first })
    }

    public func header(_ name: String) -> String? { headers.value(for: name) }
}
