import Vault

/// Storing, changing and copying profiles: what `add`, `update` and `copy` do once their
/// input is read.
public enum ProfileEditing {
    // MARK: add

    /// A new profile from `input`, checked as DESIGN §2 says: secrets with their identifiers,
    /// and at least one usable credential.
    public static func newRecord(_ input: ProfileInput, now: Int64) throws -> ProfileRecord {
        if input.apiKeySID != nil, input.apiKeySecret == nil {
            throw OperationError.usage("an API key needs its secret (TWILIO_API_SECRET)")
        }
        if input.apiKeySecret != nil, input.apiKeySID == nil {
            throw OperationError.usage("TWILIO_API_SECRET needs its key SID (--api-key or TWILIO_API_KEY)")
        }
        if input.apiKeySID != nil || input.authToken != nil, input.accountSID == nil {
            throw OperationError.usage(
                "an auth token or API key needs the account SID (--account-sid or TWILIO_ACCOUNT_SID)")
        }
        if input.clientSecret != nil || input.refreshToken != nil, input.clientID == nil {
            throw OperationError.usage(
                "a client secret or refresh token needs the OAuth client id (--client-id or TWILIO_CLIENT_ID)")
        }
        var record = ProfileRecord(createdAt: now)
        record.accountSID = input.accountSID
        record.authToken = input.authToken
        record.apiKeySID = input.apiKeySID
        record.apiKeySecret = input.apiKeySecret
        record.clientID = input.clientID
        record.clientSecret = input.clientSecret
        record.refreshToken = input.refreshToken
        record.region = input.region
        record.edge = input.edge
        record.tokenURL = input.tokenURL
        record.scope = input.scope
        record.audience = input.audience
        for variable in CredentialVariable.allCases {
            if let key = variable.ageKey, input[variable] != nil { record.credentialTimes[key] = now }
        }
        try requireUsable(record)
        return record
    }

    /// Stores a new profile and its extra variables in one transaction; an existing one is
    /// refused (73) unless `replace`, which deletes everything it held first.
    public static func store(
        _ name: String, _ record: ProfileRecord, variables: [String: String], replace: Bool, vault: UnlockedVault,
        now: Int64
    ) throws {
        try Names.validateProfile(name)
        var replaced = false
        try writing(vault) { transaction in
            if try transaction.exists(profile: name) {
                guard replace else { throw VaultError.profileExists(name) }
                try transaction.delete(profile: name)
                replaced = true
            }
            try transaction.put(record, profile: name, kind: .profile, now: now)
            if !variables.isEmpty {
                try transaction.put(VariablesRecord(variables), profile: name, kind: .variables, now: now)
            }
        }
        // The replaced profile's ciphertext leaves the file and its log.
        if replaced { vault.file.checkpoint() }
    }

    static func requireUsable(_ record: ProfileRecord) throws {
        let usable =
            (record.accountSID != nil && (record.authToken != nil || record.apiKeySecret != nil))
            || record.clientID != nil
        guard usable else {
            throw OperationError.usage(
                "the profile has no usable credentials: give an auth token, an API key and secret, or an OAuth client")
        }
    }

    // MARK: update

    /// Changes `name` as `input` says and keeps everything else, in one transaction that
    /// reads the profile as it is then. The cached access token goes only when the OAuth
    /// client or the token URL changes.
    @discardableResult
    public static func update(_ name: String, with input: ProfileInput, vault: UnlockedVault, now: Int64) throws
        -> ProfileUpdate
    {
        try writing(vault) { transaction in
            guard let existing = try transaction.record(ProfileRecord.self, profile: name, kind: .profile) else {
                throw VaultError.profileNotFound(name)
            }
            var update = try ProfileUpdate(profile: name, existing: existing, input: input, now: now)
            let variables = try update.applyVariables(
                input, to: try transaction.record(VariablesRecord.self, profile: name, kind: .variables))
            guard update.changesAnything else { return update }
            // Reads through the vault's connection, so inside this transaction.
            try refuseWorkInProgress(update, vault: vault)
            if update.record != existing { try transaction.put(update.record, profile: name, kind: .profile, now: now) }
            if update.dropsAccessToken { try transaction.delete(profile: name, kind: .token) }
            if let variables {
                if variables.variables.isEmpty {
                    try transaction.delete(profile: name, kind: .variables)
                } else {
                    try transaction.put(variables, profile: name, kind: .variables, now: now)
                }
            }
            return update
        }
    }

