import Vault

/// The variables of DESIGN §3, in the order `export` prints them. The refresh token has a
/// name for input (`add --stdin`) but is never exported.
public enum ProfileVariable: String, CaseIterable, Sendable {
    case accountSID = "TWILIO_ACCOUNT_SID"
    case authToken = "TWILIO_AUTH_TOKEN"
    case apiKey = "TWILIO_API_KEY"
    case apiSecret = "TWILIO_API_SECRET"
    case clientID = "TWILIO_CLIENT_ID"
    case clientSecret = "TWILIO_CLIENT_SECRET"
    case accessToken = "TWILIO_ACCESS_TOKEN"
    case region = "TWILIO_REGION"
    case edge = "TWILIO_EDGE"
    case profile = "TWVAULT_PROFILE"

    /// The input-only name of the refresh token.
    public static let refreshTokenName = "TWILIO_REFRESH_TOKEN"

    /// This variable's value for `record` (the profile's name for `profile`).
    func value(in record: ProfileRecord, profile name: String, accessToken: String?) -> String? {
        switch self {
        case .accountSID: record.accountSID
        case .authToken: record.authToken
        case .apiKey: record.apiKeySID
        case .apiSecret: record.apiKeySecret
        case .clientID: record.clientID
        case .clientSecret: record.clientSecret
        case .accessToken: accessToken
        case .region: record.region
        case .edge: record.edge
        case .profile: name
        }
    }
}

/// The variables `export` prints and `exec` sets (DESIGN §3), in a fixed order.
public enum ProfileEnvironment {
    /// Every variable twvault manages: those a profile lacks are unset, so switching
    /// profiles never mixes two accounts.
    public static let managedNames = ProfileVariable.allCases.map(\.rawValue)

    /// (name, value) pairs; `nil` means "unset". The refresh token is never included.
    public static func variables(profile name: String, _ record: ProfileRecord, accessToken: String?) -> [(
        name: String, value: String?
    )] {
        ProfileVariable.allCases.map { ($0.rawValue, $0.value(in: record, profile: name, accessToken: accessToken)) }
    }

    /// The child environment for `exec`: the parent's, minus every managed variable, every
    /// variable `variables` unsets (the previous profile's extra variables) and every unlock
    /// secret (`TWVAULT_SESSION`, `TWVAULT_PASSPHRASE*`), plus the profile's values.
    public static func childEnvironment(parent: [String: String], variables: [(name: String, value: String?)])
        -> [String:
        String]
    {
        let unset = Set(variables.filter { $0.value == nil }.map(\.name))
        var environment = parent.filter { name, _ in
            !managedNames.contains(name) && !unset.contains(name) && name != "TWVAULT_SESSION"
                && !name.hasPrefix("TWVAULT_PASSPHRASE") && name != "TWVAULT_NEW_PASSPHRASE"
        }
        for (name, value) in variables {
            if let value { environment[name] = value }
        }
        return environment
    }
}

/// Which profile a command means: the argument, else `$TWVAULT_PROFILE`.
public enum ProfileArgument {
    public static func resolve(_ argument: String?, context: Context) throws -> String {
        guard let name = argument ?? context.env("TWVAULT_PROFILE") else {
            throw OperationError.usage("name a profile, or set TWVAULT_PROFILE")
        }
        try Names.validateProfile(name)
        return name
    }
}
