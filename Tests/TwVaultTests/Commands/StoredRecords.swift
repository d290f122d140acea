import TwVaultTestSupport
import Vault
import VaultOperations

/// Direct access to a test home's vault, for command tests that check exactly what was stored
/// or set up what a crash or another process would leave.
extension TestHome {
    /// Runs `body` on the vault, unlocked through this home's session (or its passphrase file).
    func withVault<T>(_ body: (UnlockedVault) throws -> T) throws -> T {
        let context = Context.test(environment: baseEnvironment(passphrase: environment["TWVAULT_SESSION"] == nil))
        return try body(try VaultAccess(AccessOptions(), context: context).openUnlocked())
    }

    func storedProfile(_ name: String) throws -> ProfileRecord {
        try withVault { try $0.profile(name) }
    }

    func hasRecord(_ name: String, _ kind: RecordKind) throws -> Bool {
        try withVault { try $0.payload(profile: name, kind: kind) != nil }
    }

    /// An OAuth profile with every OAuth field set, and a cached access token.
    func storeOAuthProfile(_ name: String) throws {
        var record = ProfileRecord(createdAt: 1_700_000_000)
        record.clientID = TestHome.clientID
        record.clientSecret = "client-secret-value"
        record.previousClientSecret = "previous-client-secret-value"
        record.refreshToken = "refresh-token-value"
        record.credentialTimes = ["client_secret": 1_700_000_100, "refresh_token": 1_700_000_200]
        try withVault { vault in
            try vault.write { try $0.put(record, profile: name, kind: .profile, now: 1_700_000_000) }
        }
        try storeToken(name)
    }

    func storeToken(_ name: String) throws {
        let token = CachedToken(accessToken: "cached.access.token", expiresAt: 4_000_000_000, obtainedAt: 1_700_000_000)
        try withVault { vault in
            try vault.write { try $0.put(token, profile: name, kind: .token, now: 1_700_000_000) }
        }
    }

    /// An unfinished rotation and a leftover ephemeral key, as a crash would leave them.
    func storeWorkInProgress(_ name: String) throws {
        let state = RotationState(id: "0123456789abcdef", kind: .apiKey, step: .creating, startedAt: 1_700_000_000)
        let ledger = EphemeralKeyLedger(keys: [.init(id: "fedcba9876543210", createdAt: 1_700_000_000)])
        try withVault { vault in
            try vault.write { transaction in
                try transaction.put(state, profile: name, kind: .rotation, now: 1_700_000_000)
                try transaction.put(ledger, profile: name, kind: .ephemeralKeys, now: 1_700_000_000)
            }
        }
    }
}
