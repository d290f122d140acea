import Foundation
import Testing
import TwilioAuth
import TwilioHTTP
import TwilioStandIn

extension RotationSuites {
    /// `rotate`, in process: each rotation kind against the stand-in: afterwards only the new credential
    /// works there, and the vault holds it.
    @Suite struct RotationTests {
        @Test func apiKeyRotationReplacesTheKeyAtTwilioAndInTheVault() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                // No flag: the profile has an API key, so that is what rotates. --verbose shows no secret either.
                let result = await f.call(["rotate", "p", "--verbose"])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("rotated the API key of 'p'"))
                #expect(result.stderr.contains("the old key \(Harness.apiKeySID) was deleted"))

                let variables = try await f.exported()
                let newSID = try #require(variables["TWILIO_API_KEY"])
                #expect(newSID != Harness.apiKeySID)
                #expect(variables["TWILIO_API_SECRET"] != Harness.apiSecret)
                #expect(variables["TWILIO_AUTH_TOKEN"] == Harness.authToken)
                // Only the new key exists at Twilio, with the secret the vault holds.
                #expect(f.account.apiKeys.map(\.sid) == [newSID])
                #expect(try await f.vaultKeyIsAccepted())
                #expect(f.account.apiKeys.first?.friendlyName.hasPrefix("twvault-rotation-") == true)
                #expect((f.account.apiKeys.first?.friendlyName.count ?? 99) <= 64)

