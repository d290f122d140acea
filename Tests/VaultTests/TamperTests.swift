import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// Each test breaks exactly one thing in a vault, expects one specific error, and checks that
/// the failed operations changed nothing on disk.
///
/// "Nothing on disk" with WAL: every connection is closed before the snapshot and after the
/// attempts, so the log has been folded into the file and removed; then the database file must
/// be byte-identical and no log frames may remain. (While a connection is open, SQLite may
/// create an empty -wal and a -shm index; neither holds vault data.)
@Suite("Tamper detection")
struct TamperTests {
    /// A vault with profiles `alpha` (profile + token) and `beta` (profile), all connections closed.
    struct Fixture {
        let path: String
        let alpha = TestVault.profile(10)
        let beta = TestVault.profile(11)
        let olderAlphaSealed: [UInt8]

        init(_ directory: String) throws {
            path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            var first = alpha
            first.region = "us1"
            try vault.addProfile("alpha", first)
            olderAlphaSealed = try blob(path, "SELECT sealed FROM record WHERE profile = 'alpha' AND kind = 'profile'")
            try vault.updateProfile("alpha", alpha)
            try vault.addProfile("beta", beta)
            try vault.write { try $0.put(TestVault.token(10), profile: "alpha", kind: .token) }
        }

        func sealed(_ profile: String, _ kind: String) throws -> [UInt8] {
            try blob(path, "SELECT sealed FROM record WHERE profile = '\(profile)' AND kind = '\(kind)'")
        }

        func setSealed(_ profile: String, _ kind: String, _ bytes: [UInt8]) throws {
            try tamper(
                path,
                "UPDATE record SET sealed = x'\(ByteEncoding.hex(bytes))' WHERE profile = '\(profile)' AND kind = '\(kind)'"
            )
        }

        /// Runs `attempts` between two settled snapshots and expects them equal.
        func expectUnchanged(_ attempts: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let before = try settledBytes(path, sourceLocation: sourceLocation)
            try attempts()
            let after = try settledBytes(path, sourceLocation: sourceLocation)
            let identical = before == after
            #expect(identical, "the failed operations changed the file", sourceLocation: sourceLocation)
        }