    /// Everything `update` can check before secrets are typed: the change itself (as if every
    /// needed secret were answered) and any rotation or ephemeral key it would disturb.
    public static func checkUpdate(_ name: String, with input: ProfileInput, vault: UnlockedVault) throws {
        let update = try ProfileUpdate(profile: name, existing: try vault.profile(name), input: input, now: 0)
        try refuseWorkInProgress(update, vault: vault)
    }

    /// A rotation in progress finishes with the credentials it started from, and ephemeral keys
    /// are deleted with the account that made them: changing those now would orphan a
    /// credential at Twilio or undo the change on `rotate --resume` (75, with the remedy).
    private static func refuseWorkInProgress(_ update: ProfileUpdate, vault: UnlockedVault) throws {
        let name = update.profile
        if update.changesAccountCredentials,
            try vault.record(RotationState.self, profile: name, kind: .rotation) != nil
        {
            throw OperationError.temporary(
                "profile '\(name)' has an unfinished rotation: run `twvault rotate \(name) --resume` first, then update it"
            )
        }
        if update.changesAccount,
            let ledger = try vault.record(EphemeralKeyLedger.self, profile: name, kind: .ephemeralKeys),
            !ledger.keys.isEmpty
        {
            throw OperationError.temporary(
                "profile '\(name)' has ephemeral API keys not yet deleted at Twilio: run `twvault rotate \(name) --resume` (or let the command using them end) first, then change its account"
            )
        }
    }

    // MARK: copy

    /// Copies everything `source` holds — credentials, refresh token, previous client
    /// secret, settings, credential ages, extra variables — to `destination`, in one
    /// transaction. Not copied: the cached access token, rotation state and ephemeral keys,
    /// which belong to the source.
    /// An existing destination is refused (73) unless `replace`; even then one with a
    /// rotation or ephemeral keys under way is refused (75), since replacing it would orphan
    /// a credential at Twilio.
    @discardableResult
    public static func copy(
        _ source: String, to destination: String, replace: Bool, vault: UnlockedVault, now: Int64
    ) throws -> ProfileRecord {
        try Names.validateProfile(destination)
        guard source != destination else {
            throw OperationError.usage("the copy needs another name than '\(source)'")
        }
        var replaced = false
        let record = try writing(vault) { transaction in
            guard var record = try transaction.record(ProfileRecord.self, profile: source, kind: .profile) else {
                throw VaultError.profileNotFound(source)
            }
            if try transaction.exists(profile: destination) {
                guard replace else { throw VaultError.profileExists(destination) }
                try refuseReplacingWorkInProgress(destination, vault: vault)
                try transaction.delete(profile: destination)
                replaced = true
            }
            record.createdAt = now
            try transaction.put(record, profile: destination, kind: .profile, now: now)
            if let variables = try transaction.record(VariablesRecord.self, profile: source, kind: .variables) {
                try transaction.put(variables, profile: destination, kind: .variables, now: now)
            }
            return record
        }
        // The replaced profile's ciphertext leaves the file and its log.
        if replaced { vault.file.checkpoint() }
        return record
    }

