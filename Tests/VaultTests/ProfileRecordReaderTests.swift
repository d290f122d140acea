import Foundation
import Testing
import VaultCrypto

@testable import Vault

/// `ProfileRecordReader` must read every record the encoder writes exactly as `JSONDecoder` does,
/// and leave everything else to `JSONDecoder`.
@Suite("Profile record reader")
struct ProfileRecordReaderTests {
    /// Strings that exercise every kind of character the encoder writes or escapes.
    static let awkward: [String] = [
        "",
        "plain",
        "it's \"quoted\" \\ back\\slash // slash",
        String((0..<0x20).map { Character(Unicode.Scalar($0)!) }) + "\u{7F}",
        "\u{0}nul inside\u{0}",
        "ü é (precomposed) e\u{301} (combining) 日本語 עברית \u{1F600}\u{1F469}\u{200D}\u{1F4BB}",
        "\u{2028}\u{2029}\u{FEFF}\u{FFFF}\u{10FFFF}",
        "\\u0041 is not an escape here, \\\"neither\\\" is this",
        String(repeating: "long-\u{1F511}-\"\\\n", count: 20_000),
    ]

    static func records() -> [ProfileRecord] {
        var records = [ProfileRecord(createdAt: 0), ProfileRecord(createdAt: .min), ProfileRecord(createdAt: .max)]
        records.append(TestVault.profile(7))
        for (offset, text) in awkward.enumerated() {
            var record = ProfileRecord(createdAt: Int64(offset) - 3)
            record.accountSID = text
            record.authToken = text
            record.apiKeySID = text
            record.apiKeySecret = text
            record.clientID = text
            record.clientSecret = text
            record.refreshToken = text
            record.region = text
            record.edge = text
            record.tokenURL = text
            record.scope = text
            record.audience = text
            record.previousClientSecret = text
            record.credentialTimes = [text: -1, "auth_token": .max, text + "\u{1F600}": .min]
            records.append(record)
            var sparse = ProfileRecord(createdAt: 1_700_000_000)
            sparse.clientSecret = text
            records.append(sparse)
        }
        return records
    }

    static func read(_ json: String) -> ProfileRecord? {
        Array(json.utf8).withUnsafeBytes { ProfileRecordReader.read($0) }
    }

    @Test("every record the encoder writes reads back equal, and equal to JSONDecoder's reading")
    func roundTrip() throws {
        for record in Self.records() {
            let payload = try PayloadCoding.encode(record)
            let fast = payload.withUnsafeBytes { ProfileRecordReader.read($0) }
            #expect(fast == record)
            let slow = try PayloadCoding.decode(ProfileRecord.self, from: payload, what: "test")
            #expect(fast == slow)
        }
    }

    @Test(
        "valid JSON beyond what the encoder writes reads as JSONDecoder reads it",
        arguments: [
            #" { "created_at" : 5 , "region" : null , "edge" : "a\/b\"\\\b\f\n\r\t" } "#,
            #"{"created_at":-12,"scope":"\u00e9\u00E9\ud83d\ude00\u0000\u001f"}"#,
            "{\n\t\"credential_times\": {},\r\n\"created_at\": 0}",
            #"{"credential_times":{"\u0061uth_token":1,"api_key":-2},"created_at":3}"#,
        ])
    func acceptsValidJSON(json: String) throws {
        let fast = try #require(Self.read(json))
        #expect(fast == jsonDecoded(json))
    }