        /// A write must be refused because the vault MAC no longer matches.
        func expectWriteRefused(_ vault: UnlockedVault, sourceLocation: SourceLocation = #_sourceLocation) {
            let error = vaultError(
                { try vault.addProfile("gamma", TestVault.profile(12)) }, sourceLocation: sourceLocation)
            #expect(
                error?.isTampered == true, "write not refused: \(String(describing: error))",
                sourceLocation: sourceLocation)
            #expect(error?.description.contains("vault MAC") == true, sourceLocation: sourceLocation)
            #expect(error?.exitCode == 65, sourceLocation: sourceLocation)
        }
    }

    @Test("an intact fixture verifies and accepts writes (control)")
    func control() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            let vault = try TestVault.unlock(fixture.path)
            #expect(vault.verify() == [])
            #expect(try vault.profile("alpha") == fixture.alpha)
        }
    }

    @Test("a wrong passphrase is refused (77) and changes nothing")
    func wrongPassphrase() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try fixture.expectUnchanged {
                let error = vaultError {
                    _ = try TestVault.unlock(fixture.path, passphrase: "correct horse battery stapl")
                }
                #expect(error == .wrongPassphrase)
                #expect(error?.exitCode == 77)
                // NFC: a differently composed form of a different string is still wrong; no fast check exists.
                #expect(vaultError { _ = try TestVault.unlock(fixture.path, passphrase: "") } == .wrongPassphrase)
            }
        }
    }

    @Test("a record's ciphertext copied onto another profile fails to open, naming the record")
    func copiedToOtherProfile() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try fixture.setSealed("beta", "profile", try fixture.sealed("alpha", "profile"))
            try fixture.expectUnchanged {
                let vault = try TestVault.unlock(fixture.path)
                let error = vaultError { _ = try vault.profile("beta") }
                #expect(
                    error
                        == .tampered(
                            what:
                                "record 'profile' of profile 'beta' does not authenticate (altered, or moved from another row)"
                        ))
                #expect(error?.exitCode == 65)
                #expect(try vault.profile("alpha") == fixture.alpha)
                let failures = vault.verify()
                #expect(failures.count == 2)
                #expect(failures.contains { $0.contains("'profile' of profile 'beta'") })
                #expect(failures.contains { $0.contains("vault MAC") })
                fixture.expectWriteRefused(vault)
            }
        }
    }

    @Test("a record's ciphertext copied onto another kind of the same profile fails to open")
    func copiedToOtherKind() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try fixture.setSealed("alpha", "token", try fixture.sealed("alpha", "profile"))
            try fixture.expectUnchanged {
                let vault = try TestVault.unlock(fixture.path)
                let error = vaultError { _ = try vault.record(CachedToken.self, profile: "alpha", kind: .token) }
                #expect(error?.isTampered == true)
                #expect(error?.description.contains("record 'token' of profile 'alpha'") == true)
                #expect(try vault.profile("alpha") == fixture.alpha)
                #expect(vault.verify().contains { $0.contains("'token' of profile 'alpha'") })
                fixture.expectWriteRefused(vault)
            }
        }
    }

    @Test("a row renamed to another profile fails to open under its new name")
    func renamedRow() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try tamper(fixture.path, "UPDATE record SET profile = 'gamma' WHERE profile = 'beta'")
            try fixture.expectUnchanged {
                let vault = try TestVault.unlock(fixture.path)
                #expect(try vault.file.profileNames() == ["alpha", "gamma"])
                let error = vaultError { _ = try vault.profile("gamma") }
                #expect(error?.isTampered == true)
                #expect(error?.description.contains("profile 'gamma'") == true)
                #expect(vaultError { _ = try vault.profile("beta") } == .profileNotFound("beta"))
                #expect(vault.verify().count == 2)
                fixture.expectWriteRefused(vault)
            }
        }
    }

    @Test("a deleted row: the other records still open, the MAC reports it at verify, writes are refused")
    func deletedRow() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try tamper(fixture.path, "DELETE FROM record WHERE profile = 'alpha' AND kind = 'token'")
            try fixture.expectUnchanged {
                let vault = try TestVault.unlock(fixture.path)
                #expect(try vault.profile("alpha") == fixture.alpha)
                let failures = vault.verify()
                #expect(failures.count == 1)
                #expect(failures.first?.contains("vault MAC") == true)
                fixture.expectWriteRefused(vault)
                #expect(vaultError { try vault.removeProfile("beta") }?.isTampered == true)
                #expect(
                    vaultError {
                        try vault.addSlot(label: "extra", passphrase: SecretBytes(utf8: "x"), limits: TestVault.limits)
                    }?.isTampered == true)
            }
        }
    }

    @Test("an added row (a copy of a record under a new kind) is caught by the MAC")
    func addedRow() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try tamper(
                fixture.path,
                """
                INSERT INTO record (profile, kind, sealed, updated_at)
                SELECT profile, 'token', sealed, updated_at FROM record WHERE profile = 'beta' AND kind = 'profile'
                """)
            try fixture.expectUnchanged {
                let vault = try TestVault.unlock(fixture.path)
                let failures = vault.verify()
                #expect(failures.contains { $0.contains("'token' of profile 'beta'") })
                #expect(failures.contains { $0.contains("vault MAC") })
                fixture.expectWriteRefused(vault)
            }
        }
    }

    @Test("one record rolled back to an older copy opens on its own but fails verify")
    func rolledBack() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try fixture.setSealed("alpha", "profile", fixture.olderAlphaSealed)
            try fixture.expectUnchanged {
                let vault = try TestVault.unlock(fixture.path)
                // The old copy is a genuine record of this row, so it authenticates...
                #expect(try vault.profile("alpha").region == "us1")
                // ...but the vault MAC no longer matches.
                let failures = vault.verify()
                #expect(failures.count == 1)
                #expect(failures.first?.contains("rolled back") == true)
                fixture.expectWriteRefused(vault)
            }
        }
    }

    @Test(
        "a flipped bit inside a ciphertext is detected, naming the record",
        arguments: [0, 24, 40, 60, -1])
    func flippedBit(offset: Int) throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            var sealed = try fixture.sealed("beta", "profile")
            sealed[offset >= 0 ? offset : sealed.count - 1] ^= 0x10
            try fixture.setSealed("beta", "profile", sealed)
            try fixture.expectUnchanged {
                let vault = try TestVault.unlock(fixture.path)
                let error = vaultError { _ = try vault.profile("beta") }
                #expect(error?.isTampered == true)
                #expect(error?.description.contains("'profile' of profile 'beta'") == true)
                fixture.expectWriteRefused(vault)
            }
        }
    }

    @Test(
        "slot limits below the INTERACTIVE floor are refused (78) before any KDF runs",
        arguments: [
            "ops_limit = 1", "mem_limit = 8388608", "ops_limit = 0, mem_limit = 0",
        ])
    func belowFloor(change: String) throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try tamper(fixture.path, "UPDATE slot SET \(change)")
            try fixture.expectUnchanged {
                let error = vaultError { _ = try TestVault.unlock(fixture.path) }
                #expect(error?.isKDFOutsidePolicy == true, "\(String(describing: error))")
                #expect(error?.exitCode == 78)
                #expect(error?.description.contains("slot 'default'") == true)
            }
        }
    }

    /// Refused by the policy check: had the KDF run, a 1 TiB or 2^62-byte request would fail with
    /// a different error (out of memory), and 2^40 passes would not return at all.
    @Test(
        "slot limits above the cap are refused (78) without running the KDF",
        arguments: [
            "ops_limit = 11", "mem_limit = 4294967297", "mem_limit = 1099511627776",
            "mem_limit = 4611686018427387904", "ops_limit = 1099511627776",
        ])
    func aboveCap(change: String) throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try tamper(fixture.path, "UPDATE slot SET \(change)")
            try fixture.expectUnchanged {
                let error = vaultError { _ = try TestVault.unlock(fixture.path) }
                #expect(error?.isKDFOutsidePolicy == true, "\(String(describing: error))")
                #expect(error?.exitCode == 78)
            }
        }
    }

    @Test("a planted second slot with absurd limits blocks the unlock before the first KDF")
    func plantedSlot() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try tamper(
                fixture.path,
                """
                INSERT INTO slot SELECT 'zzz', algorithm, 1099511627776, mem_limit, salt, wrapped_key, created_at, kind, public_key FROM slot
                """)
            try fixture.expectUnchanged {
                #expect(vaultError { _ = try TestVault.unlock(fixture.path) }?.isKDFOutsidePolicy == true)
            }
        }
    }

    @Test("a slot copied from another vault authenticates but is refused as tampered")
    func foreignSlot() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            let other = "\(directory)/other.db"
            _ = try TestVault.create(other)
            let wrapped = try blob(other, "SELECT wrapped_key FROM slot")
            let salt = try blob(other, "SELECT salt FROM slot")
            try tamper(
                fixture.path,
                "UPDATE slot SET wrapped_key = x'\(ByteEncoding.hex(wrapped))', salt = x'\(ByteEncoding.hex(salt))'")
            try fixture.expectUnchanged {
                let error = vaultError { _ = try TestVault.unlock(fixture.path) }
                #expect(error?.isTampered == true)
                #expect(error?.description.contains("another vault") == true)
            }
        }
    }

    @Test("a truncated file is reported as corrupt (65), not a crash", arguments: [0.5, 0.25, 100.0, 4096.0])
    func truncated(keep: Double) throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            let whole = try settledBytes(fixture.path)
            let size = keep <= 1 ? Int(Double(whole.count) * keep) : Int(keep)
            #expect(truncate(fixture.path, off_t(size)) == 0)
            try fixture.expectUnchanged {
                let error = vaultError {
                    let vault = try TestVault.unlock(fixture.path)
                    _ = try vault.profile("alpha")
                    _ = try vault.profile("beta")
                    let failures = vault.verify()
                    if !failures.isEmpty { throw VaultError.corrupt(failures.joined(separator: "; ")) }
                }
                #expect(error?.exitCode == 65, "\(String(describing: error))")
            }
        }
    }

    @Test("a file of random bytes is not a vault (65)")
    func randomBytes() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/random.db"
            try SecureFiles.writeNew(path, bytes: (0..<20000).map { _ in UInt8.random(in: 0...255) })
            let before = try settledBytes(path)
            let error = vaultError { _ = try VaultFile.open(path: path) }
            #expect(error?.isCorrupt == true, "\(String(describing: error))")
            #expect(error?.exitCode == 65)
            let identical = try settledBytes(path) == before
            #expect(identical)
        }
    }

    @Test("an SQLite file that is not a vault is refused untouched (65)")
    func foreignSQLite() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/other.db"
            try SecureFiles.createPrivateFile(path)
            try sqlite3Shell(path, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello');")
            let before = try settledBytes(path)
            let error = vaultError { _ = try VaultFile.open(path: path) }
            #expect(error?.isCorrupt == true)
            #expect(error?.description.contains("not a twvault vault") == true)
            let identical = try settledBytes(path) == before
            #expect(identical)
            // An empty file is no vault either.
            try SecureFiles.createPrivateFile("\(directory)/empty.db")
            #expect(vaultError { _ = try VaultFile.open(path: "\(directory)/empty.db") }?.exitCode == 65)
            #expect(fileBytes("\(directory)/empty.db") == [])
        }
    }

    @Test("a vault whose schema is newer than this binary is refused (78) and left byte-identical")
    func newerSchema() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try sqlite3Shell(
                fixture.path, "INSERT INTO schema_migrations (id, name, applied_at) VALUES (9999, 'future', 1)")
            try fixture.expectUnchanged {
                let error = vaultError { _ = try VaultFile.open(path: fixture.path) }
                #expect(error?.isNewerFormat == true, "\(String(describing: error))")
                #expect(error?.exitCode == 78)
                #expect(error?.description.contains("9999") == true)
            }
        }
    }

    @Test("a slot of an unknown algorithm is a newer format (78)")
    func unknownAlgorithm() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try tamper(fixture.path, "UPDATE slot SET algorithm = 3")
            try fixture.expectUnchanged {
                #expect(vaultError { _ = try TestVault.unlock(fixture.path) }?.exitCode == 78)
            }
        }
    }

    @Test("a column whose type was changed (sealed BLOB to TEXT) is an error, not a crash")
    func changedColumnType() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            try sqlite3Shell(
                fixture.path,
                """
                CREATE TABLE record_text (profile TEXT NOT NULL, kind TEXT NOT NULL, sealed TEXT NOT NULL,
                    updated_at INTEGER NOT NULL, PRIMARY KEY (profile, kind)) STRICT, WITHOUT ROWID;
                INSERT INTO record_text SELECT profile, kind, CAST(sealed AS TEXT), updated_at FROM record;
                DROP TABLE record;
                ALTER TABLE record_text RENAME TO record;
                CREATE INDEX record_by_kind ON record (kind, profile);
                """)
            #expect(try scalar(fixture.path, "SELECT count(*) FROM record WHERE typeof(sealed) = 'text'") == 3)
            try fixture.expectUnchanged {
                let vault = try TestVault.unlock(fixture.path)
                #expect(try vault.file.profileNames() == ["alpha", "beta"])
                let error = vaultError { _ = try vault.profile("alpha") }
                #expect(error?.isCorrupt == true, "\(String(describing: error))")
                #expect(error?.description.contains("sealed") == true)
                #expect(error?.exitCode == 65)
                #expect(!vault.verify().isEmpty)
                #expect(vaultError { try vault.addProfile("gamma", TestVault.profile(12)) }?.exitCode == 65)
            }
        }
    }

    @Test("a record kind longer than a context can hold is reported, not a crash")
    func oversizedKind() throws {
        try withTemporaryDirectory { directory in
            let fixture = try Fixture(directory)
            let kind = String(repeating: "k", count: 300)
            try tamper(fixture.path, "UPDATE record SET kind = '\(kind)' WHERE profile = 'alpha' AND kind = 'token'")
            try fixture.expectUnchanged {
                let vault = try TestVault.unlock(fixture.path)
                #expect(vault.verify().count == 2)
                #expect(
                    vaultError { _ = try vault.payload(profile: "alpha", kind: RecordKind(rawValue: kind)) }?.isTampered
                        == true)
                #expect(vaultError { try vault.renameProfile("alpha", to: "alpha2") }?.exitCode == 65)
            }
        }
    }
}