                // The calls of DESIGN §6, in order; management with the auth token, the probe with the new key.
                let calls = f.standIn.requests().map { "\($0.method) \($0.path)" }
                let base = "/2010-04-01/Accounts/\(Harness.accountSID)"
                #expect(
                    calls == [
                        "POST \(base)/Keys.json", "GET \(base)/Messages.json",
                        "DELETE \(base)/Keys/\(Harness.apiKeySID).json",
                    ])
                let probe = try #require(f.standIn.requests(to: "\(base)/Messages.json").first)
                #expect(probe.query.contains("PageSize=1"))
                #expect(probe.header("Authorization") == basic(newSID, variables["TWILIO_API_SECRET"] ?? ""))
                let create = try #require(f.standIn.requests(to: "\(base)/Keys.json", method: "POST").first)
                #expect(create.header("Authorization") == basic(Harness.accountSID, Harness.authToken))

                // The age is recorded; nothing is left unfinished.
                let show = try await f.show()
                #expect(((show["credential_age_seconds"] as? [String: Int])?["api_key"] ?? 999) < 120)
                #expect(show["unfinished_rotation"] == nil)
                #expect(await f.call(["verify"]).status == 0)
                f.expectNoSecrets([result.stdout, result.stderr])
            }
        }

        @Test func authTokenRotationPromotesTheSecondary() async throws {
            try await RotationFixture.with(.authToken) { f async throws in
                let result = await f.call(["rotate", "p", "--auth-token"])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("rotated the auth token of 'p'"))
                let token = try #require(try await f.exported()["TWILIO_AUTH_TOKEN"])
                #expect(token != Harness.authToken)
                // Only the new token works at the stand-in: it is the primary, and there is no secondary.
                #expect(f.account.authToken == token)
                #expect(f.account.secondaryAuthToken == nil)
                let calls = f.standIn.requests().map { "\($0.method) \($0.path)" }
                #expect(
                    calls == [
                        "POST /v1/AuthTokens/Secondary", "GET /2010-04-01/Accounts/\(Harness.accountSID).json",
                        "POST /v1/AuthTokens/Promote",
                    ])
                let fetch = try #require(
                    f.standIn.requests(to: "/2010-04-01/Accounts/\(Harness.accountSID).json").first)
                #expect(fetch.header("Authorization") == basic(Harness.accountSID, token))
                // Promotion authenticates with the primary (old) token, as in Twilio's examples.
                let promote = try #require(f.standIn.requests(to: "/v1/AuthTokens/Promote").first)
                #expect(promote.header("Authorization") == basic(Harness.accountSID, Harness.authToken))
                #expect(((try await f.show()["credential_age_seconds"] as? [String: Int])?["auth_token"] ?? 999) < 120)
                #expect(await f.call(["verify"]).status == 0)
                f.expectNoSecrets([result.stdout, result.stderr])

                // The new token manages the account from now on: a second rotation works.
                #expect(await f.call(["rotate", "p", "--auth-token"]).status == 0)
                #expect(f.account.authToken == (try await f.exported()["TWILIO_AUTH_TOKEN"]))
            }
        }

        @Test func refreshTokenRotationStoresTheNewTokenFirst() async throws {
            try await RotationFixture.with(.refreshToken) { f async throws in
                // No API key: the default is the refresh token.
                let result = await f.call(["rotate", "p"])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("rotated the refresh token of 'p'"))
                let grants = f.standIn.requests(to: "/v2/token").map(\.formDictionary)
                #expect(grants.count == 1)
                #expect(grants.first?["grant_type"] == "refresh_token")
                let old = try #require(grants.first?["refresh_token"])

                // The vault presents the new refresh token next, and it works.
                let again = await f.call(["rotate", "p", "--refresh-token"])
                #expect(again.status == 0, "\(again.stderr)")
                let presented = f.standIn.requests(to: "/v2/token").compactMap { $0.formDictionary["refresh_token"] }
                #expect(presented.count == 2)
                #expect(presented.last != old)
                // The old one no longer works.
                let transport = NIOHTTPTransport()
                let endpoint = TokenEndpoint(url: f.standIn.baseURL + "/v2/token", transport: transport)
                await #expect(throws: TwilioError.self) {
                    _ = try await endpoint.refresh(refreshToken: old, clientID: Harness.clientID)
                }
                await transport.shutdown()
                #expect(
                    ((try await f.show()["credential_age_seconds"] as? [String: Int])?["refresh_token"] ?? 999) < 120)
                f.expectNoSecrets([result.stdout, result.stderr, again.stderr], extra: presented)
            }
        }

        @Test func clientSecretRotationVerifiesThenKeepsThePrevious() async throws {
            try await RotationFixture.with(.clientSecret) { f async throws in
                // The console issued a new secret and revoked the old one.
                f.standIn.register(StandInClient(id: Harness.clientID, secret: RotationFixture.newClientSecret))
                var result = await f.call(
                    ["rotate", "p", "--client-secret", "--from-env"],
                    env: ["TWILIO_CLIENT_SECRET": RotationFixture.newClientSecret])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("rotated the client secret of 'p'"))
                let check = try #require(f.standIn.requests(to: "/v2/token").first)
                #expect(check.formDictionary["grant_type"] == "client_credentials")
                #expect(check.formDictionary["client_secret"] == RotationFixture.newClientSecret)
                #expect(try await f.exported()["TWILIO_CLIENT_SECRET"] == RotationFixture.newClientSecret)
                #expect(
                    ((try await f.show()["credential_age_seconds"] as? [String: Int])?["client_secret"] ?? 999) < 120)
                var outputs = [result.stdout, result.stderr]

                // A secret the endpoint refuses is not stored: 69, and the current one stays.
                result = await f.call(
                    ["rotate", "p", "--client-secret", "--from-env"], env: ["TWILIO_CLIENT_SECRET": "wrong-secret-1234"]
                )
                #expect(result.status == 69)
                #expect(result.stderr.contains("did not accept the new client secret"))
                #expect(result.stderr.contains("the current secret stays"))
                #expect(try await f.exported()["TWILIO_CLIENT_SECRET"] == RotationFixture.newClientSecret)
                outputs += [result.stdout, result.stderr]

                // From stdin, as NAME=value (here single-quoted); other names are refused.
                let third = "client-secret-third-'quoted'-77"
                f.standIn.register(StandInClient(id: Harness.clientID, secret: third))
                result = await f.call(
                    ["rotate", "p", "--client-secret", "--stdin"],
                    stdin: "TWILIO_CLIENT_SECRET='client-secret-third-'\\''quoted'\\''-77'\n")
                #expect(result.status == 0, "\(result.stderr)")
                #expect(try await f.exported()["TWILIO_CLIENT_SECRET"] == third)
                outputs += [result.stdout, result.stderr]
                result = await f.call(["rotate", "p", "--client-secret", "--stdin"], stdin: "TWILIO_AUTH_TOKEN=x\n")
                #expect(result.status == 65)
                #expect(try await f.exported()["TWILIO_CLIENT_SECRET"] == third)

                // No secret source: no terminal here, so 77 at once.
                result = await f.call(["rotate", "p", "--client-secret"])
                #expect(result.status == 77)
                result = await f.call(["rotate", "p", "--client-secret", "--from-env"])
                #expect(result.status == 64)
                f.expectNoSecrets(outputs + [result.stderr], extra: ["wrong-secret-1234", third])
            }
        }

        @Test func usageErrors() async throws {
            try await RotationFixture.with(.authToken) { f async throws in
                #expect(await f.call(["rotate", "p", "--api-key", "--auth-token"]).status == 64)
                #expect(await f.call(["rotate", "p", "--resume", "--api-key"]).status == 64)
                #expect(await f.call(["rotate", "p", "--api-key", "--from-env"]).status == 64)
                // No API key to rotate, and no refresh token for the default.
                #expect(await f.call(["rotate", "p", "--api-key"]).status == 64)
                #expect(await f.call(["rotate", "p"]).status == 64)
                #expect(await f.call(["rotate", "nobody", "--auth-token"]).status == 66)
                let resume = await f.call(["rotate", "p", "--resume"])
                #expect(resume.status == 0)
                #expect(resume.stderr.contains("no unfinished rotation"))
                #expect(f.standIn.requests().isEmpty)
            }
        }

        func basic(_ user: String, _ password: String) -> String {
            "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
    }
}

