import Foundation
import Testing
import TwilioAuth
import TwilioStandIn
import VaultOperations

/// The rotation and ephemeral-key suites, one case at a time: every case runs a stand-in and a
/// series of twvault processes, and many at once starve a small machine (and the stand-ins of
/// other suites, whose clients have short time limits) of CPU.
@Suite(.serialized) struct RotationSuites {}

/// A copy of the fixture vault, unlocked, with profile `p` of the kind asked for, whose commands
/// (in process or the binary) talk to a fresh in-process stand-in.
struct RotationFixture {
    static let clientSecret = "client-secret-rotation-5e8b"
    static let newClientSecret = "client-secret-rotated-93ad"

    let h: Harness
    let standIn: TwilioStandIn

    enum Profile {
        /// Account SID, auth token, API key and secret.
        case apiKey
        /// Account SID and auth token only.
        case authToken
        /// An OAuth client with a refresh token.
        case refreshToken
        /// An OAuth client with a secret (client credentials).
        case clientSecret
    }

    static func start(_ profile: Profile = .apiKey) async throws -> RotationFixture {
        let configuration = StandInConfiguration(
            clients: [StandInClient(id: Harness.clientID, secret: clientSecret)],
            accounts: [
                StandInAccount(
                    sid: Harness.accountSID, authToken: Harness.authToken,
                    apiKeys: [StandInAPIKey(sid: Harness.apiKeySID, secret: Harness.apiSecret, friendlyName: "ci")])
            ])
        let standIn = try await TwilioStandIn.start(configuration)
        let h = try Harness()
        h.environment["TWVAULT_API_URL"] = standIn.baseURL
        h.environment["TWVAULT_ACCOUNTS_URL"] = standIn.baseURL
        h.environment["TWVAULT_TOKEN_URL"] = standIn.baseURL + "/v2/token"
        // The fixture vault's `p` is the API-key profile; the unlock session spares every
        // command the key derivation.
        try h.installFixtureVault(unlocked: true)
        let fixture = RotationFixture(h: h, standIn: standIn)
        let variables: [String: String]
        switch profile {
        case .apiKey:
            variables = [:]
        case .authToken:
            variables = ["TWILIO_ACCOUNT_SID": Harness.accountSID, "TWILIO_AUTH_TOKEN": Harness.authToken]
        case .refreshToken:
            let refreshToken = standIn.issueRefreshToken(clientID: Harness.clientID, scope: "offline_access")
            variables = [
                "TWILIO_CLIENT_ID": Harness.clientID, "TWILIO_CLIENT_SECRET": clientSecret,
                "TWILIO_REFRESH_TOKEN": refreshToken,
            ]
        case .clientSecret:
            variables = ["TWILIO_CLIENT_ID": Harness.clientID, "TWILIO_CLIENT_SECRET": clientSecret]
        }
        if !variables.isEmpty {
            let result = await fixture.call(["add", "p", "--from-env", "--force"], env: variables)
            #expect(result.status == 0, "add failed: \(result.stderr)")
        }
        standIn.clearLog()
        return fixture
    }

    func shutdown() async { await standIn.shutdown() }

    /// Runs `body` with a fresh fixture and shuts its stand-in down afterwards, also when
    /// `body` throws.
    static func with<T>(_ profile: Profile = .apiKey, _ body: (RotationFixture) async throws -> T) async throws -> T {
        let fixture = try await start(profile)
        do {
            let value = try await body(fixture)
            await fixture.shutdown()
            return value
        } catch {
            await fixture.shutdown()
            throw error
        }
    }

    /// Runs the twvault binary on a thread of its own: for the crash points, which end the
    /// process, and for what needs a real process (signals).
    func run(_ arguments: [String], stdin: String? = nil, env: [String: String] = [:], passphrase: Bool = false)
        async throws -> Harness.Result
    {
        let h = self.h
        return try await onOwnThread { try h.run(arguments, stdin: stdin, env: env, passphrase: passphrase) }
    }

    /// Runs one command line in process (a real HTTP client to the stand-in; processes
    /// recorded by `processes`, a `RecordingLauncher` unless given).
    func call(
        _ arguments: [String], stdin: String? = nil, env: [String: String] = [:], passphrase: Bool = false,
        processes: (any ProcessLauncher)? = nil
    ) async -> Harness.Result {
        await h.call(arguments, stdin: stdin, env: env, passphrase: passphrase, processes: processes)
    }

    /// The profile's variables, as `export p --no-token --format json` lists them.
    func exported() async throws -> [String: String] {
        let result = await call(["export", "p", "--no-token", "--format", "json"])
        #expect(result.status == 0, "export failed: \(result.stderr)")
        return (try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String]) ?? [:]
    }

    var account: StandInAccount { standIn.account(Harness.accountSID)! }

    /// `127.0.0.1:PORT`: how the warnings about redirected endpoints name the stand-in.
    var standInHost: String {
        var host = Substring(standIn.baseURL)
        if let scheme = host.range(of: "://") { host = host[scheme.upperBound...] }
        return String(host.prefix { $0 != "/" })
    }

    /// Whether the vault's current API key is one the stand-in accepts (SID and secret).
    func vaultKeyIsAccepted() async throws -> Bool {
        let variables = try await exported()
        return account.apiKeys.contains {
            $0.sid == variables["TWILIO_API_KEY"] && $0.secret == variables["TWILIO_API_SECRET"]
        }
    }

    /// Whether the vault's current auth token is one the stand-in accepts (primary or secondary).
    func vaultAuthTokenIsAccepted() async throws -> Bool {
        let token = try await exported()["TWILIO_AUTH_TOKEN"]
        return token != nil && (token == account.authToken || token == account.secondaryAuthToken)
    }

    /// `show p --json`.
    func show() async throws -> [String: Any] {
        let result = await call(["show", "p", "--json"])
        #expect(result.status == 0, "show failed: \(result.stderr)")
        return (try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]) ?? [:]
    }

    /// Every secret the stand-in knows of for the account and client, plus the originals.
    var knownSecrets: [String] {
        var secrets = [
            Harness.authToken, Harness.apiSecret, Self.clientSecret, Self.newClientSecret, account.authToken,
        ]
        if let secondary = account.secondaryAuthToken { secrets.append(secondary) }
        secrets += account.apiKeys.map(\.secret) + standIn.issuedSecrets()
        return secrets
    }

    /// Fails the test when any known secret appears in `texts`.
    func expectNoSecrets(_ texts: [String], extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in knownSecrets + extra {
            for (index, text) in texts.enumerated() where text.contains(secret) {
                Issue.record(
                    "a secret (\(secret.prefix(4))…) appears in output \(index)", sourceLocation: sourceLocation)
            }
        }
    }
}

/// Runs blocking work (waiting for processes, pipes, FIFOs) on a thread of its own, off
/// Swift's cooperative threads, which the in-process stand-in needs to answer.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