    @Test(
        "anything the reader does not fully understand is left to JSONDecoder",
        arguments: [
            #"{"created_at":1,"colour":"blue"}"#, // unknown key
            #"{"created_at":1,"region":{"nested":true}}"#, // nested value for a string
            #"{"created_at":1,"region":["ie1"]}"#,
            #"{"created_at":1,"region":7}"#,
            #"{"created_at":1,"credential_times":{"api_key":{"at":1}}}"#,
            #"{"created_at":1,"credential_times":null}"#,
            #"{"created_at":1.5}"#, // fraction
            #"{"created_at":1.0}"#,
            #"{"created_at":1e3}"#, // exponent
            #"{"created_at":-0}"#,
            #"{"created_at":01}"#,
            #"{"created_at":9223372036854775808}"#, // beyond Int64
            #"{"created_at":null}"#,
            #"{"region":"ie1"}"#, // no created_at
            #"{}"#,
            #"{"created_at":1,"created_at":2}"#, // duplicates
            #"{"created_at":1,"region":"a","region":"b"}"#,
            #"{"created_at":1,"credential_times":{"api_key":1,"api_key":2}}"#,
            "{\"created_at\":1,\"credential_times\":{\"\u{E9}\":1,\"e\u{301}\":2}}", // equal as Swift strings
            #"{"\u0072egion":"ie1","created_at":1}"#, // escaped key
            #"{"created_at":1,"region":"\ud83d"}"#, // lone surrogate
            #"{"created_at":1,"region":"\ude00"}"#,
            #"{"created_at":1,"region":"\x41"}"#, // unknown escape
            "{\"created_at\":1,\"region\":\"a\u{1}b\"}", // raw control character
            #"{"created_at":1,"region":"ie1""#, // truncated
            #"{"created_at":1,}"#,
            #"{"created_at":1} x"#, // trailing content
            #"[{"created_at":1}]"#,
            "",
            "\u{FEFF}{\"created_at\":1}", // byte order mark
        ])
    func fallsBack(json: String) throws {
        #expect(Self.read(json) == nil)
        try expectJSONDecoderReading(json, what: "profile 'p'") { payload, what throws(VaultError) in
            try PayloadCoding.decodeProfile(payload, what: what)
        }
    }

    @Test("invalid UTF-8 inside a string is left to JSONDecoder")
    func invalidUTF8() {
        for bad: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] {
            let json = Array(#"{"created_at":1,"region":""#.utf8) + bad + Array(#""}"#.utf8)
            #expect(json.withUnsafeBytes { ProfileRecordReader.read($0) } == nil)
        }
    }

