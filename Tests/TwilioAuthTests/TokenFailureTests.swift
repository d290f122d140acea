import Foundation
import Testing
import TwilioAuth
import TwilioHTTP
import TwilioStandIn

@Suite struct TokenFailureTests {
    @Test func unknownClientIsRefused() async throws {
        try await withStandIn { standIn, transport in
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).clientCredentials(
                    clientID: "OQ00000000000000000000000000000000", clientSecret: Fixture.clientSecret)
            }
            guard case .refused(let refusal)? = error else {
                Issue.record("expected a refusal, got \(String(describing: error))")
                return
            }
            #expect(refusal.status == 401)
            #expect(refusal.code == 20003)
            #expect(refusal.moreInfo == "https://www.twilio.com/docs/errors/20003")
            #expect(!refusal.isInvalidGrant)
            #expect(error?.kind == .refused)
            #expect(standIn.tokenRequests().count == 1) // a 4xx is never retried
        }
    }

    @Test func wrongSecretIsRefusedWithoutShowingIt() async throws {
        try await withStandIn { standIn, transport in
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: "wrong-secret-value")
            }
            #expect(error?.kind == .refused)
            let text = try #require(error?.description)
            #expect(!text.contains("wrong-secret-value"))
            #expect(!text.contains("\n"))
            #expect(text.contains("20003"))
        }
    }

    @Test func unknownRefreshTokenIsAnInvalidGrant() async throws {
        try await withStandIn { standIn, transport in
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).refresh(
                    refreshToken: "RT-never-issued", clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .refused)
            #expect(error?.isInvalidGrant == true)
            #expect(error?.description.contains("twvault login PROFILE") == true)
            #expect(error?.description.contains("RT-never-issued") == false)
        }
    }

    @Test func serverErrorsRetryClientCredentialsTwiceWithBackoff() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.status(500), target: .path("/v2/token"), count: nil))
            let sleeper = RecordingSleeper()
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport, sleeper: sleeper).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .temporary)
            #expect(standIn.tokenRequests().count == 3)
            #expect(await sleeper.delays == [.milliseconds(500), .seconds(1)])
        }
    }

    @Test func serverErrorsNeverResendARefreshToken() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.status(503), target: .path("/v2/token"), count: nil))
            let sleeper = RecordingSleeper()
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport, sleeper: sleeper).refresh(
                    refreshToken: standIn.issueRefreshToken(clientID: Fixture.clientID), clientID: Fixture.clientID,
                    clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .temporary)
            #expect(standIn.tokenRequests().count == 1)
            #expect(await sleeper.delays.isEmpty)
        }
    }

    @Test func serverErrorsNeverResendAnAuthorizationCode() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.status(502), target: .step(.token), count: nil))
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).authorizationCode(
                    code: "CD-any", redirectURI: Fixture.redirectURI, codeVerifier: PKCE().verifier,
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .temporary)
            #expect(standIn.tokenRequests().count == 1)
        }
    }

    @Test func retryAfterIsHonoured() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.tooManyRequests(retryAfter: "3"), target: .path("/v2/token"), count: 1))
            let sleeper = RecordingSleeper()
            let token = try await endpoint(standIn, transport, sleeper: sleeper).clientCredentials(
                clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            #expect(!token.accessToken.isEmpty)
            #expect(await sleeper.delays == [.seconds(3)])
            #expect(standIn.tokenRequests().count == 2)
        }
    }

    @Test func retryAfterBeyondTenSecondsFailsAtOnce() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.tooManyRequests(retryAfter: "30"), target: .path("/v2/token"), count: 1))
            let sleeper = RecordingSleeper()
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport, sleeper: sleeper).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            guard case .temporary(.unavailable(_, let status, _, let retryAfter))? = error else {
                Issue.record("expected a 429, got \(String(describing: error))")
                return
            }
            #expect(status == 429)
            #expect(retryAfter == .seconds(30))
            #expect(error?.description.contains("try again in 30 s") == true)
            #expect(standIn.tokenRequests().count == 1)
            #expect(await sleeper.delays.isEmpty)
        }
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        let limits = HTTPLimits(connectTimeout: .seconds(5), requestTimeout: .seconds(1))
        try await withStandIn(limits: limits) { standIn, transport in
            standIn.inject(Fault(.neverAnswer, target: .path("/v2/token"), count: nil))
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            guard case .temporary(.timedOut)? = error else {
                Issue.record("expected a timeout, got \(String(describing: error))")
                return
            }
            #expect(error?.kind == .temporary)
            // A timed-out exchange already spent the user's patience: it is not repeated.
            #expect(standIn.tokenRequests().count == 1)
        }
    }

    @Test func malformedJSONIsMalformed() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.malformedJSON, target: .path("/v2/token")))
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .malformedResponse)
        }
    }

    @Test func anOversizedBodyIsMalformed() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.oversizedBody, target: .path("/v2/token")))
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            guard case .malformedResponse(_, let reason)? = error else {
                Issue.record("expected malformed, got \(String(describing: error))")
                return
            }
            #expect(reason.contains("larger than"))
            #expect(error?.kind == .malformedResponse)
        }
    }

    @Test func aDroppedConnectionIsTemporaryAndRetriedForClientCredentials() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.dropConnection, target: .path("/v2/token"), count: nil))
            let sleeper = RecordingSleeper()
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport, sleeper: sleeper).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            guard case .temporary(.network)? = error else {
                Issue.record("expected a network error, got \(String(describing: error))")
                return
            }
            #expect(error?.kind == .temporary)
            #expect(standIn.tokenRequests().count == 3)
        }
    }

    @Test func aDroppedConnectionDuringRefreshIsNotRetried() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.dropConnection, target: .path("/v2/token"), count: 1))
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).refresh(
                    refreshToken: standIn.issueRefreshToken(clientID: Fixture.clientID), clientID: Fixture.clientID,
                    clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .temporary)
            #expect(standIn.tokenRequests().count == 1)
        }
    }

    @Test func nothingListeningIsANetworkError() async throws {
        // Take a free port from a stand-in, then stop it, so nothing listens there.
        let standIn = try await TwilioStandIn.start()
        let url = standIn.tokenURL
        await standIn.shutdown()
        let transport = NIOHTTPTransport(limits: HTTPLimits(connectTimeout: .seconds(2), requestTimeout: .seconds(5)))
        let tokens = TokenEndpoint(url: url, transport: transport, retryPolicy: .never)
        let error = await #expect(throws: TwilioError.self) {
            try await tokens.clientCredentials(clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
        }
        await transport.shutdown()
        #expect(error?.kind == .temporary)
    }
}