extension RotationSuites {
    /// `rotate`, in process: a step that fails (5xx, 401, verification refused) leaves the old credential current and
    /// working, exits with the code of DESIGN §2, and says what state Twilio is in.
    @Suite struct RotationFailureTests {
        struct Case: Sendable, CustomStringConvertible {
            var step: StandInStep
            var status: Int
            var exitCode: Int32
            var says: [String]
            var description: String { "\(step.rawValue) \(status)" }
        }

        static let apiKeyCases = [
            Case(
                step: .createKey, status: 500, exitCode: 75,
                says: [
                    "could not create a new API key", "Twilio holds no key from it",
                    "\(Harness.apiKeySID) stays current",
                ]),
            Case(
                step: .createKey, status: 401, exitCode: 69,
                says: [
                    "could not create a new API key", "nothing changed at Twilio", "\(Harness.apiKeySID) stays current",
                ]),
            Case(
                step: .probeMessages, status: 401, exitCode: 69,
                says: [
                    "was created but could not be verified", "it was deleted and \(Harness.apiKeySID) stays current",
                ]),
            Case(
                step: .probeMessages, status: 503, exitCode: 75,
                says: [
                    "was created but could not be verified", "it was deleted and \(Harness.apiKeySID) stays current",
                ]),
        ]

