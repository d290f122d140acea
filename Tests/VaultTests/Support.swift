import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// A private (0700) directory for one test, removed with everything in it when the test ends.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("\(NSTemporaryDirectory())/twvault-test-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    let path = String(cString: created)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

func fileMode(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o777
}

func fileBytes(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs anywhere in these bytes.
    func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        let first = needle[0]
        var index = 0
        while index <= count - needle.count {
            if self[index] == first, self[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}

/// The error `body` throws as a `VaultError` (nil when it succeeds; records an issue for other errors).
func vaultError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> VaultError? {
    do {
        try body()
        return nil
    } catch let error as VaultError {
        return error
    } catch {
        Issue.record("expected a VaultError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension VaultError {
    var isTampered: Bool { if case .tampered = self { true } else { false } }
    var isCorrupt: Bool { if case .corrupt = self { true } else { false } }
    var isKDFOutsidePolicy: Bool { if case .kdfOutsidePolicy = self { true } else { false } }
    var isNewerFormat: Bool { if case .newerFormat = self { true } else { false } }
}

/// Runs SQL on a vault file through a plain connection (the way an attacker with file access
/// would), then closes it, so the log is folded into the file.
func tamper(_ path: String, _ sql: String) throws {
    let connection = try Connection(path: path, mode: .readWrite)
    try connection.execute(sql)
}

/// One column of one row, read with a plain connection.
func blob(_ path: String, _ sql: String) throws -> [UInt8] {
    let connection = try Connection(path: path, mode: .readOnly)
    let statement = try connection.prepare(sql)
    guard try statement.step() else { throw VaultError.corrupt("no row for \(sql)") }
    return try statement.requireBlob(0)
}

/// An integer query result, read with a plain connection.
func scalar(_ path: String, _ sql: String) throws -> Int64 {
    try Connection(path: path, mode: .readOnly).scalarInt(sql)
}

/// Runs the sqlite3 shell on `path`.
func sqlite3Shell(_ path: String, _ sql: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sqlite3", path, sql]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "sqlite3 failed on: \(sql)")
}

/// The database's bytes once every connection is closed. Asserts that no log content is left
/// beside it, so that "the file is unchanged" covers the whole vault, not only the main file.
func settledBytes(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    #expect((fileBytes(path + "-wal")?.count ?? 0) == 0, "the -wal still holds frames", sourceLocation: sourceLocation)
    return try #require(fileBytes(path), sourceLocation: sourceLocation)
}

/// Test vaults use INTERACTIVE limits (the floor) for speed.
enum TestVault {
    static let passphrase = "correct horse battery staple"
    static let limits = KDFLimits.interactive

    static func create(_ path: String, passphrase: String = passphrase) throws -> UnlockedVault {
        try VaultFile.create(path: path, passphrase: SecretBytes(utf8: passphrase), limits: limits)
    }

    static func unlock(_ path: String, passphrase: String = passphrase) throws -> UnlockedVault {
        try VaultFile.open(path: path).unlock(passphrase: SecretBytes(utf8: passphrase))
    }

    static func profile(_ seed: Int, createdAt: Int64 = 1_700_000_000) -> ProfileRecord {
        var record = ProfileRecord(createdAt: createdAt)
        let hex = String(format: "%032x", seed)
        record.accountSID = "AC" + hex
        record.authToken = "auth-token-\(seed)-\(UUID().uuidString)"
        record.apiKeySID = "SK" + hex
        record.apiKeySecret = "api-secret-\(seed)-\(UUID().uuidString)"
        record.clientID = "OQ" + String(format: "%032d", seed)
        record.clientSecret = "client-secret-\(seed)-\(UUID().uuidString)"
        record.refreshToken = "refresh-token-\(seed)-\(UUID().uuidString)"
        record.region = "ie1"
        record.edge = "dublin"
        record.tokenURL = "https://oauth-\(seed).example.test/v2/token"
        record.scope = "offline_access"
        record.audience = "aud-\(seed)"
        record.credentialTimes = ["auth_token": createdAt, "api_key": createdAt + 1]
        record.previousClientSecret = "previous-secret-\(seed)-\(UUID().uuidString)"
        return record
    }

    static func token(_ seed: Int) -> CachedToken {
        CachedToken(
            accessToken: "access-token-\(seed)-\(UUID().uuidString)", idToken: nil, tokenType: "Bearer",
            scope: "offline_access", expiresAt: 1_900_000_000, obtainedAt: 1_800_000_000)
    }
}

/// A made-up record kind, standing for the rotation state and whatever comes later.
struct RotationState: Codable, Equatable {
    var rotationID: String
    var step: String
    var pendingKeySID: String?
    var pendingSecret: String?
}