    @Test(
        "a vault returns what JSONDecoder reads for a record from another version, and the same error for a broken one")
    func throughTheVault() throws {
        try withTemporaryDirectory { directory in
            let vault = try TestVault.create("\(directory)/vault.db")
            let newer = #"{"account_sid":"AC1","created_at":9,"future_field":{"a":[1,2.5]}}"#
            try vault.write { transaction in
                try transaction.putPayload(
                    SecretBytes(copying: Array(newer.utf8)), profile: "newer", kind: .profile, now: 1)
                try transaction.putPayload(
                    SecretBytes(copying: Array(#"{"created_at":"#.utf8)), profile: "broken", kind: .profile, now: 1)
            }
            var expected = ProfileRecord(createdAt: 9)
            expected.accountSID = "AC1"
            #expect(try vault.profile("newer") == expected)
            #expect(
                vaultError { _ = try vault.profile("broken") }
                    == .corrupt("profile 'broken' authenticates but its contents do not decode"))
        }
    }
}

/// `CachedTokenReader`, held to the same rule for the `token` record.
@Suite("Cached token reader")
struct CachedTokenReaderTests {
    static func read(_ json: String) -> CachedToken? {
        Array(json.utf8).withUnsafeBytes { CachedTokenReader.read($0) }
    }

    @Test("every token the encoder writes reads back equal, and equal to JSONDecoder's reading")
    func roundTrip() throws {
        var tokens = [
            CachedToken(accessToken: "eyJ.a.b", expiresAt: 1_700_003_600, obtainedAt: 1_700_000_000),
            CachedToken(accessToken: "", idToken: "", tokenType: "", scope: "", expiresAt: .min, obtainedAt: .max),
        ]
        for text in ProfileRecordReaderTests.awkward {
            tokens.append(
                CachedToken(
                    accessToken: text, idToken: text, tokenType: text, scope: text, expiresAt: -1, obtainedAt: 0))
        }
        for token in tokens {
            let payload = try PayloadCoding.encode(token)
            let fast = payload.withUnsafeBytes { CachedTokenReader.read($0) }
            #expect(fast == token)
            #expect(fast == (try PayloadCoding.decode(CachedToken.self, from: payload, what: "test")))
        }
    }

    @Test(
        "valid JSON beyond what the encoder writes reads as JSONDecoder reads it",
        arguments: [
            #"{"access_token":"a","token_type":"Bearer","expires_at":2,"obtained_at":1}"#,
            #" { "obtained_at" : 1 , "expires_at" : 2 , "token_type" : "B" , "access_token" : "\u0061" } "#,
            #"{"access_token":"a","token_type":"B","id_token":null,"expires_at":2,"obtained_at":1}"#,
            #"{"access_token":"a","token_type":"B","scope":null,"expires_at":-2,"obtained_at":0}"#,
        ])
    func acceptsValidJSON(json: String) throws {
        let fast = try #require(Self.read(json))
        #expect(fast == jsonDecoded(json))
    }

    @Test(
        "anything the reader does not fully understand is left to JSONDecoder",
        arguments: [
            #"{"token_type":"B","expires_at":2,"obtained_at":1}"#, // no access_token
            #"{"access_token":null,"token_type":"B","expires_at":2,"obtained_at":1}"#,
            #"{"access_token":"a","expires_at":2,"obtained_at":1}"#, // no token_type
            #"{"access_token":"a","token_type":"B","obtained_at":1}"#, // no expires_at
            #"{"access_token":"a","token_type":"B","expires_at":2}"#,
            #"{"access_token":"a","token_type":"B","expires_at":2.5,"obtained_at":1}"#,
            #"{"access_token":"a","token_type":"B","expires_at":"2","obtained_at":1}"#,
            #"{"access_token":"a","token_type":"B","expires_at":2,"obtained_at":1,"refresh":"x"}"#, // unknown key
            #"{"access_token":"a","access_token":"b","token_type":"B","expires_at":2,"obtained_at":1}"#,
            #"{"access_token":"a","token_type":"B","expires_at":2,"expires_at":3,"obtained_at":1}"#,
            #"{"access_token":"a","token_type":"B","expires_at":2,"obtained_at":1} x"#,
            "",
        ])
    func fallsBack(json: String) throws {
        #expect(Self.read(json) == nil)
        try expectJSONDecoderReading(json, what: "token") { payload, what throws(VaultError) in
            try PayloadCoding.decodeToken(payload, what: what)
        }
    }

    @Test("a vault returns the same token, and the same error for a broken one, as the generic read")
    func throughTheVault() throws {
        try withTemporaryDirectory { directory in
            let vault = try TestVault.create("\(directory)/vault.db")
            try vault.addProfile("p", TestVault.profile(1))
            try vault.addProfile("q", TestVault.profile(2))
            let token = TestVault.token(1)
            try vault.write { try $0.put(token, profile: "p", kind: .token) }
            try vault.write { transaction in
                try transaction.putPayload(
                    SecretBytes(copying: Array(#"{"access_token":"#.utf8)), profile: "q", kind: .token, now: 1)
            }
            #expect(try vault.cachedToken(profile: "p") == token)
            #expect(try vault.cachedToken(profile: "p") == vault.record(CachedToken.self, profile: "p", kind: .token))
            #expect(try vault.cachedToken(profile: "missing") == nil)
            #expect(
                vaultError { _ = try vault.cachedToken(profile: "q") }
                    == vaultError { _ = try vault.record(CachedToken.self, profile: "q", kind: .token) })
        }
    }
}

/// `decode` on `json` gives what `JSONDecoder` reads from it, or the error a record that does
/// not decode gets.
func expectJSONDecoderReading<T: Decodable & Equatable>(
    _ json: String, what: String,
    _ decode: (SecretBytes, () -> String) throws(VaultError) -> T,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let payload = SecretBytes(copying: Array(json.utf8))
    let decoded = Result { () throws(VaultError) in try decode(payload) { what } }
    if let expected: T = jsonDecoded(json) {
        #expect(try decoded.get() == expected, sourceLocation: sourceLocation)
    } else {
        #expect(
            throws: VaultError.corrupt("\(what) authenticates but its contents do not decode"),
            sourceLocation: sourceLocation
        ) { try decoded.get() }
    }
}

/// What `JSONDecoder` reads from `json`, or nil.
func jsonDecoded<T: Decodable>(_ json: String) -> T? {
    try? JSONDecoder().decode(T.self, from: Data(json.utf8))
}
