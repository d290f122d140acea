import Vault

/// A variable that `add` and `update` read from the environment or stdin, named as `export`
/// prints it (DESIGN §3), plus the refresh token, which `export` never prints.
public enum CredentialVariable: String, CaseIterable, Sendable {
    case accountSID = "TWILIO_ACCOUNT_SID"
    case authToken = "TWILIO_AUTH_TOKEN"
    case apiKeySID = "TWILIO_API_KEY"
    case apiKeySecret = "TWILIO_API_SECRET"
    case clientID = "TWILIO_CLIENT_ID"
    case clientSecret = "TWILIO_CLIENT_SECRET"
    case refreshToken = "TWILIO_REFRESH_TOKEN"
    case region = "TWILIO_REGION"
    case edge = "TWILIO_EDGE"

    /// Names `export` prints that input ignores, so that an export can be piped back in.
    public static let ignoredNames: Set<String> = ["TWVAULT_PROFILE", "TWVAULT_VARS", "TWILIO_ACCESS_TOKEN"]

    public var isSecret: Bool {
        switch self {
        case .authToken, .apiKeySecret, .clientSecret, .refreshToken: true
        case .accountSID, .apiKeySID, .clientID, .region, .edge: false
        }
    }

    /// The key of `ProfileRecord.credentialTimes` under which this secret's age is kept.
    var ageKey: String? {
        switch self {
        case .authToken: "auth_token"
        case .apiKeySecret: "api_key"
        case .clientSecret: "client_secret"
        case .refreshToken: "refresh_token"
        case .accountSID, .apiKeySID, .clientID, .region, .edge: nil
        }
    }
}

/// What `add` or `update` was given: identifiers and settings from flags, values from the
/// environment or stdin, secrets from prompts. `nil` means "not given".
public struct ProfileInput: Sendable, Equatable {
    public var accountSID: String?
    public var authToken: String?
    public var apiKeySID: String?
    public var apiKeySecret: String?
    public var clientID: String?
    public var clientSecret: String?
    public var refreshToken: String?
    public var region: String?
    public var edge: String?
    public var tokenURL: String?
    public var scope: String?
    public var audience: String?
    /// `update --no-region` and `--no-edge`.
    public var removesRegion = false
    public var removesEdge = false
    /// Extra variables given (DESIGN §11), by name; their names are already checked.
    public var extraVariables: [String: String] = [:]
    /// Extra variables to remove (`update --unset`).
    public var unsetVariables: [String] = []

    public init() {}

    public subscript(variable: CredentialVariable) -> String? {
        get {
            switch variable {
            case .accountSID: accountSID
            case .authToken: authToken
            case .apiKeySID: apiKeySID
            case .apiKeySecret: apiKeySecret
            case .clientID: clientID
            case .clientSecret: clientSecret
            case .refreshToken: refreshToken
            case .region: region
            case .edge: edge
            }
        }
        set {
            switch variable {
            case .accountSID: accountSID = newValue
            case .authToken: authToken = newValue
            case .apiKeySID: apiKeySID = newValue
            case .apiKeySecret: apiKeySecret = newValue
            case .clientID: clientID = newValue
            case .clientSecret: clientSecret = newValue
            case .refreshToken: refreshToken = newValue
            case .region: region = newValue
            case .edge: edge = newValue
            }
        }
    }

    /// Sets a value read from `source`, refusing one that contradicts a flag.
    public mutating func merge(_ variable: CredentialVariable, _ value: String, from source: String) throws {
        if let existing = self[variable], existing != value {
            throw OperationError.usage("\(variable.rawValue) from \(source) differs from the command-line flag")
        }
        self[variable] = value
    }

    /// Nothing at all was given.
    public var isEmpty: Bool {
        CredentialVariable.allCases.allSatisfy { self[$0] == nil } && tokenURL == nil && scope == nil
            && audience == nil && !removesRegion && !removesEdge && extraVariables.isEmpty && unsetVariables.isEmpty
    }

    /// An identifier was given whose secret a terminal prompt would ask for.
    public var namesIdentifiers: Bool { accountSID != nil || apiKeySID != nil || clientID != nil }

    /// Checks the format of every value given (DESIGN §2); says which one is wrong, never its value.
    public func checkFormats() throws {
        if let sid = accountSID, !Names.isAccountSID(sid) {
            throw OperationError.usage("invalid account SID: expected AC followed by 32 hexadecimal digits")
        }
        if let key = apiKeySID, !Names.isAPIKeySID(key) {
            throw OperationError.usage("invalid API key SID: expected SK followed by 32 hexadecimal digits")
        }
        if let client = clientID, !Names.isClientID(client) {
            throw OperationError.usage("invalid OAuth client id: expected OQ followed by 32 letters or digits")
        }
        for variable in [CredentialVariable.region, .edge] {
            if let value = self[variable], !Self.isSimpleWord(value) {
                throw OperationError.usage("invalid \(variable.rawValue): use 1-32 lowercase letters, digits or '-'")
            }
        }
        if region != nil, removesRegion {
            throw OperationError.usage("a region and --no-region exclude each other")
        }
        if edge != nil, removesEdge { throw OperationError.usage("an edge and --no-edge exclude each other") }
        for variable in CredentialVariable.allCases where variable.isSecret {
            if let value = self[variable] { try Self.checkSecret(value, name: variable.rawValue) }
        }
        // Extra variables may hold secrets too: the same rules.
        for (name, value) in extraVariables.sorted(by: { $0.key < $1.key }) { try Self.checkSecret(value, name: name) }
        if let name = unsetVariables.first(where: { extraVariables[$0] != nil }) {
            throw OperationError.usage("\(name) is both given and removed (--unset)")
        }
    }

    /// Secret values: non-empty, at most 8 KiB, no NUL or line break.
    public static func checkSecret(_ value: String, name: String) throws {
        guard !value.isEmpty else { throw OperationError.usage("\(name) must not be empty") }
        guard value.utf8.count <= 8192 else { throw OperationError.usage("\(name) is longer than 8 KiB") }
        guard !value.utf8.contains(0), !value.utf8.contains(10), !value.utf8.contains(13) else {
            throw OperationError.usage("\(name) must not contain NUL, carriage return or newline characters")
        }
    }

    /// Region and edge names: 1-32 lowercase letters, digits or '-'.
    public static func isSimpleWord(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        return (1...32).contains(bytes.count)
            && bytes.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-")
            }
    }
}