@Suite struct ErrorBodyTests {
    func refusal(_ body: String, status: Int = 400) async throws -> TwilioError? {
        try await withStandIn { standIn, transport in
            respondOnce(standIn, status: status, body)
            return await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
        }
    }

    @Test func twilioShapeComesFirst() async throws {
        let error = try await refusal(
            #"{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401,"title":"ignored","error":"invalid_client"}"#,
            status: 401)
        guard case .refused(let refusal)? = error else { throw Failure("not refused") }
        #expect(refusal.code == 20003)
        #expect(refusal.message == "Authenticate")
        #expect(refusal.oauthError == "invalid_client")
    }

    @Test func problemDetailsComeSecond() async throws {
        let error = try await refusal(
            #"{"type":"https://example.com/probs/scope","title":"Forbidden","detail":"scope not granted","status":403}"#,
            status: 403)
        guard case .refused(let refusal)? = error else { throw Failure("not refused") }
        #expect(refusal.message == "Forbidden: scope not granted")
        #expect(refusal.moreInfo == "https://example.com/probs/scope")
        #expect(refusal.status == 403)
    }

    @Test func oauthShapeComesThird() async throws {
        let error = try await refusal(#"{"error":"invalid_grant","error_description":"Refresh token expired"}"#)
        guard case .refused(let refusal)? = error else { throw Failure("not refused") }
        #expect(refusal.oauthError == "invalid_grant")
        #expect(refusal.message == "Refresh token expired")
        #expect(error?.isInvalidGrant == true)
        #expect(error?.message(profile: "acme").contains("run `twvault login acme`") == true)
    }

    @Test func rawTextIsCutAndCleaned() async throws {
        let body = "<html>\u{1B}[31mBad\r\nGateway " + String(repeating: "x", count: 500) + "</html>"
        let error = try await refusal(body, status: 418)
        guard case .refused(let refusal)? = error else { throw Failure("not refused") }
        #expect(refusal.message.hasPrefix("<html> [31mBad Gateway xxx"))
        #expect(refusal.message.count <= 201)
        #expect(!refusal.message.contains("\u{1B}"))
        #expect(error?.description.contains("\n") == false)
    }

    @Test func echoedSecretsAreRedacted() async throws {
        let error = try await refusal(#"{"message":"bad client_secret=\#(Fixture.clientSecret)"}"#)
        #expect(error?.description.contains(Fixture.clientSecret) == false)
        #expect(error?.description.contains("[redacted]") == true)
    }

    @Test func unexpectedRedirectIsMalformed() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(
                Fault(
                    .respond(status: 302, headers: [HeaderField("Location", "https://example.invalid/")], body: ""),
                    target: .path("/v2/token")))
            let error = await #expect(throws: TwilioError.self) {
                try await endpoint(standIn, transport).clientCredentials(
                    clientID: Fixture.clientID, clientSecret: Fixture.clientSecret)
            }
            #expect(error?.kind == .malformedResponse)
            #expect(standIn.tokenRequests().count == 1)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
