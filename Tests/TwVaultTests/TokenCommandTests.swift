import Foundation
import Testing
import TwilioStandIn

/// `token`, `export`/`exec` with OAuth profiles, and `login`, against the stand-in.
@Suite struct TokenCommandTests {
    static let secret = "client-secret-for-tests-7c1d"
    static let orgClientID = "OQ9876543210abcdefABCDEF9876543210"

    /// A harness whose binary talks to a fresh stand-in.
    func setUp(lifetime: Int = 3600) async throws -> (Harness, TwilioStandIn) {
        var configuration = StandInConfiguration(clients: [
            StandInClient(id: Harness.clientID, secret: Self.secret),
            StandInClient(id: Self.orgClientID, secret: nil),
        ])
        configuration.tokenLifetime = lifetime
        let standIn = try await TwilioStandIn.start(configuration)
        let h = try Harness()
        h.environment["TWVAULT_TOKEN_URL"] = standIn.baseURL + "/v2/token"
        h.environment["TWVAULT_AUTHORIZE_URL"] = standIn.baseURL + "/v2/authorize"
        try h.makeVault(
            profile: "cc", lines: "TWILIO_CLIENT_ID=\(Harness.clientID)\nTWILIO_CLIENT_SECRET=\(Self.secret)\n")
        try h.unlock()
        return (h, standIn)
    }

