import Foundation
import Testing
import TwilioAuth
import TwilioStandIn

extension RotationSuites {
    /// Each rotation kind end to end against the stand-in: afterwards only the new credential
    /// works there, and the vault holds it.
    @Suite struct RotationTests {
        @Test func apiKeyRotationReplacesTheKeyAtTwilioAndInTheVault() async throws {
            let f = try await RotationFixture.start(.apiKey)
            defer { Task { await f.shutdown() } }
            // No flag: the profile has an API key, so that is what rotates. --verbose shows no secret either.
            let result = try await f.run(["rotate", "p", "--verbose"])
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
            #expect(try await f.run(["verify"]).status == 0)
            f.expectNoSecrets([result.stdout, result.stderr])
        }

        @Test func authTokenRotationPromotesTheSecondary() async throws {
            let f = try await RotationFixture.start(.authToken)
            defer { Task { await f.shutdown() } }
            let result = try await f.run(["rotate", "p", "--auth-token"])
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
            let fetch = try #require(f.standIn.requests(to: "/2010-04-01/Accounts/\(Harness.accountSID).json").first)
            #expect(fetch.header("Authorization") == basic(Harness.accountSID, token))
            // Promotion authenticates with the primary (old) token, as in Twilio's examples.
            let promote = try #require(f.standIn.requests(to: "/v1/AuthTokens/Promote").first)
            #expect(promote.header("Authorization") == basic(Harness.accountSID, Harness.authToken))
            #expect(((try await f.show()["credential_age_seconds"] as? [String: Int])?["auth_token"] ?? 999) < 120)
            #expect(try await f.run(["verify"]).status == 0)
            f.expectNoSecrets([result.stdout, result.stderr])

            // The new token manages the account from now on: a second rotation works.
            #expect(try await f.run(["rotate", "p", "--auth-token"]).status == 0)
            #expect(f.account.authToken == (try await f.exported()["TWILIO_AUTH_TOKEN"]))
        }

        @Test func refreshTokenRotationStoresTheNewTokenFirst() async throws {
            let f = try await RotationFixture.start(.refreshToken)
            defer { Task { await f.shutdown() } }
            // No API key: the default is the refresh token.
            let result = try await f.run(["rotate", "p"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("rotated the refresh token of 'p'"))
            let grants = f.standIn.requests(to: "/v2/token").map(\.formDictionary)
            #expect(grants.count == 1)
            #expect(grants.first?["grant_type"] == "refresh_token")
            let old = try #require(grants.first?["refresh_token"])

            // The vault presents the new refresh token next, and it works.
            let again = try await f.run(["rotate", "p", "--refresh-token"])
            #expect(again.status == 0, "\(again.stderr)")
            let presented = f.standIn.requests(to: "/v2/token").compactMap { $0.formDictionary["refresh_token"] }
            #expect(presented.count == 2)
            #expect(presented.last != old)
            // The old one no longer works.
            let transport = AsyncHTTPTransport()
            let endpoint = TokenEndpoint(url: f.standIn.baseURL + "/v2/token", transport: transport)
            await #expect(throws: TwilioError.self) {
                _ = try await endpoint.refresh(refreshToken: old, clientID: Harness.clientID)
            }
            await transport.shutdown()
            #expect(((try await f.show()["credential_age_seconds"] as? [String: Int])?["refresh_token"] ?? 999) < 120)
            f.expectNoSecrets([result.stdout, result.stderr, again.stderr], extra: presented)
        }

        @Test func clientSecretRotationVerifiesThenKeepsThePrevious() async throws {
            let f = try await RotationFixture.start(.clientSecret)
            defer { Task { await f.shutdown() } }
            // The console issued a new secret and revoked the old one.
            f.standIn.register(StandInClient(id: Harness.clientID, secret: RotationFixture.newClientSecret))
            var result = try await f.run(
                ["rotate", "p", "--client-secret", "--from-env"],
                env: ["TWILIO_CLIENT_SECRET": RotationFixture.newClientSecret])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("rotated the client secret of 'p'"))
            let check = try #require(f.standIn.requests(to: "/v2/token").first)
            #expect(check.formDictionary["grant_type"] == "client_credentials")
            #expect(check.formDictionary["client_secret"] == RotationFixture.newClientSecret)
            #expect(try await f.exported()["TWILIO_CLIENT_SECRET"] == RotationFixture.newClientSecret)
            #expect(((try await f.show()["credential_age_seconds"] as? [String: Int])?["client_secret"] ?? 999) < 120)
            var outputs = [result.stdout, result.stderr]

            // A secret the endpoint refuses is not stored: 69, and the current one stays.
            result = try await f.run(
                ["rotate", "p", "--client-secret", "--from-env"], env: ["TWILIO_CLIENT_SECRET": "wrong-secret-1234"])
            #expect(result.status == 69)
            #expect(result.stderr.contains("did not accept the new client secret"))
            #expect(result.stderr.contains("the current secret stays"))
            #expect(try await f.exported()["TWILIO_CLIENT_SECRET"] == RotationFixture.newClientSecret)
            outputs += [result.stdout, result.stderr]

            // From stdin, as NAME=value (here single-quoted); other names are refused.
            let third = "client-secret-third-'quoted'-77"
            f.standIn.register(StandInClient(id: Harness.clientID, secret: third))
            result = try await f.run(
                ["rotate", "p", "--client-secret", "--stdin"],
                stdin: "TWILIO_CLIENT_SECRET='client-secret-third-'\\''quoted'\\''-77'\n")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try await f.exported()["TWILIO_CLIENT_SECRET"] == third)
            outputs += [result.stdout, result.stderr]
            result = try await f.run(["rotate", "p", "--client-secret", "--stdin"], stdin: "TWILIO_AUTH_TOKEN=x\n")
            #expect(result.status == 65)
            #expect(try await f.exported()["TWILIO_CLIENT_SECRET"] == third)

            // No secret source: no terminal here, so 77 at once.
            result = try await f.run(["rotate", "p", "--client-secret"])
            #expect(result.status == 77)
            result = try await f.run(["rotate", "p", "--client-secret", "--from-env"])
            #expect(result.status == 64)
            f.expectNoSecrets(outputs + [result.stderr], extra: ["wrong-secret-1234", third])
        }

        @Test func usageErrors() async throws {
            let f = try await RotationFixture.start(.authToken)
            defer { Task { await f.shutdown() } }
            #expect(try await f.run(["rotate", "p", "--api-key", "--auth-token"]).status == 64)
            #expect(try await f.run(["rotate", "p", "--resume", "--api-key"]).status == 64)
            #expect(try await f.run(["rotate", "p", "--api-key", "--from-env"]).status == 64)
            // No API key to rotate, and no refresh token for the default.
            #expect(try await f.run(["rotate", "p", "--api-key"]).status == 64)
            #expect(try await f.run(["rotate", "p"]).status == 64)
            #expect(try await f.run(["rotate", "nobody", "--auth-token"]).status == 66)
            let resume = try await f.run(["rotate", "p", "--resume"])
            #expect(resume.status == 0)
            #expect(resume.stderr.contains("no unfinished rotation"))
            #expect(f.standIn.requests().isEmpty)
        }

        func basic(_ user: String, _ password: String) -> String {
            "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
    }
}
