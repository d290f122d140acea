import VaultStore

extension RecordKind {
    /// API keys handed to single commands (`exec --ephemeral-key`) that are not yet deleted
    /// (`EphemeralKeyLedger`).
    public static let ephemeralKeys = RecordKind(rawValue: "ephemeral")
}

/// An unfinished credential rotation: the payload of a profile's `rotation` record.
///
/// It is written before every remote step whose result must not be lost, so that after a
/// crash the profile record still holds a credential Twilio accepts and this record says
/// how to finish or undo the rest (docs/ROTATION.md). It is deleted when the rotation ends.
public struct RotationState: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case apiKey = "api_key"
        case authToken = "auth_token"
    }

    public enum Step: String, Codable, Sendable {
        /// About to create the new credential: Twilio may or may not hold it.
        case creating
        /// The new credential exists and is stored here (pending); the old one is current.
        case created
        /// Auth token: the verified secondary is current in the profile; promotion may or may
        /// not have happened at Twilio.
        case promoting
        /// API key: the new key is current; the old key may still exist at Twilio.
        case promoted
        /// The new credential must be deleted at Twilio; the old one stays current.
        case abandoning
    }

    /// Random hex; also in the new key's FriendlyName (`twvault-rotation-<id>`).
    public var id: String
    public var kind: Kind
    public var step: Step
    /// Seconds since 1970.
    public var startedAt: Int64
    public var updatedAt: Int64
    public var oldKeySID: String?
    public var newKeySID: String?
    /// The new key's secret while it is pending (step `created`).
    public var newKeySecret: String?
    /// The new (secondary, then promoted) auth token.
    public var newAuthToken: String?
    /// The auth token being replaced, kept while promotion is unconfirmed.
    public var oldAuthToken: String?

    public init(id: String, kind: Kind, step: Step, startedAt: Int64) {
        self.id = id
        self.kind = kind
        self.step = step
        self.startedAt = startedAt
        self.updatedAt = startedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, step
        case startedAt = "started_at"
        case updatedAt = "updated_at"
        case oldKeySID = "old_key_sid"
        case newKeySID = "new_key_sid"
        case newKeySecret = "new_key_secret"
        case newAuthToken = "new_auth_token"
        case oldAuthToken = "old_auth_token"
    }

    /// The FriendlyName of the key a rotation with this id creates (at most 64 characters).
    public static func keyFriendlyName(id: String) -> String { "twvault-rotation-\(id)" }
}

/// Ephemeral API keys of one profile that exist, or may exist, at Twilio: the payload of
/// the profile's `ephemeral` record. An entry is added before the key is created and
/// removed once it is deleted, so a crash or a failed delete leaves a trace to clean up.
public struct EphemeralKeyLedger: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        /// Random hex; the key's FriendlyName is `twvault-ephemeral-<id>`.
        public var id: String
        /// Known once Twilio answered the create call.
        public var keySID: String?
        public var createdAt: Int64

        public init(id: String, keySID: String? = nil, createdAt: Int64) {
            self.id = id
            self.keySID = keySID
            self.createdAt = createdAt
        }

        public var friendlyName: String { "twvault-ephemeral-\(id)" }

        enum CodingKeys: String, CodingKey {
            case id
            case keySID = "key_sid"
            case createdAt = "created_at"
        }
    }

    public var keys: [Entry]

    public init(keys: [Entry] = []) { self.keys = keys }
}

extension UnlockedVault {
    /// Names of profiles holding a record of `kind` that opens, at most `limit`, in byte
    /// order: one seek in the `record_by_kind` index, so it costs the same at 10 or 10,000
    /// profiles.
    ///
    /// A row that does not open (planted, altered, or under a name that breaks the name rule)
    /// is passed over and handed to `skipped` (the name as stored: escape it before printing),
    /// never counted against `limit`: otherwise a few rows sorting first would hide every real
    /// one behind them.
    public func profiles(
        withRecord kind: RecordKind, limit: Int, skipped: (String) -> Void = { _ in }
    ) throws(VaultError) -> [String] {
        var unreadable: [String] = []
        let names: [String] = try translating(path: path) {
            let statement = try connection.cached("SELECT profile, sealed FROM record WHERE kind = ? ORDER BY profile")
            // Rewound at once: a statement left on its row would hold a read snapshot open.
            defer { statement.reset() }
            try statement.bind(.text(kind.rawValue))
            var names: [String] = []
            while names.count < limit, try statement.step() {
                let profile = try statement.requireText(0)
                let opens =
                    Names.isValidProfile(profile)
                    && (try? keys.sealer.open(try statement.requireBlob(1), profile: profile, kind: kind)) != nil
                if opens { names.append(profile) } else { unreadable.append(profile) }
            }
            return names
        }
        for profile in unreadable { skipped(profile) }
        return names
    }
}
