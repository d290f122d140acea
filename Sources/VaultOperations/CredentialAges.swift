import TwilioAuth
import Vault

/// Learning a credential's real creation time from Twilio (`import … --check`, `update
/// --check`): an imported credential's age is unknown until then, since the import time says
/// nothing about how long the secret has existed.
public enum CredentialAges {
    /// When Twilio created the profile's API key (`date_created`, seconds since 1970).
    ///
    /// Asked with the key itself first: that works for a Main key and proves the secret too.
    /// A Standard key (what twilio-cli and `rotate` create) may not read the Keys resource, so
    /// when Twilio refuses it and the profile has the account's auth token, that is asked
    /// instead; without one the refusal (69) says so.
    public static func apiKeyCreation(of record: ProfileRecord, profile: String, context: Context) async throws
        -> Int64
    {
        guard let account = record.accountSID, let keySID = record.apiKeySID, let secret = record.apiKeySecret else {
            throw OperationError.usage("profile '\(profile)' has no API key whose age Twilio could tell")
        }
        let endpoints = TwilioEndpoints(context: context)
        let key: APIKey
        do {
            key = try await endpoints.api(accountSID: account, username: keySID, password: secret)
                .fetchAPIKey(sid: keySID)
        } catch let error as TwilioError {
            guard case .refused(let refusal) = error, [401, 403].contains(refusal.status) else {
                throw ProfileTwilioError(error: error, profile: profile)
            }
            guard let token = record.authToken else {
                throw ProfileTwilioError(
                    error: error, profile: profile,
                    hint:
                        "a Standard API key may not read the Keys resource, so its age stays unknown; to check it with the account's auth token, give the profile one (TWILIO_AUTH_TOKEN with `twvault update \(profile) --stdin --check`)"
                )
            }
            do {
                key = try await endpoints.api(accountSID: account, username: account, password: token)
                    .fetchAPIKey(sid: keySID)
            } catch let error as TwilioError {
                throw ProfileTwilioError(error: error, profile: profile)
            }
        }
        guard let created = key.createdAt else {
            throw OperationError.temporary("Twilio gave no creation date for API key \(keySID)")
        }
        return created
    }

    /// Stores `createdAt` as the age of the profile's API key, provided the profile still
    /// holds `keySID` (a rotation in between made a new key, whose time is already known).
    /// Returns whether it was stored.
    @discardableResult
    public static func storeAPIKeyCreation(
        _ createdAt: Int64, keySID: String, profile: String, vault: UnlockedVault, now: Int64
    ) throws -> Bool {
        try ProfileEditing.writing(vault) { transaction in
            guard var record = try transaction.record(ProfileRecord.self, profile: profile, kind: .profile) else {
                throw VaultError.profileNotFound(profile)
            }
            guard record.apiKeySID == keySID, record.credentialTimes[CredentialKind.apiKey.rawValue] != createdAt
            else {
                return record.apiKeySID == keySID
            }
            record.credentialTimes[CredentialKind.apiKey.rawValue] = createdAt
            try transaction.put(record, profile: profile, kind: .profile, now: now)
            return true
        }
    }
}
