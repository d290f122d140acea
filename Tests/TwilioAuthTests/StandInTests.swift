import Foundation
import Testing
import TwilioAuth
import TwilioHTTP
import TwilioStandIn

/// The stand-in's own behaviour: the control API, OAuth checks, flags and the executable.
@Suite struct StandInControlTests {
    func control(
        _ transport: NIOHTTPTransport, _ standIn: TwilioStandIn, _ method: HTTPRequest.Method, _ path: String,
        json: String? = nil
    ) async throws -> HTTPResponse {
        try await transport.send(
            HTTPRequest(
                method: method, url: standIn.baseURL + "/__standin/" + path,
                headers: json == nil ? [] : [HeaderField("Content-Type", "application/json")],
                body: Array((json ?? "").utf8)))
    }

    @Test func faultsCountsAndLogOverHTTP() async throws {
        try await withStandIn { standIn, transport in
            let fault = try await control(
                transport, standIn, .post, "fault",
                json: #"{"kind":"status","status":500,"path":"/v2/token","count":1}"#)
            #expect(fault.status == 204)
            let tokens = TokenEndpoint(url: standIn.tokenURL, transport: transport, retryPolicy: .never)
            let error = await #expect(throws: TwilioError.self) {
                try await tokens.clientCredentials(clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .temporary)
            _ = try await tokens.clientCredentials(clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)

            let count = try await control(transport, standIn, .get, "count?path=/v2/token&method=POST")
            #expect(String(decoding: count.body, as: UTF8.self) == "2\n")
            let log = try await control(transport, standIn, .get, "log")
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(log.body)) as? [[String: Any]])
            #expect(entries.count == 2) // control requests are not logged
            #expect(entries.first?["path"] as? String == "/v2/token")
            #expect((entries.first?["body"] as? String)?.hasPrefix("grant_type=client_credentials") == true)

            let reset = try await control(transport, standIn, .post, "reset")
            #expect(reset.status == 204)
            #expect(standIn.requests().isEmpty)
        }
    }

    @Test func accountsClientsAndKeysOverHTTP() async throws {
        try await withStandIn { standIn, transport in
            let sid = "AC11111111111111111111111111111111"
            let added = try await control(
                transport, standIn, .post, "accounts",
                json:
                    #"{"sid":"\#(sid)","auth_token":"tok-1111","api_keys":[{"sid":"SK1","secret":"s1","friendly_name":"one"}]}"#
            )
            #expect(added.status == 204)
            let client = TwilioAPI(
                accountSID: sid, credentials: BasicCredentials(username: sid, password: "tok-1111"),
                transport: transport,
                apiBaseURL: standIn.baseURL, accountsBaseURL: standIn.baseURL)
            let key = try await client.createAPIKey(friendlyName: "two")
            let keys = try await control(transport, standIn, .get, "keys?account=\(sid)")
            let list = try #require(try JSONSerialization.jsonObject(with: Data(keys.body)) as? [[String: String]])
            #expect(list.map { $0["sid"] } == ["SK1", key.sid])

            let clientAdded = try await control(
                transport, standIn, .post, "clients", json: #"{"id":"OQnew","secret":"sec-new"}"#)
            #expect(clientAdded.status == 204)
            let refresh = try await control(transport, standIn, .post, "refresh-token", json: #"{"client_id":"OQnew"}"#)
            let refreshToken = try #require(
                (try JSONSerialization.jsonObject(with: Data(refresh.body)) as? [String: String])?["refresh_token"])
            let tokens = TokenEndpoint(url: standIn.tokenURL, transport: transport)
            let token = try await tokens.refresh(refreshToken: refreshToken, clientID: "OQnew", clientSecret: "sec-new")
            #expect(token.refreshToken != nil)

            let configured = try await control(transport, standIn, .post, "config", json: #"{"token_format":"opaque"}"#)
            #expect(configured.status == 204)
            let opaque = try await tokens.clientCredentials(clientID: "OQnew", clientSecret: "sec-new")
            #expect(jwtClaims(opaque.accessToken) == nil)
        }
    }

    @Test func authorizeRefusesAnUnregisteredRedirect() async throws {
        try await withStandIn { standIn, transport in
            let url = try AuthorizeURL.make(
                base: standIn.baseURL + "/v2/authorize", clientID: Fixture.clientID,
                redirectURI: "http://127.0.0.1:9/elsewhere", state: "s", pkce: PKCE())
            let response = try await transport.send(HTTPRequest(method: .get, url: url))
            #expect(response.status == 400)
            #expect(response.headers.value(for: "Location") == nil)
        }
    }

    @Test func tokenEndpointRefusesAnAuthorizationHeader() async throws {
        try await withStandIn { standIn, transport in
            let response = try await transport.send(
                HTTPRequest(
                    method: .post, url: standIn.tokenURL,
                    headers: [
                        HeaderField("Content-Type", "application/x-www-form-urlencoded"),
                        HeaderField("Authorization", "Basic b3E6cw=="),
                    ],
                    body: Array(
                        "grant_type=client_credentials&client_id=\(Fixture.clientID)&client_secret=\(Fixture.clientSecret)"
                            .utf8)))
            #expect(response.status == 400)
        }
    }

    @Test func delayFaultStillAnswers() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.delay(.milliseconds(50)), target: .step(.fetchAccount)))
            _ = try await api(standIn, transport).fetchAccount()
        }
    }

    @Test func commandLineFlags() throws {
        let options = try StandInCommandLine.parse([
            "--port", "0", "--client", "OQa:sec", "--redirect-uri", "http://127.0.0.1:1/cb", "--client", "OQpublic",
            "--account", "ACx:tok", "--api-key", "ACx:SKy:ks", "--token-lifetime", "60", "--token-format", "opaque",
            "--exit-on-stdin-eof",
        ])
        #expect(
            options.configuration.clients == [
                StandInClient(id: "OQa", secret: "sec", redirectURIs: ["http://127.0.0.1:1/cb"]),
                StandInClient(id: "OQpublic", secret: nil),
            ])
        #expect(
            options.configuration.accounts == [
                StandInAccount(sid: "ACx", authToken: "tok", apiKeys: [StandInAPIKey(sid: "SKy", secret: "ks")])
            ])
        #expect(options.configuration.tokenLifetime == 60)
        #expect(options.configuration.tokenFormat == .opaque)
        #expect(options.exitOnStandardInputEOF)
        #expect(throws: StandInError.self) { try StandInCommandLine.parse(["--bogus"]) }
        #expect(throws: StandInError.self) { try StandInCommandLine.parse(["--port", "70000"]) }
    }
}

