import Vault

/// The variables `export` prints and `exec` sets (DESIGN §3), in a fixed order.
public enum ProfileEnvironment {
    /// Every variable twvault manages: those a profile lacks are unset, so switching
    /// profiles never mixes two accounts.
    public static let managedNames = [
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_CLIENT_ID",
        "TWILIO_CLIENT_SECRET", "TWILIO_ACCESS_TOKEN", "TWILIO_REGION", "TWILIO_EDGE", "TWVAULT_PROFILE",
    ]

    /// (name, value) pairs; `nil` means "unset". The refresh token is never included.
    public static func variables(profile name: String, _ record: ProfileRecord, accessToken: String?) -> [(
        name: String, value: String?
    )] {
        [
            ("TWILIO_ACCOUNT_SID", record.accountSID),
            ("TWILIO_AUTH_TOKEN", record.authToken),
            ("TWILIO_API_KEY", record.apiKeySID),
            ("TWILIO_API_SECRET", record.apiKeySecret),
            ("TWILIO_CLIENT_ID", record.clientID),
            ("TWILIO_CLIENT_SECRET", record.clientSecret),
            ("TWILIO_ACCESS_TOKEN", accessToken),
            ("TWILIO_REGION", record.region),
            ("TWILIO_EDGE", record.edge),
            ("TWVAULT_PROFILE", name),
        ]
    }

    /// The child environment for `exec`: the parent's, minus every managed variable and every
    /// unlock secret (`TWVAULT_SESSION`, `TWVAULT_PASSPHRASE*`), plus the profile's values.
    public static func childEnvironment(parent: [String: String], variables: [(name: String, value: String?)])
        -> [String:
        String]
    {
        var environment = parent.filter { name, _ in
            !managedNames.contains(name) && name != "TWVAULT_SESSION" && !name.hasPrefix("TWVAULT_PASSPHRASE")
                && name != "TWVAULT_NEW_PASSPHRASE"
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