    /// Refuses (75) to replace a profile whose rotation or ephemeral keys are under way.
    public static func refuseReplacingWorkInProgress(_ name: String, vault: UnlockedVault) throws {
        if try vault.payload(profile: name, kind: .rotation) != nil {
            throw OperationError.temporary(
                "profile '\(name)' has an unfinished rotation: run `twvault rotate \(name) --resume` first")
        }
        if let ledger = try vault.record(EphemeralKeyLedger.self, profile: name, kind: .ephemeralKeys),
            !ledger.keys.isEmpty
        {
            throw OperationError.temporary(
                "profile '\(name)' has ephemeral API keys not yet deleted at Twilio: run `twvault rotate \(name) --resume` (or let the command using them end) first"
            )
        }
    }

    // MARK: Replacing

    /// The names (never the values) of what profile `name` holds: what replacing it loses
    /// unless given again.
    public static func contents(of name: String, vault: UnlockedVault) throws -> [String] {
        var items = ProfileItems.present(in: try vault.profile(name))
        if let variables = try vault.record(VariablesRecord.self, profile: name, kind: .variables),
            !variables.variables.isEmpty
        {
            items.append("extra variables (\(variables.names.map(Names.printable).joined(separator: ", ")))")
        }
        if try vault.payload(profile: name, kind: .token) != nil { items.append("a cached access token") }
        if try vault.payload(profile: name, kind: .rotation) != nil { items.append("an unfinished rotation") }
        if let ledger = try vault.record(EphemeralKeyLedger.self, profile: name, kind: .ephemeralKeys),
            !ledger.keys.isEmpty
        {
            items.append("ephemeral API keys not yet deleted")
        }
        return items
    }

    /// On a terminal, lists what replacing `name` loses and asks; a refusal (or no answer)
    /// ends the command with status 1 and one line, nothing changed. Without a terminal it
    /// does nothing: scripts asked for the replacement.
    public static func confirmReplacement(of name: String, vault: UnlockedVault, context: Context) throws {
        guard context.stdinIsTerminal else { return }
        let items = try contents(of: name, vault: vault)
        let question =
            "Profile '\(name)' holds: \(items.joined(separator: ", ")).\n"
            + "Replacing it loses all of that except what is given again.\n" + "Replace profile '\(name)'? [y/N] "
        guard context.console.confirm(question) == true else {
            context.output.error(
                "profile '\(name)' was not replaced: nothing changed (to change part of it: `twvault update \(name)`)")
            throw ProcessEnded(status: ExitStatus.failure.rawValue)
        }
    }

    // MARK: Transactions

    /// Runs `body` in one write transaction. An `OperationError` thrown inside rolls it back
    /// and reaches the caller as it is (the vault would report any error not its own as an
    /// internal one).
    static func writing<T>(_ vault: UnlockedVault, _ body: (VaultTransaction) throws -> T) throws -> T {
        var refusal: OperationError?
        do {
            return try vault.write { transaction in
                do { return try body(transaction) } catch let error as OperationError {
                    refusal = error
                    throw error
                }
            }
        } catch {
            if let refusal { throw refusal }
            throw error
        }
    }
}

/// The names of a profile's fields, for listings and messages (never their values).
enum ProfileItems {
    static let fields: [(name: String, value: @Sendable (ProfileRecord) -> String?)] = [
        ("account SID", { $0.accountSID }), ("auth token", { $0.authToken }), ("API key", { $0.apiKeySID }),
        ("API key secret", { $0.apiKeySecret }), ("OAuth client id", { $0.clientID }),
        ("client secret", { $0.clientSecret }), ("previous client secret", { $0.previousClientSecret }),
        ("refresh token", { $0.refreshToken }), ("region", { $0.region }), ("edge", { $0.edge }),
        ("token URL", { $0.tokenURL }), ("scope", { $0.scope }), ("audience", { $0.audience }),
    ]

    static func present(in record: ProfileRecord) -> [String] {
        fields.filter { $0.value(record) != nil }.map(\.name)
    }

    /// Fields set, changed or removed from `old` to `new`.
    static func changed(from old: ProfileRecord, to new: ProfileRecord) -> [String] {
        fields.filter { $0.value(old) != $0.value(new) }.map(\.name)
    }
}
