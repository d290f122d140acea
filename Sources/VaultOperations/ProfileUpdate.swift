import Vault

/// One `update` of a stored profile: the record it makes from the stored one and the input,
/// keeping everything the input does not name — other credentials, the refresh token, the
/// previous client secret, credential ages.
///
/// A changed identifier needs its secret; a secret given for the stored identifier replaces
/// that secret and restarts its age (an equal value changes nothing). Secrets that belong to
/// a replaced identifier never stay beside the new one: a new account needs the profile's
/// auth token and API key given again, and a new OAuth client takes the old client's
/// secrets and refresh token with it.
public struct ProfileUpdate: Sendable {
    public let profile: String
    public let existing: ProfileRecord
    public let record: ProfileRecord
    /// The OAuth client or the token URL changes, so the cached access token no longer fits.
    public let dropsAccessToken: Bool

    public init(profile: String, existing: ProfileRecord, input: ProfileInput, now: Int64) throws {
        self.profile = profile
        self.existing = existing
        var record = existing
        func replace(_ field: WritableKeyPath<ProfileRecord, String?>, with value: String, age: String) {
            guard record[keyPath: field] != value else { return }
            record[keyPath: field] = value
            record.credentialTimes[age] = now
        }

        let accountChanges = input.accountSID.map { $0 != existing.accountSID } ?? false
        let keyChanges = input.apiKeySID.map { $0 != existing.apiKeySID } ?? false
        let clientChanges = input.clientID.map { $0 != existing.clientID } ?? false

        if accountChanges {
            if existing.apiKeySID != nil, !keyChanges {
                throw OperationError.usage(
                    "the API key of '\(profile)' belongs to its current account: give the new account's key too (--api-key, with its secret)"
                )
            }
            if existing.authToken != nil, input.authToken == nil {
                throw OperationError.usage(
                    "the auth token of '\(profile)' belongs to its current account: give the new account's auth token too (TWILIO_AUTH_TOKEN)"
                )
            }
            record.accountSID = input.accountSID
            record.authToken = nil
            record.credentialTimes["auth_token"] = nil
        }
        if let token = input.authToken {
            guard record.accountSID != nil else {
                throw OperationError.usage(
                    "an auth token needs the account SID (--account-sid or TWILIO_ACCOUNT_SID)")
            }
            replace(\.authToken, with: token, age: "auth_token")
        }

        if keyChanges {
            guard let secret = input.apiKeySecret else {
                throw OperationError.usage("an API key needs its secret (TWILIO_API_SECRET)")
            }
            guard record.accountSID != nil else {
                throw OperationError.usage("an API key needs the account SID (--account-sid or TWILIO_ACCOUNT_SID)")
            }
            record.apiKeySID = input.apiKeySID
            record.apiKeySecret = secret
            record.credentialTimes["api_key"] = now
        } else if let secret = input.apiKeySecret {
            guard record.apiKeySID != nil else {
                throw OperationError.usage("TWILIO_API_SECRET needs its key SID (--api-key or TWILIO_API_KEY)")
            }
            replace(\.apiKeySecret, with: secret, age: "api_key")
        }

        if clientChanges {
            record.clientID = input.clientID
            record.clientSecret = nil
            record.previousClientSecret = nil
            record.refreshToken = nil
            record.credentialTimes["client_secret"] = nil
            record.credentialTimes["refresh_token"] = nil
        }
        if let secret = input.clientSecret {
            guard record.clientID != nil else {
                throw OperationError.usage(
                    "a client secret needs the OAuth client id (--client-id or TWILIO_CLIENT_ID)")
            }
            replace(\.clientSecret, with: secret, age: "client_secret")
        }
        if let token = input.refreshToken {
            guard record.clientID != nil else {
                throw OperationError.usage(
                    "a refresh token needs the OAuth client id (--client-id or TWILIO_CLIENT_ID)")
            }
            replace(\.refreshToken, with: token, age: "refresh_token")
        }

        if let region = input.region { record.region = region }
        if input.removesRegion { record.region = nil }
        if let edge = input.edge { record.edge = edge }
        if input.removesEdge { record.edge = nil }
        if let url = input.tokenURL { record.tokenURL = url }
        if let scope = input.scope { record.scope = scope }
        if let audience = input.audience { record.audience = audience }

        try ProfileEditing.requireUsable(record)
        self.record = record
        dropsAccessToken = clientChanges || input.tokenURL.map { $0 != existing.tokenURL } ?? false
    }

    /// Extra variables given a new value, and removed (`--unset`), by name.
    public private(set) var variablesSet: [String] = []
    public private(set) var variablesRemoved: [String] = []

    public var changesAnything: Bool { record != existing || !variablesSet.isEmpty || !variablesRemoved.isEmpty }

    /// The profile's extra variables after this update (`stored` before it), or nil when they
    /// do not change. A name to remove that the profile lacks is refused (64).
    mutating func applyVariables(_ input: ProfileInput, to stored: VariablesRecord?) throws -> VariablesRecord? {
        var variables = stored ?? VariablesRecord()
        for name in input.unsetVariables {
            guard variables.variables.removeValue(forKey: name) != nil else {
                let held =
                    variables.names.isEmpty ? "none" : variables.names.map(Names.printable).joined(separator: ", ")
                throw OperationError.usage(
                    "profile '\(profile)' has no extra variable \(name) (its extra variables: \(held))")
            }
            variablesRemoved.append(name)
        }
        for (name, value) in input.extraVariables.sorted(by: { $0.key < $1.key })
        where variables.variables[name] != value {
            variables.variables[name] = value
            variablesSet.append(name)
        }
        return variablesSet.isEmpty && variablesRemoved.isEmpty ? nil : variables
    }

    /// The account SID changes.
    var changesAccount: Bool { record.accountSID != existing.accountSID }

    /// Something a rotation works with changes: the account, its auth token or the API key.
    var changesAccountCredentials: Bool {
        changesAccount || record.authToken != existing.authToken || record.apiKeySID != existing.apiKeySID
            || record.apiKeySecret != existing.apiKeySecret
    }

    /// Names of the fields given a new value.
    public var changed: [String] {
        ProfileItems.changed(from: existing, to: record).filter { !removed.contains($0) }
    }

    /// Names of the fields that held a value and no longer do.
    public var removed: [String] {
        ProfileItems.fields.filter { $0.value(existing) != nil && $0.value(record) == nil }.map(\.name)
    }
}
