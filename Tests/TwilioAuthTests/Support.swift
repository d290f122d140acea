import Foundation
import Testing
import TwilioAuth
import TwilioHTTP
import TwilioStandIn

enum Fixture {
    static let clientID = "OQ0123456789abcdefABCDEF0123456789"
    static let clientSecret = "cs-Secret-Value-4f7a9c"
    static let publicClientID = "OQ9876543210zyxwvuZYXWVU9876543210"
    static let redirectURI = "http://127.0.0.1:8765/callback"
    static let accountSID = "AC0123456789abcdef0123456789abcdef"
    static let authToken = "0123456789abcdef0123456789abcdef"
    static let keySID = "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    static let keySecret = "key-secret-0123456789"
    static let otherAccountSID = "ACffffffffffffffffffffffffffffffff"
    static let otherAuthToken = "ffffffffffffffffffffffffffffffff"

    static var configuration: StandInConfiguration {
        StandInConfiguration(
            clients: [
                StandInClient(id: clientID, secret: clientSecret, redirectURIs: [redirectURI]),
                StandInClient(id: publicClientID, secret: nil),
            ],
            accounts: [
                StandInAccount(
                    sid: accountSID, authToken: authToken,
                    apiKeys: [StandInAPIKey(sid: keySID, secret: keySecret, friendlyName: "existing")]),
                StandInAccount(sid: otherAccountSID, authToken: otherAuthToken),
            ])
    }

    /// Short limits so failure tests end quickly; generous enough for a loaded 2-core machine.
    static let limits = HTTPLimits(connectTimeout: .seconds(5), requestTimeout: .seconds(10))
}

/// Starts a stand-in and a transport, runs `body`, and shuts both down whatever happens.
func withStandIn<T>(
    limits: HTTPLimits = Fixture.limits,
    configure: (inout StandInConfiguration) -> Void = { _ in },
    _ body: (TwilioStandIn, NIOHTTPTransport) async throws -> T
) async throws -> T {
    // Off the cooperative pool: other suites block its threads while waiting for processes.
    try await withTaskExecutorPreference(StandInExecutor.shared) {
        try await runWithStandIn(limits: limits, configure: configure, body)
    }
}

private func runWithStandIn<T>(
    limits: HTTPLimits,
    configure: (inout StandInConfiguration) -> Void,
    _ body: (TwilioStandIn, NIOHTTPTransport) async throws -> T
) async throws -> T {
    var configuration = Fixture.configuration
    configure(&configuration)
    let standIn = try await TwilioStandIn.start(configuration)
    let transport = NIOHTTPTransport(limits: limits)
    do {
        let result = try await body(standIn, transport)
        await transport.shutdown()
        await standIn.shutdown()
        return result
    } catch {
        await transport.shutdown()
        await standIn.shutdown()
        throw error
    }
}

/// Records the delays a retry loop asks for instead of sleeping.
actor RecordingSleeper {
    private(set) var delays: [Duration] = []

    func record(_ delay: Duration) { delays.append(delay) }

    nonisolated var policy: RetryPolicy {
        var policy = RetryPolicy()
        policy.sleep = { delay in await self.record(delay) }
        return policy
    }
}

extension TwilioStandIn {
    var tokenURL: String { baseURL + "/v2/token" }

    func tokenRequests() -> [RecordedRequest] { requests(to: "/v2/token", method: "POST") }
}

func endpoint(
    _ standIn: TwilioStandIn, _ transport: NIOHTTPTransport, sleeper: RecordingSleeper = RecordingSleeper(),
    now: (@Sendable () -> Date)? = nil
) -> TokenEndpoint {
    TokenEndpoint(url: standIn.tokenURL, transport: transport, retryPolicy: sleeper.policy, now: now ?? { Date() })
}

/// Form field names in order, as received.
func fieldNames(_ request: RecordedRequest) -> [String] { request.form.map(\.0) }

/// The claims of a JWT, decoded without checking the signature.
func jwtClaims(_ token: String) -> [String: Any]? {
    let parts = token.split(separator: ".")
    guard parts.count == 3 else { return nil }
    var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while payload.count % 4 != 0 { payload += "=" }
    guard let data = Data(base64Encoded: payload) else { return nil }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
}

/// A JWT-shaped token with the given payload JSON (unsigned; clients do not check signatures).
func unsignedJWT(payload: String) -> String {
    func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
    return encode(#"{"alg":"HS256","typ":"JWT"}"#) + "." + encode(payload) + ".c2lnbmF0dXJl"
}

/// Answer the next token request with exactly `body`.
func respondOnce(_ standIn: TwilioStandIn, status: Int = 200, _ body: String, headers: [HeaderField] = []) {
    standIn.inject(
        Fault(
            .respond(status: status, headers: [HeaderField("Content-Type", "application/json")] + headers, body: body),
            target: .path("/v2/token")))
}

/// The case of a `TwilioError` without its details, for tests that check only the kind.
enum FailureKind: Equatable {
    case refused, temporary, malformedResponse, invalidURL
}

extension TwilioError {
    var kind: FailureKind {
        switch self {
        case .refused: .refused
        case .temporary: .temporary
        case .malformedResponse: .malformedResponse
        case .invalidURL: .invalidURL
        }
    }
}