        @Test(arguments: apiKeyCases)
        func failedAPIKeyStepKeepsTheOldKey(_ failure: Case) async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                f.standIn.failStep(failure.step, status: failure.status)
                let result = await f.call(["rotate", "p", "--api-key"])
                #expect(result.status == failure.exitCode, "\(result.stderr)")
                for phrase in failure.says { #expect(result.stderr.contains(phrase), "\(result.stderr)") }
                #expect(linesBesideEndpointWarnings(result.stderr).count == 1, "\(result.stderr)")
                // Keys are managed through the REST API alone: one warning, naming its variable.
                #expect(
                    endpointWarnings(result.stderr) == [
                        "twvault: warning: sending credentials to \(f.standInHost) (TWVAULT_API_URL), not Twilio"
                    ])
                // Old key current and working; nothing left at Twilio; nothing pending.
                #expect(try await f.exported()["TWILIO_API_KEY"] == Harness.apiKeySID)
                #expect(try await f.vaultKeyIsAccepted())
                #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
                #expect(try await f.show()["unfinished_rotation"] == nil)
                #expect(await f.call(["verify"]).status == 0)
                f.expectNoSecrets([result.stdout, result.stderr])
            }
        }

        @Test func unverifiedKeyThatCannotBeDeletedIsLeftForResume() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                f.standIn.failStep(.probeMessages, status: 401)
                f.standIn.failStep(.deleteKey, status: 500)
                let result = await f.call(["rotate", "p", "--api-key"])
                #expect(result.status == 69, "\(result.stderr)")
                let newSID = try #require(f.account.apiKeys.map(\.sid).first { $0 != Harness.apiKeySID })
                #expect(
                    result.stderr.contains("the new API key \(newSID) of 'p' was created but could not be verified"))
                #expect(result.stderr.contains("could not be deleted"))
                #expect(result.stderr.contains("run `twvault rotate p --resume`"))
                #expect(try await f.exported()["TWILIO_API_KEY"] == Harness.apiKeySID)
                #expect((try await f.show()["unfinished_rotation"] as? [String: String])?["step"] == "abandoning")

                let resumed = await f.call(["rotate", "p", "--resume"])
                #expect(resumed.status == 0, "\(resumed.stderr)")
                #expect(resumed.stderr.contains("deleted the unverified API key \(newSID)"))
                #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
                #expect(try await f.show()["unfinished_rotation"] == nil)
                f.expectNoSecrets([result.stderr, resumed.stderr])
            }
        }

        @Test func oldKeyThatCannotBeDeletedIsLeftForResume() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                f.standIn.inject(
                    Fault(
                        .status(503),
                        target: .path("/2010-04-01/Accounts/\(Harness.accountSID)/Keys/\(Harness.apiKeySID).json")))
                let result = await f.call(["rotate", "p", "--api-key"])
                #expect(result.status == 75, "\(result.stderr)")
                let newSID = try #require(try await f.exported()["TWILIO_API_KEY"])
                #expect(newSID != Harness.apiKeySID)
                #expect(
                    result.stderr.contains(
                        "the new API key \(newSID) of 'p' is current, but the old key \(Harness.apiKeySID) could not be deleted"
                    ))
                #expect(result.stderr.contains("run `twvault rotate p --resume`"))
                // The new key is current and works.
                #expect(try await f.vaultKeyIsAccepted())
                let resumed = await f.call(["rotate", "p", "--resume"])
                #expect(resumed.status == 0, "\(resumed.stderr)")
                #expect(f.account.apiKeys.map(\.sid) == [newSID])
                f.expectNoSecrets([result.stderr, resumed.stderr])
            }
        }

        /// A plain rotate after that finishes the interrupted rotation and stops there: it already
        /// produced the fresh key that was asked for.
        @Test func plainRotateAfterAFailedOldKeyDeleteDoesNotRotateTwice() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                f.standIn.failStep(.deleteKey, status: 500)
                #expect(await f.call(["rotate", "p"]).status == 75)
                let newSID = try #require(try await f.exported()["TWILIO_API_KEY"])
                let result = await f.call(["rotate", "p", "--api-key"])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("finished an interrupted rotation"))
                #expect(try await f.exported()["TWILIO_API_KEY"] == newSID)
                #expect(f.account.apiKeys.map(\.sid) == [newSID])
            }
        }

        static let authTokenCases = [
            Case(
                step: .createSecondary, status: 500, exitCode: 75,
                says: [
                    "could not create a new auth token", "Twilio holds no secondary token",
                    "the old token stays current",
                ]),
            Case(
                step: .createSecondary, status: 401, exitCode: 69,
                says: ["could not create a new auth token", "nothing changed at Twilio"]),
            Case(
                step: .fetchAccount, status: 401, exitCode: 69,
                says: ["could not be verified", "it was deleted and the old token stays current"]),
            Case(
                step: .fetchAccount, status: 500, exitCode: 75,
                says: ["could not be verified", "it was deleted and the old token stays current"]),
            Case(
                step: .promote, status: 500, exitCode: 75,
                says: [
                    "Twilio did not promote the new auth token",
                    "the new token was deleted and the old one stays current",
                ]),
            Case(
                step: .promote, status: 403, exitCode: 69,
                says: ["Twilio did not promote the new auth token", "the old one stays current"]),
        ]

        @Test(arguments: authTokenCases)
        func failedAuthTokenStepKeepsTheOldToken(_ failure: Case) async throws {
            try await RotationFixture.with(.authToken) { f async throws in
                f.standIn.failStep(failure.step, status: failure.status)
                let result = await f.call(["rotate", "p", "--auth-token"])
                #expect(result.status == failure.exitCode, "\(result.stderr)")
                for phrase in failure.says { #expect(result.stderr.contains(phrase), "\(result.stderr)") }
                #expect(linesBesideEndpointWarnings(result.stderr).count == 1, "\(result.stderr)")
                // The Accounts API first (the secondary token), then maybe the REST API: one
                // warning for each variable contacted, never two for one.
                let warnings = endpointWarnings(result.stderr)
                #expect(warnings.first?.contains("(TWVAULT_ACCOUNTS_URL)") == true, "\(result.stderr)")
                #expect(Set(warnings).count == warnings.count)
                #expect(warnings.allSatisfy { $0.contains(" to \(f.standInHost) (") })
                #expect(try await f.exported()["TWILIO_AUTH_TOKEN"] == Harness.authToken)
                #expect(f.account.authToken == Harness.authToken)
                #expect(f.account.secondaryAuthToken == nil)
                #expect(try await f.show()["unfinished_rotation"] == nil)
                #expect(await f.call(["verify"]).status == 0)
                f.expectNoSecrets([result.stdout, result.stderr])
            }
        }

        /// An unreadable promotion answer: whether Twilio promoted is decided by the old token,
        /// which still works here, so the rotation is undone. (The opposite case, promoted with the
        /// answer lost, is the crash at `auth-token-promote`.)
        @Test func unreadablePromotionAnswerIsCheckedAgainstTheOldToken() async throws {
            try await RotationFixture.with(.authToken) { f async throws in
                f.standIn.inject(Fault(.malformedJSON, target: .step(.promote)))
                let result = await f.call(["rotate", "p", "--auth-token"])
                #expect(result.status == 76, "\(result.stderr)")
                #expect(result.stderr.contains("Twilio did not promote"))
                #expect(f.account.authToken == Harness.authToken)
                #expect(f.account.secondaryAuthToken == nil)
                #expect(try await f.exported()["TWILIO_AUTH_TOKEN"] == Harness.authToken)
            }
        }
    }
}
