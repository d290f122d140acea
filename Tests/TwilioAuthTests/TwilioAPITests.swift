import Foundation
import Testing
import TwilioAuth
import TwilioHTTP
import TwilioStandIn

func api(
    _ standIn: TwilioStandIn, _ transport: NIOHTTPTransport, username: String = Fixture.accountSID,
    password: String = Fixture.authToken
) -> TwilioAPI {
    TwilioAPI(
        accountSID: Fixture.accountSID, credentials: BasicCredentials(username: username, password: password),
        transport: transport, apiBaseURL: standIn.baseURL, accountsBaseURL: standIn.baseURL + "/")
}

let basicAuthToken = "Basic " + Data("\(Fixture.accountSID):\(Fixture.authToken)".utf8).base64EncodedString()
let keysPath = "/2010-04-01/Accounts/\(Fixture.accountSID)/Keys.json"

@Suite struct APIKeyTests {
    @Test func createAPIKey() async throws {
        try await withStandIn { standIn, transport in
            let key = try await api(standIn, transport).createAPIKey(friendlyName: "twvault rotation 7f3a")
            #expect(key.sid.hasPrefix("SK") && key.sid.count == 34)
            #expect(!key.secret.isEmpty)
            #expect(key.friendlyName == "twvault rotation 7f3a")
            #expect(!String(describing: key).contains(key.secret))
            let request = try #require(standIn.requests(to: keysPath, method: "POST").first)
            #expect(request.bodyText == "FriendlyName=twvault%20rotation%207f3a")
            #expect(request.header("Authorization") == basicAuthToken)
            #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
            let stored = standIn.account(Fixture.accountSID)?.apiKeys.last
            #expect(stored?.sid == key.sid && stored?.secret == key.secret && stored?.friendlyName == key.friendlyName)
        }
    }

    @Test func listAPIKeysFollowsPages() async throws {
        try await withStandIn { standIn, transport in
            standIn.configure { $0.listPageSize = 2 }
            let client = api(standIn, transport)
            var created: [String] = []
            for index in 0..<4 { created.append(try await client.createAPIKey(friendlyName: "k\(index)").sid) }
            let keys = try await client.listAPIKeys()
            #expect(keys.map(\.sid) == [Fixture.keySID] + created)
            #expect(keys.map(\.friendlyName) == ["existing", "k0", "k1", "k2", "k3"])
            let pages = standIn.requests(to: keysPath, method: "GET")
            #expect(pages.count == 3)
            #expect(pages.first?.query == "")
            #expect(pages.last?.query.contains("Page=2") == true)
        }
    }

    @Test func listAPIKeysRefusesAPageLinkElsewhere() async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(
                Fault(
                    .respond(
                        status: 200, headers: [],
                        body: #"{"keys":[],"next_page_uri":"/2010-04-01/Accounts/ACother/Keys.json?Page=1"}"#),
                    target: .step(.listKeys)))
            let error = await #expect(throws: TwilioError.self) { try await api(standIn, transport).listAPIKeys() }
            #expect(error?.kind == .malformedResponse)
        }
    }

    @Test func deleteAPIKeyTreats404AsGone() async throws {
        try await withStandIn { standIn, transport in
            let client = api(standIn, transport)
            let first = try await client.deleteAPIKey(sid: Fixture.keySID)
            #expect(first == .deleted)
            #expect(standIn.account(Fixture.accountSID)?.apiKeys.isEmpty == true)
            let second = try await client.deleteAPIKey(sid: Fixture.keySID)
            #expect(second == .alreadyGone)
            let requests = standIn.requests(
                to: "/2010-04-01/Accounts/\(Fixture.accountSID)/Keys/\(Fixture.keySID).json")
            #expect(requests.map(\.method) == ["DELETE", "DELETE"])
            #expect(requests.allSatisfy { $0.body.isEmpty && $0.header("Authorization") == basicAuthToken })
        }
    }

    @Test func anAPIKeyCanProbeButNotManageKeys() async throws {
        try await withStandIn { standIn, transport in
            let client = api(standIn, transport, username: Fixture.keySID, password: Fixture.keySecret)
            try await client.probeMessages()
            let account = try await client.fetchAccount()
            #expect(account.sid == Fixture.accountSID)
            let probe = try #require(
                standIn.requests(to: "/2010-04-01/Accounts/\(Fixture.accountSID)/Messages.json").first)
            #expect(probe.method == "GET" && probe.query == "PageSize=1")
            let error = await #expect(throws: TwilioError.self) { try await client.createAPIKey(friendlyName: "x") }
            #expect(error?.kind == .refused)
        }
    }

    @Test func wrongCredentialsAreRefused() async throws {
        try await withStandIn { standIn, transport in
            let client = api(standIn, transport, password: "not-the-token")
            let error = await #expect(throws: TwilioError.self) { try await client.fetchAccount() }
            guard case .refused(let refusal)? = error else {
                Issue.record("expected refusal, got \(String(describing: error))")
                return
            }
            #expect(refusal.status == 401 && refusal.code == 20003)
            #expect(error?.kind == .refused)
            #expect(error?.description.contains("not-the-token") == false)
        }
    }

    @Test func aFailedStepIsTemporary() async throws {
        try await withStandIn { standIn, transport in
            standIn.failStep(.probeMessages, status: 503)
            let client = api(standIn, transport)
            let error = await #expect(throws: TwilioError.self) { try await client.probeMessages() }
            #expect(error?.kind == .temporary)
            try await client.probeMessages() // the fault was for one request
        }
    }

    @Test func fetchAccountIgnoresTheReturnedAuthToken() async throws {
        try await withStandIn { standIn, transport in
            let account = try await api(standIn, transport).fetchAccount()
            #expect(
                account
                    == AccountInfo(
                        sid: Fixture.accountSID, friendlyName: "Stand-in account", status: "active", type: "Full"))
            let request = try #require(standIn.requests(to: "/2010-04-01/Accounts/\(Fixture.accountSID).json").first)
            #expect(request.method == "GET" && request.body.isEmpty && request.header("Content-Type") == nil)
        }
    }
}