/// The built `twilio-standin` executable, next to the test bundle.
let standInExecutable: URL? = {
    // On Linux the test bundle is an executable in the build directory; on macOS a bundle inside it.
    let directories = [
        Bundle.main.executableURL?.deletingLastPathComponent(), Bundle.main.bundleURL.deletingLastPathComponent(),
    ]
    return directories.compactMap { $0?.appendingPathComponent("twilio-standin") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
}()

@Suite struct StandInExecutableTests {
    @Test(.enabled(if: standInExecutable != nil, "twilio-standin is not built"))
    func printsItsURLAndStopsAtEndOfInput() async throws {
        let process = Process()
        process.executableURL = standInExecutable
        process.arguments = [
            "--client", "\(Fixture.clientID):\(Fixture.clientSecret)", "--account",
            "\(Fixture.accountSID):\(Fixture.authToken)",
            "--exit-on-stdin-eof",
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The first line is the URL; reading it is the readiness signal.
        var line = [UInt8]()
        while true {
            let byte = try #require(try output.fileHandleForReading.read(upToCount: 1)?.first)
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        let baseURL = String(decoding: line, as: UTF8.self)
        #expect(baseURL.hasPrefix("http://127.0.0.1:"))

        let transport = NIOHTTPTransport(limits: Fixture.limits)
        let tokens = TokenEndpoint(url: baseURL + "/v2/token", transport: transport)
        let token = try await tokens.clientCredentials(clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
        #expect(!token.accessToken.isEmpty)
        let count = try await transport.send(
            HTTPRequest(method: .get, url: baseURL + "/__standin/count?path=/v2/token"))
        #expect(String(decoding: count.body, as: UTF8.self) == "1\n")
        await transport.shutdown()

        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
