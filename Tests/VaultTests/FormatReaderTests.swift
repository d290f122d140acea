import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// Runs `Tests/format-reader/read_vault.py`, a reader written from docs/FORMAT.md alone, against
/// vaults made by this code. It is the proof that the document is complete.
@Suite("Independent format reader")
struct FormatReaderTests {
    static let reader = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("format-reader/read_vault.py").path

    struct Output {
        var status: Int32
        var json: [String: [String: [String: Any]]]
        var stderr: String
    }

    static func run(_ arguments: [String], environment extra: [String: String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", reader] + arguments
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("TWVAULT_") { environment[key] = nil }
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: [String: [String: Any]]] ?? [:]
        return Output(status: process.terminationStatus, json: json, stderr: String(decoding: errData, as: UTF8.self))
    }

    static func expectProfile(
        _ payload: [String: Any]?, equals record: ProfileRecord, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let payload else {
            Issue.record("profile missing from the reader's output", sourceLocation: sourceLocation)
            return
        }
        let expected: [String: String?] = [
            "account_sid": record.accountSID, "auth_token": record.authToken, "api_key_sid": record.apiKeySID,
            "api_key_secret": record.apiKeySecret, "client_id": record.clientID, "client_secret": record.clientSecret,
            "refresh_token": record.refreshToken, "region": record.region, "edge": record.edge,
            "token_url": record.tokenURL,
            "scope": record.scope, "audience": record.audience, "previous_client_secret": record.previousClientSecret,
        ]
        for (key, value) in expected {
            #expect(payload[key] as? String == value, "field \(key)", sourceLocation: sourceLocation)
        }
        #expect((payload["created_at"] as? NSNumber)?.int64Value == record.createdAt, sourceLocation: sourceLocation)
        let times = (payload["credential_times"] as? [String: NSNumber])?.mapValues(\.int64Value) ?? [:]
        #expect(times == record.credentialTimes, sourceLocation: sourceLocation)
    }

