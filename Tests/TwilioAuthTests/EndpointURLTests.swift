import Testing
import TwilioAuth
import TwilioStandIn

@Suite struct EndpointURLTests {
    @Test(arguments: [
        "https://oauth.twilio.com/v2/token", "https://api.twilio.com", "https://example.com:8443/x?y=1",
        "https://api.eu1.twilio.com/", "https://my_proxy.example:443/", "https://10.0.0.1/",
        "http://127.0.0.1:8080/v2/token", "http://127.5.6.7/", "http://127.0.0.0/", "http://127.255.255.255/",
        "http://127.0.0.1", "http://127.0.0.1?x=1", "http://127.0.0.1#frag", "http://[::1]:9000/x",
        "http://[::1]", "http://localhost:1", "HTTP://LOCALHOST/x", "http://LocalHost:8080/",
        "http://[0:0:0:0:0:0:0:1]/", "http://[0000::0001]/",
    ])
    func accepted(url: String) throws {
        let endpoint = try EndpointURL.validate(url)
        #expect(endpoint.scheme == "https" || endpoint.isLoopback)
    }

    @Test(arguments: [
        "http://example.com/v2/token", "ftp://127.0.0.1/", "oauth.twilio.com/v2/token",
        "https://user:pw@api.twilio.com/", "https:///nohost", "https://host:99999/", "https://host:0/",
        "https://host/a b", "https://host:+443/", "https://host:/", "https://host:443:443/",
        "https://[::1/", "https://[::1]x/", "https://[fe80::1%25eth0]/", "https://[not-an-address]/",
        "https://exa\\mple.com/", "https://example.com%2f@x/", "https://ex%61mple.com/", "https://exämple.com/",
    ])
    func refused(url: String) {
        let error = #expect(throws: TwilioError.self) { try EndpointURL.validate(url) }
        #expect(error?.kind == .invalidURL)
        #expect(!(error?.description.contains("pw@") ?? true))
    }

    /// http:// is for hosts known as loopback without a name lookup; each of these either
    /// names another host, goes through DNS, or is read differently by some resolver.
    @Test(arguments: [
        // Names that merely start like a loopback address.
        "http://127.evil.example/", "http://127.0.0.1.evil.com/", "http://127.0.0.1.nip.io/",
        // *.localhost and absolute names resolve through DNS here.
        "http://foo.localhost/", "http://localhost.localdomain/", "http://localhost./", "http://127.0.0.1./",
        "http://LOCALHOST./", "http://localhostx/",
        // Numeric forms inet_aton accepts but a dotted quad is not.
        "http://0x7f.0.0.1/", "http://0x7f000001/", "http://2130706433/", "http://127.1/", "http://127.0.1/",
        "http://0177.0.0.1/", "http://127.000.0.1/", "http://127.0.0.01/", "http://127.0.0.256/",
        "http://127.0.0.1.1/", "http://127..0.1/", "http://+127.0.0.1/",
        // User information and other authority tricks.
        "http://127.0.0.1@evil.com/", "http://127.0.0.1:80@evil.com/", "http://localhost@evil.com/",
        "http://user:pw@127.0.0.1/", "http://evil.com#@127.0.0.1/", "http://evil.com?@127.0.0.1/",
        "http://127.0.0.1\\@evil.com/", "http://127.0.0.1%2eevil.com/", "http://127.0.0.1%00/",
        // IPv6 other than ::1, or ::1 without brackets or with a zone.
        "http://[::2]/", "http://[::]/", "http://[::ffff:127.0.0.1]/", "http://::1/", "http://[::1%25lo]/",
        // Lookalike characters and other hosts.
        "http://\u{217C}ocalhost/", "http://10.0.0.1/", "http://128.0.0.1/", "http://example.com/",
    ])
    func plainHTTPOnlyToLoopback(url: String) {
        let error = #expect(throws: TwilioError.self) { try EndpointURL.validate(url) }
        guard case .invalidURL(let shown, let reason)? = error else { return }
        #expect(!shown.contains("pw@"))
        #expect(!reason.isEmpty)
    }

    @Test func loopbackHostsAreExactlyTheThreeForms() throws {
        for (url, loopback) in [
            ("https://localhost/", true), ("https://127.9.8.7/", true), ("https://[::1]/", true),
            ("https://foo.localhost/", false), ("https://127.1/", false), ("https://localhost./", false),
            ("https://api.twilio.com/", false), ("https://[::2]/", false),
        ] {
            #expect(try EndpointURL.validate(url).isLoopback == loopback, "\(url)")
        }
        #expect(try EndpointURL.validate("http://LOCALHOST:8080/x").host == "localhost")
    }

    /// What the transport sends as SNI: a name, never an address literal.
    @Test func addressLiteralsAreToldFromNames() throws {
        for (url, address) in [
            ("https://127.0.0.1/", true), ("https://10.1.2.3:8443/", true), ("https://[::1]/", true),
            ("https://[2001:db8::7]/", true), ("https://api.twilio.com/", false), ("https://localhost/", false),
            ("https://127.1/", false), ("https://1.2.3.4.example/", false),
        ] {
            #expect(try EndpointURL.validate(url).isIPAddress == address, "\(url)")
        }
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
