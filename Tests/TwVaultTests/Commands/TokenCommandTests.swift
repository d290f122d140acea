import Foundation
import Testing
import TwVaultTestSupport
import TwilioStandIn

/// `token`, and `export`/`exec` with OAuth profiles, in process against the stand-in.
@Suite struct TokenCommandTests {
    static let secret = "client-secret-for-tests-7c1d"
    static let orgClientID = "OQ9876543210abcdefABCDEF9876543210"

    /// Runs `body` with a fresh stand-in and a copy of the fixture vault, unlocked, that also
    /// holds the client-credentials profile `cc`; shuts the stand-in down afterwards, also when
    /// `body` throws.
    static func withStandIn<T>(lifetime: Int = 3600, _ body: (Harness, TwilioStandIn) async throws -> T)
        async throws -> T
    {
        var configuration = StandInConfiguration(clients: [
            StandInClient(id: Harness.clientID, secret: Self.secret),
            StandInClient(id: Self.orgClientID, secret: nil),
        ])
        configuration.tokenLifetime = lifetime
        let standIn = try await TwilioStandIn.start(configuration)
        do {
            let h = try Harness()
            h.environment["TWVAULT_TOKEN_URL"] = standIn.baseURL + "/v2/token"
            h.environment["TWVAULT_AUTHORIZE_URL"] = standIn.baseURL + "/v2/authorize"
            try h.installFixtureVault(unlocked: true)
            await h.callMakeVault(
                profile: "cc", lines: "TWILIO_CLIENT_ID=\(Harness.clientID)\nTWILIO_CLIENT_SECRET=\(Self.secret)\n")
            let value = try await body(h, standIn)
            await standIn.shutdown()
            return value
        } catch {
            await standIn.shutdown()
            throw error
        }
    }

    static func tokenRequests(_ standIn: TwilioStandIn) -> [RecordedRequest] {
        standIn.requests(to: "/v2/token", method: "POST")
    }

    func tokenRequests(_ standIn: TwilioStandIn) -> [RecordedRequest] { Self.tokenRequests(standIn) }