    func tokenRequests(_ standIn: TwilioStandIn) -> [RecordedRequest] {
        standIn.requests(to: "/v2/token", method: "POST")
    }

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
        let (h, standIn) = try await setUp()
        defer { Task { await standIn.shutdown() } }
        var result = try await h.runAsync(["token", "cc", "--json"])
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
        result = try await h.runAsync(["token", "cc"])
        #expect(result.stdout == token + "\n")
        result = try await h.runAsync(["export", "cc", "--format", "json"])
        #expect(
            (try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String])?["TWILIO_ACCESS_TOKEN"]
                == token)
        result = try await h.runAsync(["exec", "cc", "--", "printenv", "TWILIO_ACCESS_TOKEN"])
        #expect(result.stdout == token + "\n")
        #expect(tokenRequests(standIn).count == 1)

        // --no-token: no token, no request.
        result = try await h.runAsync(["export", "cc", "--no-token", "--format", "json"])
        #expect(
            (try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String])?["TWILIO_ACCESS_TOKEN"]
                == nil)
        // --refresh forces an exchange.
        result = try await h.runAsync(["token", "cc", "--refresh"])
        #expect(result.status == 0)
        #expect(result.stdout != token + "\n")
        #expect(tokenRequests(standIn).count == 2)
    }

    @Test func expiryComesFromTheJWTOrExpiresIn() async throws {
        let (h, standIn) = try await setUp(lifetime: 7200)
        defer { Task { await standIn.shutdown() } }
        var result = try await h.runAsync(["token", "cc", "--json"])
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
        result = try await h.runAsync(["token", "cc", "--json", "--refresh"])
        object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
        #expect((object?["access_token"] as? String)?.contains(".") == false)
        expires = try #require(formatter.date(from: object?["expires_at"] as? String ?? ""))
        #expect(abs(expires.timeIntervalSinceNow - 5000) < 120)
    }

    @Test func tokenWithUnderAMinuteLeftIsRefreshed() async throws {
        let (h, standIn) = try await setUp(lifetime: 30)
        defer { Task { await standIn.shutdown() } }
        #expect(try await h.runAsync(["token", "cc"]).status == 0)
        #expect(try await h.runAsync(["token", "cc"]).status == 0)
        #expect(tokenRequests(standIn).count == 2, "a token with 30 s left must not be reused")
    }

    @Test func refreshTokenRotationStoresTheNewToken() async throws {
        let (h, standIn) = try await setUp(lifetime: 30)
        defer { Task { await standIn.shutdown() } }
        let first = standIn.issueRefreshToken(clientID: Self.orgClientID, scope: "offline_access")
        try h.makeVault(profile: "org", lines: "TWILIO_CLIENT_ID=\(Self.orgClientID)\nTWILIO_REFRESH_TOKEN=\(first)\n")
        for _ in 0..<3 {
            let result = try await h.runAsync(["token", "org"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let presented = tokenRequests(standIn).compactMap { $0.formDictionary["refresh_token"] }
        #expect(presented.count == 3)
        #expect(Set(presented).count == 3, "a refresh token is never presented twice")
        #expect(presented.first == first)
        // The stand-in would have revoked the family on reuse; a fourth refresh still works.
        #expect(try await h.runAsync(["token", "org", "--refresh"]).status == 0)
        #expect(try await h.runAsync(["verify"]).status == 0)
    }

    @Test func failuresMapToExitCodesAndLeaveTheVaultUnchanged() async throws {
        let (h, standIn) = try await setUp()
        defer { Task { await standIn.shutdown() } }
        let org = standIn.issueRefreshToken(clientID: Self.orgClientID)
        try h.makeVault(profile: "org", lines: "TWILIO_CLIENT_ID=\(Self.orgClientID)\nTWILIO_REFRESH_TOKEN=\(org)\n")
        try h.makeVault(
            profile: "badclient", lines: "TWILIO_CLIENT_ID=\(Harness.clientID)\nTWILIO_CLIENT_SECRET=wrong-secret\n")
        try h.makeVault(
            profile: "revoked", lines: "TWILIO_CLIENT_ID=\(Self.orgClientID)\nTWILIO_REFRESH_TOKEN=never-issued\n")

        var result = try await h.runAsync(["token", "badclient"])
        #expect(result.status == 69)
        result = try await h.runAsync(["token", "revoked"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("twvault login revoked"))

        standIn.inject(Fault(.status(500), target: .path("/v2/token"), count: nil))
        standIn.clearLog()
        result = try await h.runAsync(["token", "cc"])
        #expect(result.status == 75)
        #expect(tokenRequests(standIn).count == 3, "client_credentials is retried twice")
        standIn.clearLog()
        result = try await h.runAsync(["token", "org"])
        #expect(result.status == 75)
        #expect(tokenRequests(standIn).count == 1, "a refresh is never re-sent")
        standIn.clearFaults()

        standIn.clearLog()
        standIn.inject(Fault(.tooManyRequests(retryAfter: "1"), target: .path("/v2/token"), count: 1))
        result = try await h.runAsync(["token", "cc"])
        #expect(result.status == 0, "429 then success: \(result.stderr)")
        #expect(tokenRequests(standIn).count == 2)

        for fault in [
            Fault.Kind.malformedJSON, .oversizedBody,
            .respond(status: 200, headers: [], body: "{\"token_type\":\"bearer\"}"),
        ] {
            standIn.inject(Fault(fault, target: .path("/v2/token"), count: nil))
            result = try await h.runAsync(["token", "cc", "--refresh"])
            #expect(result.status == 76, "\(fault): \(result.stderr)")
            standIn.clearFaults()
        }
        // The org profile's refresh token was not consumed by the failed attempt.
        #expect(try await h.runAsync(["token", "org"]).status == 0)
        #expect(try await h.runAsync(["verify"]).status == 0)
    }

    @Test func failedExchangeDoesNotChangeTheFile() async throws {
        let (h, standIn) = try await setUp()
        defer { Task { await standIn.shutdown() } }
        let before = try await vaultBytes(h)
        standIn.inject(Fault(.status(401), target: .path("/v2/token"), count: nil))
        #expect(try await h.runAsync(["token", "cc"]).status == 69)
        standIn.clearFaults()
        standIn.inject(Fault(.malformedJSON, target: .path("/v2/token"), count: nil))
        #expect(try await h.runAsync(["token", "cc"]).status == 76)
        #expect(try await vaultBytes(h) == before)
    }

    @Test func insecureTokenURLIsRefusedBeforeAnyConnection() async throws {
        let (h, standIn) = try await setUp()
        defer { Task { await standIn.shutdown() } }
        let result = try await h.runAsync(["token", "cc"], env: ["TWVAULT_TOKEN_URL": "http://example.com/v2/token"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("https"))
        #expect(tokenRequests(standIn).isEmpty)
    }

    @Test func sixteenProcessesMakeOneRequest() async throws {
        let (h, standIn) = try await setUp()
        defer { Task { await standIn.shutdown() } }
        var env = h.baseEnvironment()
        env["TWVAULT_SESSION"] = h.environment["TWVAULT_SESSION"]
        let script = "for i in $(seq 16); do \"$0\" token cc > \"$1/out.$i\" 2>&1 & done; wait"
        let result = try await Harness.executeAsync(
            "/bin/bash", ["-c", script, Harness.binary, h.root.path], environment: env)
        #expect(result.status == 0)
        var tokens = Set<String>()
        for index in 1...16 {
            let text = try String(contentsOfFile: h.root.path + "/out.\(index)", encoding: .utf8)
            tokens.insert(text)
        }
        #expect(tokens.count == 1, "all sixteen print the same token")
        #expect(tokenRequests(standIn).count == 1)
    }

    @Test func loginWithPKCEStoresARefreshToken() async throws {
        let (h, standIn) = try await setUp()
        defer { Task { await standIn.shutdown() } }
        try h.makeVault(profile: "org", lines: "TWILIO_CLIENT_ID=\(Self.orgClientID)\n")
        let (status, stderr) = try await driveLogin(h, standIn: standIn, tamperState: false)
        #expect(status == 0, "\(stderr)")
        let request = try #require(tokenRequests(standIn).last)
        #expect(request.formDictionary["grant_type"] == "authorization_code")
        #expect(request.formDictionary["code_verifier"] != nil)
        let show = try await h.runAsync(["show", "org", "--json"])
        let object = try JSONSerialization.jsonObject(with: show.stdoutData) as? [String: Any]
        #expect((object?["secrets"] as? [String: Bool])?["refresh_token"] == true)
        #expect(try await h.runAsync(["token", "org", "--refresh"]).status == 0)
    }

    @Test func loginRefusesAWrongState() async throws {
        let (h, standIn) = try await setUp()
        defer { Task { await standIn.shutdown() } }
        try h.makeVault(profile: "org", lines: "TWILIO_CLIENT_ID=\(Self.orgClientID)\n")
        let (status, stderr) = try await driveLogin(h, standIn: standIn, tamperState: true)
        #expect(status == 65)
        #expect(stderr.contains("state"))
        #expect(tokenRequests(standIn).isEmpty)
    }

    /// Runs `login --no-browser --port 0`, reads the authorize URL from stderr, performs the
    /// browser's request against the stand-in and follows its redirect to the listener.
    func driveLogin(_ h: Harness, standIn: TwilioStandIn, tamperState: Bool) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = ["login", "org", "--no-browser", "--port", "0"]
        var env = h.baseEnvironment()
        env["TWVAULT_SESSION"] = h.environment["TWVAULT_SESSION"]
        process.environment = env
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("\n" + standIn.baseURL) || !seen.hasSuffix("\n") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        let line = try #require(seen.split(separator: "\n").first { $0.hasPrefix(standIn.baseURL) })
        // The browser: the authorize endpoint answers 302 to the loopback redirect URI.
        let authorize = try await HTTPGet.fetch(String(line))
        #expect(authorize.status == 302)
        var location = try #require(authorize.location)
        if tamperState {
            location = location.replacingOccurrences(of: "state=", with: "state=forged")
        }
        let callback = try await HTTPGet.fetch(location)
        #expect(callback.status == (tamperState ? 400 : 200))
        let rest = try await Harness.offPool { () -> Data in
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return data
        }
        return (process.terminationStatus, seen + String(decoding: rest, as: UTF8.self))
    }
}

/// A minimal HTTP GET on loopback that does not follow redirects.
enum HTTPGet {
    struct Answer {
        var status: Int
        var location: String?
    }

    static func fetch(_ url: String) async throws -> Answer {
        let result = try await Harness.executeAsync(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import sys, http.client, urllib.parse
                u = urllib.parse.urlsplit(sys.argv[1])
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                c.request('GET', u.path + ('?' + u.query if u.query else ''))
                r = c.getresponse()
                print(r.status)
                print(r.getheader('Location') or '')
                """, url,
            ], environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return Answer(
            status: Int(lines.first ?? "") ?? 0, location: lines.count > 1 && !lines[1].isEmpty ? String(lines[1]) : nil
        )
    }
}