@Suite struct AuthTokenTests {
    @Test func secondaryIsUsableThenPromoted() async throws {
        try await withStandIn { standIn, transport in
            let secondary = try await api(standIn, transport).createSecondaryAuthToken()
            #expect(standIn.account(Fixture.accountSID)?.secondaryAuthToken == secondary)
            let create = try #require(standIn.requests(to: "/v1/AuthTokens/Secondary").first)
            #expect(create.method == "POST" && create.header("Authorization") == basicAuthToken)

            // The secondary works before promotion, the primary too.
            _ = try await api(standIn, transport, password: secondary).fetchAccount()
            _ = try await api(standIn, transport).fetchAccount()

            let promoted = try await api(standIn, transport).promoteSecondaryAuthToken(
                primaryAuthToken: Fixture.authToken)
            #expect(promoted == secondary)
            let promote = try #require(standIn.requests(to: "/v1/AuthTokens/Promote", method: "POST").first)
            #expect(standIn.requests(to: "/v1/AuthTokens/Promote").count == 1)
            // Authenticated as Twilio's examples do: the account SID and the primary token.
            #expect(promote.header("Authorization") == basicAuthToken)
            let account = try #require(standIn.account(Fixture.accountSID))
            #expect(account.authToken == secondary && account.secondaryAuthToken == nil)

            // The old primary no longer works; the new one does.
            let error = await #expect(throws: TwilioError.self) { try await api(standIn, transport).fetchAccount() }
            #expect(error?.kind == .refused)
            _ = try await api(standIn, transport, password: promoted).fetchAccount()
        }
    }

    @Test func deleteSecondaryTreats404AsGone() async throws {
        try await withStandIn { standIn, transport in
            let client = api(standIn, transport)
            let secondary = try await client.createSecondaryAuthToken()
            let first = try await client.deleteSecondaryAuthToken()
            #expect(first == .deleted)
            let second = try await client.deleteSecondaryAuthToken()
            #expect(second == .alreadyGone)
            let error = await #expect(throws: TwilioError.self) {
                try await api(standIn, transport, password: secondary).fetchAccount()
            }
            #expect(error?.kind == .refused)
        }
    }

    @Test func promotionTakesThePrimaryWhateverTheClientWasBuiltWith() async throws {
        try await withStandIn { standIn, transport in
            let secondary = try await api(standIn, transport).createSecondaryAuthToken()
            // A client built on the secondary (as one that just verified it) still promotes as the primary.
            let promoted = try await api(standIn, transport, password: secondary).promoteSecondaryAuthToken(
                primaryAuthToken: Fixture.authToken)
            #expect(promoted == secondary)
            let promote = try #require(standIn.requests(to: "/v1/AuthTokens/Promote").first)
            #expect(promote.header("Authorization") == basicAuthToken)
        }
    }

    @Test func theStandInRefusesAuthTokenCallsMadeWithTheSecondary() async throws {
        try await withStandIn { standIn, transport in
            let secondary = try await api(standIn, transport).createSecondaryAuthToken()
            let withSecondary = api(standIn, transport, password: secondary)
            let promotion = await #expect(throws: TwilioError.self) {
                try await withSecondary.promoteSecondaryAuthToken(primaryAuthToken: secondary)
            }
            guard case .refused(let refusal)? = promotion else {
                Issue.record("expected a refusal, got \(String(describing: promotion))")
                return
            }
            #expect(refusal.status == 401)
            #expect(!(promotion?.description.contains(secondary) ?? true))
            let creation = await #expect(throws: TwilioError.self) {
                try await withSecondary.createSecondaryAuthToken()
            }
            #expect(creation?.kind == .refused)
            let deletion = await #expect(throws: TwilioError.self) {
                try await withSecondary.deleteSecondaryAuthToken()
            }
            #expect(deletion?.kind == .refused)
            // Nothing changed: the primary is still the primary and the secondary still pending.
            let account = try #require(standIn.account(Fixture.accountSID))
            #expect(account.authToken == Fixture.authToken && account.secondaryAuthToken == secondary)
            // The secondary itself still authenticates ordinary calls.
            _ = try await withSecondary.fetchAccount()
        }
    }

    @Test func promoteWithoutSecondaryIsRefused() async throws {
        try await withStandIn { standIn, transport in
            let error = await #expect(throws: TwilioError.self) {
                try await api(standIn, transport).promoteSecondaryAuthToken(primaryAuthToken: Fixture.authToken)
            }
            #expect(error?.kind == .refused)
            #expect(standIn.account(Fixture.accountSID)?.authToken == Fixture.authToken)
        }
    }

    @Test func anotherAccountsTokenIsRefused() async throws {
        try await withStandIn { standIn, transport in
            let client = api(standIn, transport, username: Fixture.otherAccountSID, password: Fixture.otherAuthToken)
            let error = await #expect(throws: TwilioError.self) { try await client.fetchAccount() }
            #expect(error?.kind == .refused)
        }
    }
}