    func vaultBytes(_ h: Harness) async throws -> Data {
        // Fold the log into the file first so the comparison covers everything.
        _ = try await Harness.executeAsync(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()",
                h.vaultPath,
            ],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        return try Data(contentsOf: URL(fileURLWithPath: h.vaultPath))
    }
    @Test func clientCredentialsTokenIsCachedAndExported() async throws {
        try await Self.withStandIn { h, standIn async throws in
            var result = await h.call(["token", "cc", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
            let token = try #require(object?["access_token"] as? String)
            #expect(object?["token_type"] as? String == "Bearer")
            #expect((object?["expires_at"] as? String)?.hasSuffix("Z") == true)
            let requests = tokenRequests(standIn)
            #expect(requests.count == 1)
            let request = try #require(requests.first)
            #expect(request.header("Authorization") == nil)
            #expect(request.header("Accept") == "application/json")
            #expect(request.header("Content-Type")?.hasPrefix("application/x-www-form-urlencoded") == true)
            #expect(request.form.map(\.0) == ["grant_type", "client_id", "client_secret"])
            #expect(request.formDictionary["grant_type"] == "client_credentials")
            #expect(request.formDictionary["client_secret"] == Self.secret)

            // A valid cached token: no request, same token, also through export and exec.
            result = await h.call(["token", "cc"])
            #expect(result.stdout == token + "\n")
            result = await h.call(["export", "cc", "--format", "json"])
            #expect(
                (try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String])?["TWILIO_ACCESS_TOKEN"]
                    == token)
            let launcher = RecordingLauncher()
            result = await h.call(["exec", "cc", "--", "printenv", "TWILIO_ACCESS_TOKEN"], processes: launcher)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(launcher.recorded.first?.environment["TWILIO_ACCESS_TOKEN"] == token)
            #expect(tokenRequests(standIn).count == 1)

            // --no-token: no token, no request.
            result = await h.call(["export", "cc", "--no-token", "--format", "json"])
            #expect(
                (try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String])?["TWILIO_ACCESS_TOKEN"]
                    == nil)
            // --refresh forces an exchange.
            result = await h.call(["token", "cc", "--refresh"])
            #expect(result.status == 0)
            #expect(result.stdout != token + "\n")
            #expect(tokenRequests(standIn).count == 2)
        }
    }

    @Test func expiryComesFromTheJWTOrExpiresIn() async throws {
        try await Self.withStandIn(lifetime: 7200) { h, standIn async throws in
            var result = await h.call(["token", "cc", "--json"])
            var object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
            let jwtToken = try #require(object?["access_token"] as? String)
            #expect(jwtToken.split(separator: ".").count == 3)
            let formatter = ISO8601DateFormatter()
            var expires = try #require(formatter.date(from: object?["expires_at"] as? String ?? ""))
            #expect(abs(expires.timeIntervalSinceNow - 7200) < 120)

            standIn.configure {
                $0.tokenFormat = .opaque
                $0.tokenLifetime = 5000
            }
            result = await h.call(["token", "cc", "--json", "--refresh"])
            object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
            #expect((object?["access_token"] as? String)?.contains(".") == false)
            expires = try #require(formatter.date(from: object?["expires_at"] as? String ?? ""))
            #expect(abs(expires.timeIntervalSinceNow - 5000) < 120)
        }
    }

    @Test func tokenWithUnderAMinuteLeftIsRefreshed() async throws {
        try await Self.withStandIn(lifetime: 30) { h, standIn async throws in
            #expect(await h.call(["token", "cc"]).status == 0)
            #expect(await h.call(["token", "cc"]).status == 0)
            #expect(tokenRequests(standIn).count == 2, "a token with 30 s left must not be reused")
        }
    }

    @Test func refreshTokenRotationStoresTheNewToken() async throws {
        try await Self.withStandIn(lifetime: 30) { h, standIn async throws in
            let first = standIn.issueRefreshToken(clientID: Self.orgClientID, scope: "offline_access")
            await h.callMakeVault(
                profile: "org", lines: "TWILIO_CLIENT_ID=\(Self.orgClientID)\nTWILIO_REFRESH_TOKEN=\(first)\n")
            for _ in 0..<3 {
                let result = await h.call(["token", "org"])
                #expect(result.status == 0, "\(result.stderr)")
            }
            let presented = tokenRequests(standIn).compactMap { $0.formDictionary["refresh_token"] }
            #expect(presented.count == 3)
            #expect(Set(presented).count == 3, "a refresh token is never presented twice")
            #expect(presented.first == first)
            // The stand-in would have revoked the family on reuse; a fourth refresh still works.
            #expect(await h.call(["token", "org", "--refresh"]).status == 0)
            #expect(await h.call(["verify"]).status == 0)
        }
    }

    @Test func failuresMapToExitCodesAndLeaveTheVaultUnchanged() async throws {
        try await Self.withStandIn { h, standIn async throws in
            let org = standIn.issueRefreshToken(clientID: Self.orgClientID)
            await h.callMakeVault(
                profile: "org", lines: "TWILIO_CLIENT_ID=\(Self.orgClientID)\nTWILIO_REFRESH_TOKEN=\(org)\n")
            await h.callMakeVault(
                profile: "badclient", lines: "TWILIO_CLIENT_ID=\(Harness.clientID)\nTWILIO_CLIENT_SECRET=wrong-secret\n"
            )
            await h.callMakeVault(
                profile: "revoked", lines: "TWILIO_CLIENT_ID=\(Self.orgClientID)\nTWILIO_REFRESH_TOKEN=never-issued\n")

            var result = await h.call(["token", "badclient"])
            #expect(result.status == 69)
            result = await h.call(["token", "revoked"])
            #expect(result.status == 69)
            #expect(result.stderr.contains("twvault login revoked"))

            standIn.inject(Fault(.status(500), target: .path("/v2/token"), count: nil))
            standIn.clearLog()
            result = await h.call(["token", "cc"])
            #expect(result.status == 75)
            #expect(tokenRequests(standIn).count == 3, "client_credentials is retried twice")
            standIn.clearLog()
            result = await h.call(["token", "org"])
            #expect(result.status == 75)
            #expect(tokenRequests(standIn).count == 1, "a refresh is never re-sent")
            standIn.clearFaults()

            standIn.clearLog()
            standIn.inject(Fault(.tooManyRequests(retryAfter: "1"), target: .path("/v2/token"), count: 1))
            result = await h.call(["token", "cc"])
            #expect(result.status == 0, "429 then success: \(result.stderr)")
            #expect(tokenRequests(standIn).count == 2)

            for fault in [
                Fault.Kind.malformedJSON, .oversizedBody,
                .respond(status: 200, headers: [], body: "{\"token_type\":\"bearer\"}"),
            ] {
                standIn.inject(Fault(fault, target: .path("/v2/token"), count: nil))
                result = await h.call(["token", "cc", "--refresh"])
                #expect(result.status == 76, "\(fault): \(result.stderr)")
                standIn.clearFaults()
            }
            // The org profile's refresh token was not consumed by the failed attempt.
            #expect(await h.call(["token", "org"]).status == 0)
            #expect(await h.call(["verify"]).status == 0)
        }
    }

    @Test func failedExchangeDoesNotChangeTheFile() async throws {
        try await Self.withStandIn { h, standIn async throws in
            let before = try await vaultBytes(h)
            standIn.inject(Fault(.status(401), target: .path("/v2/token"), count: nil))
            #expect(await h.call(["token", "cc"]).status == 69)
            standIn.clearFaults()
            standIn.inject(Fault(.malformedJSON, target: .path("/v2/token"), count: nil))
            #expect(await h.call(["token", "cc"]).status == 76)
            #expect(try await vaultBytes(h) == before)
        }
    }

    @Test func insecureTokenURLIsRefusedBeforeAnyConnection() async throws {
        try await Self.withStandIn { h, standIn async throws in
            let result = await h.call(["token", "cc"], env: ["TWVAULT_TOKEN_URL": "http://example.com/v2/token"])
            #expect(result.status == 64)
            #expect(result.stderr.contains("https"))
            #expect(tokenRequests(standIn).isEmpty)
        }
    }
}