    @Test("the reader unlocks a vault made here (NFC passphrase, several slots) and decrypts every record")
    func readsEverything() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path, passphrase: "Zu\u{308}rich pa\u{301}ss") // decomposed
            try vault.addSlot(label: "a-teammate", passphrase: SecretBytes(utf8: "teammate"), limits: TestVault.limits)
            let records = (60..<63).map { TestVault.profile($0) }
            var minimal = ProfileRecord(createdAt: 7)
            minimal.authToken = "only a token, with 'quotes' and \\ and \u{1F511}"
            let token = TestVault.token(60)
            let rotation = RotationState(rotationID: "r-60", step: "pending", pendingKeySID: nil, pendingSecret: "s")
            try vault.addProfile("acme-prod", records[0])
            try vault.addProfile("acme-staging", records[1])
            try vault.addProfile("B.org_2", records[2])
            try vault.addProfile("minimal", minimal)
            try vault.write { transaction in
                try transaction.put(token, profile: "acme-prod", kind: .token)
                try transaction.put(rotation, profile: "acme-prod", kind: .rotation)
                try transaction.put(["k": 1], profile: "B.org_2", kind: RecordKind(rawValue: "custom"))
            }
            try vault.renameProfile("acme-staging", to: "acme-stage")

            // The passphrase goes through a file, composed this time, with one trailing newline.
            let passphraseFile = "\(directory)/passphrase"
            try SecureFiles.writeNew(passphraseFile, bytes: Array("Z\u{fc}rich p\u{e1}ss\n".utf8))
            let output = try Self.run([path], environment: ["TWVAULT_PASSPHRASE_FILE": passphraseFile])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(Set(output.json.keys) == ["acme-prod", "acme-stage", "B.org_2", "minimal"])
            #expect(Set(output.json["acme-prod"]?.keys ?? [:].keys) == ["profile", "token", "rotation"])
            Self.expectProfile(output.json["acme-prod"]?["profile"], equals: records[0])
            Self.expectProfile(output.json["acme-stage"]?["profile"], equals: records[1])
            Self.expectProfile(output.json["B.org_2"]?["profile"], equals: records[2])
            Self.expectProfile(output.json["minimal"]?["profile"], equals: minimal)
            #expect(output.json["minimal"]?["profile"]?.count == 3, "absent fields are left out")
            let tokenPayload = output.json["acme-prod"]?["token"]
            #expect(tokenPayload?["access_token"] as? String == token.accessToken)
            #expect(tokenPayload?["token_type"] as? String == "Bearer")
            #expect((tokenPayload?["expires_at"] as? NSNumber)?.int64Value == token.expiresAt)
            #expect((tokenPayload?["obtained_at"] as? NSNumber)?.int64Value == token.obtainedAt)
            #expect(output.json["acme-prod"]?["rotation"]?["pendingSecret"] as? String == "s")
            #expect((output.json["B.org_2"]?["custom"]?["k"] as? NSNumber)?.intValue == 1)

            // The second slot, through the environment.
            let teammate = try Self.run([path], environment: ["TWVAULT_PASSPHRASE": "teammate"])
            #expect(teammate.status == 0, "\(teammate.stderr)")
            #expect(teammate.json.count == 4)
        }
    }

    @Test("the reader decrypts a profile's extra variables as FORMAT.md describes them")
    func readsExtraVariables() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            let record = TestVault.profile(65)
            let variables = VariablesRecord(["APP_MODE": "it's \u{1F511}", "STRIPE_API_KEY": "sk_test_x"])
            try vault.write { transaction in
                try transaction.put(record, profile: "p", kind: .profile)
                try transaction.put(variables, profile: "p", kind: .variables)
            }
            let output = try Self.run([path], environment: ["TWVAULT_PASSPHRASE": TestVault.passphrase])
            #expect(output.status == 0, "\(output.stderr)")
            Self.expectProfile(output.json["p"]?["profile"], equals: record)
            #expect(Set(output.json["p"]?.keys ?? [:].keys) == ["profile", "vars"])
            #expect(output.json["p"]?["vars"]?["variables"] as? [String: String] == variables.variables)
        }
    }

    @Test("the reader opens a vault from an unlock session (token and session file)")
    func readsSession() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            let record = TestVault.profile(64)
            try vault.addProfile("p", record)
            let store = SessionStore(directory: "\(directory)/sessions")
            let token = try store.create(for: vault, ttl: 600)
            let output = try Self.run(
                ["--session", path],
                environment: ["TWVAULT_SESSION": token, "TWVAULT_SESSION_DIR": store.directory])
            #expect(output.status == 0, "\(output.stderr)")
            Self.expectProfile(output.json["p"]?["profile"], equals: record)
            // After `lock`, a session file put back where it was still does not open: the reader
            // compares the sealed lock generation with the vault's.
            let sessionFile = "\(store.directory)/\(try #require(SessionTests.sessionFiles(store.directory).first))"
            let saved = try #require(fileBytes(sessionFile))
            try SessionStore.endEveryUnlock(of: vault.file, environment: [:])
            store.endAll(vaultIDHex: vault.file.vaultIDHex)
            let ended = try Self.run(
                ["--session", path], environment: ["TWVAULT_SESSION": token, "TWVAULT_SESSION_DIR": store.directory])
            #expect(ended.status == 77)
            try SecureFiles.writeNew(sessionFile, bytes: saved)
            let restored = try Self.run(
                ["--session", path], environment: ["TWVAULT_SESSION": token, "TWVAULT_SESSION_DIR": store.directory])
            #expect(restored.status == 77)
            #expect(restored.stderr.contains("lock"))
            let fresh = try store.create(for: vault, ttl: 600)
            let afterLock = try Self.run(
                ["--session", path], environment: ["TWVAULT_SESSION": fresh, "TWVAULT_SESSION_DIR": store.directory])
            #expect(afterLock.status == 0, "\(afterLock.stderr)")
        }
    }

    @Test("the reader picks its vault's entry from a value with several vaults' entries and junk")
    func readsSessionAmongOthers() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            let record = TestVault.profile(67)
            try vault.addProfile("p", record)
            let other = try TestVault.create("\(directory)/other.db")
            let store = SessionStore(directory: "\(directory)/sessions")
            let token = try store.create(for: vault, ttl: 600)
            let otherToken = try store.create(for: other, ttl: 600)
            let environment = ["TWVAULT_SESSION_DIR": store.directory]
            for value in [
                "junk:\(token):\(otherToken)", "\(otherToken):twv1.!!:\(token)",
                "\(otherToken):twv1.\(token.suffix(64))",
            ] {
                let output = try Self.run(
                    ["--session", path], environment: environment.merging(["TWVAULT_SESSION": value]) { $1 })
                #expect(output.status == 0, "\(output.stderr)")
                Self.expectProfile(output.json["p"]?["profile"], equals: record)
            }
            let none = try Self.run(
                ["--session", path], environment: environment.merging(["TWVAULT_SESSION": otherToken]) { $1 })
            #expect(none.status == 77)
            #expect(none.stderr.contains("no unlock of this vault"))
        }
    }

    @Test("the reader agrees on failures: wrong passphrase 77, tampered 65, newer format 78, weak slot 78")
    func readerFailures() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            do {
                let vault = try TestVault.create(path)
                try vault.addProfile("p", TestVault.profile(65))
                try vault.addProfile("q", TestVault.profile(66))
            }
            let good = ["TWVAULT_PASSPHRASE": TestVault.passphrase]
            #expect(try Self.run([path], environment: ["TWVAULT_PASSPHRASE": "wrong"]).status == 77)
            #expect(try Self.run([path], environment: good).status == 0)
            try tamper(path, "DELETE FROM record WHERE profile = 'q'")
            #expect(try Self.run([path], environment: good).status == 65)
            try tamper(path, "UPDATE slot SET ops_limit = 1")
            #expect(try Self.run([path], environment: good).status == 78)
            try tamper(path, "INSERT INTO schema_migrations VALUES (9999, 'future', 0)")
            #expect(try Self.run([path], environment: good).status == 78)
        }
    }
}
