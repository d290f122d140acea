import Foundation
import Testing
import TwilioAuth
import TwilioStandIn

/// Twilio's RFC 2822 dates and `GET …/Keys/{SK}.json`, which `--check` asks for a key's age.
@Suite struct TwilioDateTests {
    @Test func twilioDatesDecode() {
        #expect(TwilioDate.seconds("Mon, 16 Aug 2010 03:45:01 +0000") == 1_281_930_301)
        #expect(TwilioDate.seconds("16 Aug 2010 03:45:01 +0000") == 1_281_930_301)
        #expect(TwilioDate.seconds("Mon, 16 Aug 2010 03:45:01 GMT") == 1_281_930_301)
        // A zone west of UTC is later in UTC; a leap day.
        #expect(TwilioDate.seconds("Thu, 29 Feb 2024 23:59:59 -0130") == 1_709_256_599)
        #expect(TwilioDate.seconds("Fri, 01 Jan 1970 00:00:00 +0100") == -3600)
    }

    @Test(arguments: [
        "", "2010-08-16T03:45:01Z", "Mon, 16 Aug 2010 03:45:01", "Mon, 16 Foo 2010 03:45:01 +0000",
        "Mon, 32 Aug 2010 03:45:01 +0000", "Mon, 16 Aug 2010 24:00:00 +0000", "Mon, 16 Aug 2010 3:45:01 +0000",
        "Mon, 16 Aug 10 03:45:01 +0000", "Mon, 16 Aug 2010 03:45:01 +2400", "Mon, 16 Aug 2010 03:45:01 +00a0",
        "Monday, 16 Aug 2010 03:45:01 +0000", "Mon, 16 Aug 2010 03:45:01 +0000 extra",
        "Mon, 16 Aug 1969 03:45:01 +0000",
        "Mon, 16 Aug 2010 03:45 +0000",
    ])
    func otherTextIsNoDate(_ text: String) {
        #expect(TwilioDate.seconds(text) == nil)
    }
}

@Suite struct FetchAPIKeyTests {
    static let created = Date(timeIntervalSince1970: 1_281_930_301)
    static let mainKeySID = "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    static let mainKeySecret = "main-key-secret-9876543210"

    func configure(_ configuration: inout StandInConfiguration) {
        configuration.accounts[0].apiKeys = [
            StandInAPIKey(
                sid: Fixture.keySID, secret: Fixture.keySecret, friendlyName: "existing", dateCreated: Self.created),
            StandInAPIKey(
                sid: Self.mainKeySID, secret: Self.mainKeySecret, friendlyName: "main",
                dateCreated: Date(timeIntervalSince1970: 1_600_000_000), isMain: true),
        ]
    }

    @Test func theAuthTokenReadsAKeysCreationDate() async throws {
        try await withStandIn(configure: configure) { standIn, transport in
            let key = try await api(standIn, transport).fetchAPIKey(sid: Fixture.keySID)
            #expect(key.sid == Fixture.keySID && key.friendlyName == "existing")
            #expect(key.dateCreated == "Mon, 16 Aug 2010 03:45:01 +0000")
            #expect(key.createdAt == 1_281_930_301)
            let request = try #require(
                standIn.requests(to: "/2010-04-01/Accounts/\(Fixture.accountSID)/Keys/\(Fixture.keySID).json").first)
            #expect(request.method == "GET" && request.header("Authorization") == basicAuthToken)
        }
    }

    @Test func aMainKeyReadsItselfAStandardKeyIsRefused() async throws {
        try await withStandIn(configure: configure) { standIn, transport in
            let main = api(standIn, transport, username: Self.mainKeySID, password: Self.mainKeySecret)
            let itself = try await main.fetchAPIKey(sid: Self.mainKeySID)
            #expect(itself.createdAt == 1_600_000_000)
            let standard = api(standIn, transport, username: Fixture.keySID, password: Fixture.keySecret)
            let error = await #expect(throws: TwilioError.self) { try await standard.fetchAPIKey(sid: Fixture.keySID) }
            #expect(error?.kind == .refused)
            let missing = await #expect(throws: TwilioError.self) {
                try await api(standIn, transport).fetchAPIKey(sid: "SKcccccccccccccccccccccccccccccccc")
            }
            #expect(missing?.kind == .refused)
        }
    }

    @Test(arguments: [
        #"{"sid":"SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","friendly_name":"x"}"#,
        #"{"sid":"SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","date_created":"2010-08-16T03:45:01Z"}"#,
        #"{"sid":"SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","date_created":1281930301}"#,
        #"{"sid":"SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","date_created":"Mon, 16 Aug 2010 03:45:01 +0000"}"#,
        #"["Mon, 16 Aug 2010 03:45:01 +0000"]"#,
    ])
    func anAnswerWithoutTheKeysDateIsMalformed(_ body: String) async throws {
        try await withStandIn { standIn, transport in
            standIn.inject(Fault(.respond(status: 200, headers: [], body: body), target: .step(.fetchKey)))
            let error = await #expect(throws: TwilioError.self) {
                try await api(standIn, transport).fetchAPIKey(sid: Fixture.keySID)
            }
            #expect(error?.kind == .malformedResponse)
        }
    }
}
