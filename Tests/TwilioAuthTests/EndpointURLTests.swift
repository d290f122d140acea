import Testing
import TwilioAuth
import TwilioStandIn

@Suite struct EndpointURLTests {
    @Test(arguments: [
        "https://oauth.twilio.com/v2/token", "https://api.twilio.com", "https://example.com:8443/x?y=1",
        "http://127.0.0.1:8080/v2/token", "http://127.5.6.7/", "http://[::1]:9000/x", "http://localhost:1",
        "HTTP://LOCALHOST/x", "http://[0:0:0:0:0:0:0:1]/",
    ])
    func accepted(url: String) throws {
        _ = try EndpointURL.validate(url)
    }

    @Test(arguments: [
        "http://example.com/v2/token", "http://127.0.0.1.example.com/", "http://[::2]/", "http://2130706433/",
        "http://0x7f000001/", "ftp://127.0.0.1/", "oauth.twilio.com/v2/token", "https://user:pw@api.twilio.com/",
        "https:///nohost", "https://host:99999/", "https://host/a b",
    ])
    func refused(url: String) {
        let error = #expect(throws: TwilioError.self) { try EndpointURL.validate(url) }
        #expect(error?.kind == .invalidURL)
        #expect(!(error?.description.contains("pw@") ?? true))
    }

    @Test func hostAndPortAreParsed() throws {
        let url = try EndpointURL.validate("http://[::1]:8080/v2/token?x=1")
        #expect(url.host == "::1")
        #expect(url.port == 8080)
        #expect(url.pathAndQuery == "/v2/token?x=1")
        #expect(url.isLoopback)
    }

    @Test func plainHTTPToARemoteHostIsRefusedBeforeAnyConnection() async throws {
        // .invalid never resolves, so even a broken check could not reach anything.
        try await withStandIn { standIn, transport in
            let endpoint = TokenEndpoint(url: "http://oauth.example.invalid/v2/token", transport: transport)
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint.clientCredentials(clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            guard case .invalidURL(let url, let reason)? = error else {
                Issue.record("expected invalidURL, got \(String(describing: error))")
                return
            }
            #expect(url == "http://oauth.example.invalid/v2/token")
            #expect(reason.contains("https://"))
            #expect(error?.kind == .invalidURL)
            let direct = await #expect(throws: TwilioError.self) {
                try await transport.send(HTTPRequest(method: .get, url: "http://example.invalid/"))
            }
            #expect(direct?.kind == .invalidURL)
            #expect(standIn.requests().isEmpty)
        }
    }

    @Test func descriptionOmitsTheQuery() {
        let error = #expect(throws: TwilioError.self) {
            try EndpointURL.validate("http://example.com/token?client_secret=hunter22")
        }
        #expect(error?.description.contains("hunter22") == false)
        #expect(error?.description.contains("http://example.com/token") == true)
    }
}
