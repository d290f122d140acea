import Foundation
import Testing
import TwilioAuth
import TwilioHTTP
import TwilioStandIn

@Suite struct TokenGrantTests {
    @Test func clientCredentialsRequestIsExactlyTheForm() async throws {
        try await withStandIn { standIn, transport in
            let token = try await endpoint(standIn, transport).clientCredentials(
                clientID: Fixture.clientID, clientSecret: Fixture.clientSecret, scope: "openid profile",
                audience: "https://api.twilio.com")
            let requests = standIn.tokenRequests()
            try #require(requests.count == 1)
            let request = requests[0]
            #expect(
                request.bodyText
                    == "grant_type=client_credentials&client_id=\(Fixture.clientID)&client_secret=\(Fixture.clientSecret)"
                    + "&scope=openid%20profile&audience=https%3A%2F%2Fapi.twilio.com")
            #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
            #expect(request.header("Accept") == "application/json")
            #expect(request.header("Authorization") == nil)
            #expect(request.query.isEmpty)
            #expect(!token.accessToken.isEmpty)
            #expect(token.tokenType == "Bearer")
            #expect(token.refreshToken == nil)
            #expect(token.scope == "openid profile")
        }
    }

    @Test func clientCredentialsWithoutOptionsSendsNothingExtra() async throws {
        try await withStandIn { standIn, transport in
            _ = try await endpoint(standIn, transport).clientCredentials(
                clientID: Fixture.clientID, clientSecret: Fixture.clientSecret, scope: "", audience: nil)
            #expect(standIn.tokenRequests().map(fieldNames) == [["grant_type", "client_id", "client_secret"]])
        }
    }

    /// Runs the browser half of the flow against the stand-in: the authorize URL, then the redirect.
    static func authorize(
        _ standIn: TwilioStandIn, _ transport: NIOHTTPTransport, clientID: String, redirectURI: String, pkce: PKCE
    ) async throws -> String {
        let state = OAuthState.generate()
        let url = try AuthorizeURL.make(
            base: standIn.baseURL + "/v2/authorize", clientID: clientID, redirectURI: redirectURI,
            scope: "offline_access",
            state: state, pkce: pkce)
        let response = try await transport.send(HTTPRequest(method: .get, url: url))
        #expect(response.status == 302)
        let location = try #require(response.headers.value(for: "Location"))
        #expect(location.hasPrefix(redirectURI + "?"))
        let query = URLComponents(string: location)?.queryItems ?? []
        #expect(query.first { $0.name == "state" }?.value == state)
        return try #require(query.first { $0.name == "code" }?.value)
    }

    @Test func authorizationCodeWithPKCE() async throws {
        try await withStandIn { standIn, transport in
            let pkce = PKCE()
            let code = try await Self.authorize(
                standIn, transport, clientID: Fixture.clientID, redirectURI: Fixture.redirectURI, pkce: pkce)
            let token = try await endpoint(standIn, transport).authorizationCode(
                code: code, redirectURI: Fixture.redirectURI, codeVerifier: pkce.verifier, clientID: Fixture.clientID,
                clientSecret: Fixture.clientSecret)
            let request = try #require(standIn.tokenRequests().first)
            #expect(
                request.form.map { [$0.0, $0.1] } == [
                    ["grant_type", "authorization_code"], ["code", code], ["redirect_uri", Fixture.redirectURI],
                    ["code_verifier", pkce.verifier], ["client_id", Fixture.clientID],
                    ["client_secret", Fixture.clientSecret],
                ])
            #expect(request.header("Authorization") == nil)
            #expect(token.refreshToken != nil)
            #expect(token.scope == "offline_access")

            // A code is single-use.
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).authorizationCode(
                    code: code, redirectURI: Fixture.redirectURI, codeVerifier: pkce.verifier,
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .refused)
            #expect(error?.isInvalidGrant == true)
        }
    }

    @Test func publicClientSendsNoSecretAndAWrongVerifierIsRefused() async throws {
        try await withStandIn { standIn, transport in
            let redirect = "http://127.0.0.1:49152/cb"
            let pkce = PKCE()
            let code = try await Self.authorize(
                standIn, transport, clientID: Fixture.publicClientID, redirectURI: redirect, pkce: pkce)
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).authorizationCode(
                    code: code, redirectURI: redirect, codeVerifier: PKCE().verifier, clientID: Fixture.publicClientID)
            }
            #expect(error?.isInvalidGrant == true)
            #expect(
                fieldNames(try #require(standIn.tokenRequests().first))
                    == ["grant_type", "code", "redirect_uri", "code_verifier", "client_id"])

            let code2 = try await Self.authorize(
                standIn, transport, clientID: Fixture.publicClientID, redirectURI: redirect, pkce: pkce)
            let token = try await endpoint(standIn, transport).authorizationCode(
                code: code2, redirectURI: redirect, codeVerifier: pkce.verifier, clientID: Fixture.publicClientID)
            #expect(token.refreshToken != nil)
        }
    }

    @Test func refreshRotatesAndReuseRevokesTheFamily() async throws {
        try await withStandIn { standIn, transport in
            let first = standIn.issueRefreshToken(clientID: Fixture.clientID)
            let tokens = endpoint(standIn, transport)
            let rotated = try await tokens.refresh(
                refreshToken: first, clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            let second = try #require(rotated.refreshToken)
            #expect(second != first)
            let request = try #require(standIn.tokenRequests().first)
            #expect(
                request.form.map { [$0.0, $0.1] } == [
                    ["grant_type", "refresh_token"], ["refresh_token", first], ["client_id", Fixture.clientID],
                    ["client_secret", Fixture.clientSecret],
                ])
            #expect(request.header("Authorization") == nil)

            // Presenting the used token again revokes everything issued from it…
            let reuse = await #expect(throws: TwilioError.self) {
                try await tokens.refresh(
                    refreshToken: first, clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(reuse?.isInvalidGrant == true)
            #expect(reuse?.kind == .refused)
            // …including the newest one.
            let revoked = await #expect(throws: TwilioError.self) {
                try await tokens.refresh(
                    refreshToken: second, clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(revoked?.isInvalidGrant == true)
            #expect(revoked?.message(profile: "acme-prod").contains("twvault login acme-prod") == true)
            #expect(standIn.tokenRequests().count == 3)
        }
    }
}

@Suite struct TokenExpiryTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func expiryComesFromTheJWTExpClaim() async throws {
        try await withStandIn { standIn, transport in
            standIn.configure { $0.tokenLifetime = 1234 }
            let token = try await endpoint(standIn, transport).clientCredentials(
                clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            let exp = try #require(jwtClaims(token.accessToken)?["exp"] as? NSNumber)
            #expect(token.expiresAt == Date(timeIntervalSince1970: exp.doubleValue))
        }
    }

    @Test func jwtExpWinsOverExpiresIn() async throws {
        try await withStandIn { standIn, transport in
            let exp = Self.now.timeIntervalSince1970 + 500
            respondOnce(
                standIn, #"{"access_token":"\#(unsignedJWT(payload: #"{"exp":\#(Int(exp))}"#))","expires_in":60}"#)
            let token = try await endpoint(standIn, transport, now: { Self.now }).clientCredentials(
                clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            #expect(token.expiresAt == Date(timeIntervalSince1970: exp))
            #expect(token.tokenType == "Bearer")
        }
    }

    @Test func expiryComesFromExpiresInForOpaqueTokens() async throws {
        try await withStandIn { standIn, transport in
            standIn.configure {
                $0.tokenFormat = .opaque
                $0.tokenLifetime = 900
            }
            let token = try await endpoint(standIn, transport, now: { Self.now }).clientCredentials(
                clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            #expect(jwtClaims(token.accessToken) == nil)
            #expect(token.expiresAt == Self.now.addingTimeInterval(900))
        }
    }

    @Test func expiresInMayBeANumericStringAndTokenTypeAnyCase() async throws {
        try await withStandIn { standIn, transport in
            respondOnce(
                standIn,
                #"{"access_token":"opaque","token_type":"BEARER","expires_in":"120","refresh_token":"","scope":null}"#)
            let token = try await endpoint(standIn, transport, now: { Self.now }).clientCredentials(
                clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            #expect(token.expiresAt == Self.now.addingTimeInterval(120))
            #expect(token.refreshToken == nil)
            #expect(token.scope == nil)
        }
    }

    @Test func withoutAnyExpiryAShortDefaultApplies() async throws {
        try await withStandIn { standIn, transport in
            respondOnce(standIn, #"{"access_token":"opaque","token_type":"bearer"}"#)
            let token = try await endpoint(standIn, transport, now: { Self.now }).clientCredentials(
                clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            #expect(token.expiresAt == Self.now.addingTimeInterval(600))
        }
    }

    @Test(arguments: [
        #"{"access_token":"opaque","expires_in":1438315200000}"#, // Twilio's documentation placeholder
        #"{"access_token":"opaque","expires_in":-5}"#,
        #"{"access_token":"opaque","expires_in":31700000}"#, // over a year
        #"{"access_token":"opaque","expires_in":"soon"}"#,
        #"{"access_token":"opaque","token_type":"mac"}"#,
        #"{"access_token":""}"#,
        #"{"token_type":"bearer","expires_in":3600}"#,
        #"{"access_token":42}"#,
        #"["access_token"]"#,
        "access_token=abc&expires_in=3600",
    ])
    func implausibleAnswersAreMalformed(body: String) async throws {
        try await withStandIn { standIn, transport in
            respondOnce(standIn, body)
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport, now: { Self.now }).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .malformedResponse)
        }
    }

    @Test func jwtExpInMillisecondsIsMalformed() async throws {
        try await withStandIn { standIn, transport in
            let token = unsignedJWT(payload: #"{"exp":1700000500000}"#)
            respondOnce(standIn, #"{"access_token":"\#(token)","expires_in":60}"#)
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport, now: { Self.now }).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .malformedResponse)
        }
    }

    @Test func tokenResponseDescriptionHidesTokens() async throws {
        try await withStandIn { standIn, transport in
            let token = try await endpoint(standIn, transport).refresh(
                refreshToken: standIn.issueRefreshToken(clientID: Fixture.clientID), clientID: Fixture.clientID,
                clientSecret: Fixture.clientSecret)
            for text in [String(describing: token), String(reflecting: token), "\(token)"] {
                #expect(!text.contains(token.accessToken))
                #expect(!text.contains(token.refreshToken!))
            }
        }
    }
}
