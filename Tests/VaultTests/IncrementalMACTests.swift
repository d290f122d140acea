import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// The format-3 vault MAC (docs/FORMAT.md, "Vault MAC"): a sealed state that each write
/// updates by the rows it touches, and that `verify` recomputes over every record.
@Suite("Incremental vault MAC")
struct IncrementalMACTests {
    static func hex(_ bytes: [UInt8]) -> String { "x'\(ByteEncoding.hex(bytes))'" }

    static func state(_ path: String) throws -> [UInt8] {
        try blob(path, "SELECT mac_state FROM vault")
    }

    static func sealed(_ path: String, _ profile: String, _ kind: String = "profile") throws -> [UInt8] {
        try blob(path, "SELECT sealed FROM record WHERE profile = '\(profile)' AND kind = '\(kind)'")
    }

    /// The decrypted state, read the way the code reads it.
    static func openState(_ vault: UnlockedVault) throws -> IntegrityState {
        try #require(try Integrity.storedState(vault.connection, keys: vault.keys))
    }

    @Test("the sum of tags is arithmetic modulo 2^256: carries cross limbs, wrap around, and undo")
    func tagSum() throws {
        var sum = TagSum()
        let ones = [UInt8](repeating: 0xff, count: 32)
        let one = [1] + [UInt8](repeating: 0, count: 31)
        sum.add(ones)
        #expect(sum.bytes == ones)
        sum.add(one)
        #expect(sum.bytes == [UInt8](repeating: 0, count: 32), "2^256 - 1 + 1 wraps to 0")
        sum.subtract(one)
        #expect(sum.bytes == ones, "0 - 1 borrows through every limb")
        let tags = (0..<20).map { _ in RandomBytes.make(32) }
        var other = TagSum()
        for tag in tags { other.add(tag) }
        for tag in tags.reversed() { other.subtract(tag) }
        #expect(other == TagSum())
        // Adding a tag twice does not cancel (as XOR would).
        var twice = TagSum()
        twice.add(tags[0])
        twice.add(tags[0])
        #expect(twice != TagSum())
        #expect(TagSum(bytes: [UInt8](repeating: 0, count: 31)) == nil)
    }

    @Test("a new vault starts at write 1 with the state sealed; each write adds one; a refused write adds none")
    func writeCounter() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            #expect(try blob(path, "SELECT mac FROM vault") == [UInt8](repeating: 0, count: 32))
            var state = try Self.openState(vault)
            #expect(state.writeCounter == 1)
            #expect(state.recordCount == 0)
            try vault.addProfile("alpha", TestVault.profile(1))
            try vault.write { try $0.put(TestVault.token(1), profile: "alpha", kind: .token) }
            state = try Self.openState(vault)
            #expect(state.writeCounter == 3)
            #expect(state.recordCount == 2)
            #expect(vaultError { try vault.addProfile("alpha", TestVault.profile(2)) } == .profileExists("alpha"))
            #expect(try Self.openState(vault).writeCounter == 3)
            try vault.removeProfile("alpha")
            state = try Self.openState(vault)
            #expect(state.writeCounter == 4)
            #expect(state.recordCount == 0)
            #expect(state.tagSum == TagSum(), "removing every record brings the sum back to zero")
            // The state is sealed: 40 bytes of box around 112 bytes of plaintext, none of it
            // readable; the sum does not appear in the file.
            let sealedState = try Self.state(path)
            #expect(sealedState.count == 152)
            try vault.addProfile("beta", TestVault.profile(3))
            let sum = try Self.openState(vault).tagSum.bytes
            #expect(!(fileBytes(path) ?? []).contains(bytes: sum))
            #expect(!(fileBytes(path + "-wal") ?? []).contains(bytes: sum))
            #expect(vault.verify() == [])
        }
    }

    @Test("renames, replacements, slot changes and deletions keep the state equal to a full recompute")
    func stateFollowsEveryKindOfWrite() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            vault.fullCheckLimit = 0
            func expectConsistent(sourceLocation: SourceLocation = #_sourceLocation) throws {
                let state = try Self.openState(vault)
                let full = try Integrity.fullState(vault.connection, keys: vault.keys)
                #expect(state.tagSum == full.tagSum, sourceLocation: sourceLocation)
                #expect(state.recordCount == full.recordCount, sourceLocation: sourceLocation)
                #expect(state.slotsDigest == full.slotsDigest, sourceLocation: sourceLocation)
                #expect(vault.verify() == [], sourceLocation: sourceLocation)
            }
            for seed in 0..<5 { try vault.addProfile("p\(seed)", TestVault.profile(seed)) }
            try vault.write { transaction in
                try transaction.put(TestVault.token(1), profile: "p1", kind: .token)
                try transaction.put(TestVault.token(2), profile: "p1", kind: .token) // twice in one write
                try transaction.put(["k": 1], profile: "p2", kind: RecordKind(rawValue: "custom"))
            }
            try expectConsistent()
            try vault.updateProfile("p0", TestVault.profile(9))
            try vault.addProfile("p3", TestVault.profile(10), replace: true)
            try vault.renameProfile("p1", to: "renamed")
            try expectConsistent()
            try vault.write { transaction in
                try transaction.delete(profile: "p2", kind: RecordKind(rawValue: "custom"))
                try transaction.delete(profile: "p4", kind: .token) // absent: nothing to remove
            }
            try vault.removeProfile("renamed")
            try vault.addSlot(label: "teammate", passphrase: SecretBytes(utf8: "other"), limits: TestVault.limits)
            try vault.changePassphrase(label: "default", to: SecretBytes(utf8: "new one"), limits: TestVault.limits)
            try vault.removeSlot(label: "teammate")
            try expectConsistent()
        }
    }

    /// One way to damage a vault of profiles `alpha` (profile and token) and `beta`, all written
    /// by the vault itself; `olderAlpha` is a genuine earlier record of alpha.
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case rolledBack, flippedBit, swapped, deleted, added, slotAdded

        var testDescription: String { rawValue }

        func apply(_ path: String, olderAlpha: [UInt8]) throws {
            switch self {
            case .rolledBack:
                try tamper(
                    path,
                    "UPDATE record SET sealed = \(IncrementalMACTests.hex(olderAlpha)) WHERE profile = 'alpha' AND kind = 'profile'"
                )
            case .flippedBit:
                var bytes = try IncrementalMACTests.sealed(path, "beta")
                bytes[30] ^= 1
                try tamper(
                    path,
                    "UPDATE record SET sealed = \(IncrementalMACTests.hex(bytes)) WHERE profile = 'beta' AND kind = 'profile'"
                )
            case .swapped:
                let alpha = try IncrementalMACTests.sealed(path, "alpha")
                let beta = try IncrementalMACTests.sealed(path, "beta")
                try tamper(
                    path,
                    """
                    UPDATE record SET sealed = \(IncrementalMACTests.hex(beta)) WHERE profile = 'alpha' AND kind = 'profile';
                    UPDATE record SET sealed = \(IncrementalMACTests.hex(alpha)) WHERE profile = 'beta' AND kind = 'profile';
                    """)
            case .deleted:
                try tamper(path, "DELETE FROM record WHERE profile = 'alpha' AND kind = 'token'")
            case .added:
                try tamper(
                    path,
                    """
                    INSERT INTO record (profile, kind, sealed, updated_at)
                    SELECT profile, 'token', sealed, updated_at FROM record WHERE profile = 'beta' AND kind = 'profile'
                    """)
            case .slotAdded:
                try tamper(
                    path,
                    "INSERT INTO slot SELECT 'zzz', algorithm, ops_limit, mem_limit, salt, wrapped_key, 0, kind, public_key FROM slot"
                )
            }
        }

        /// Whether the O(1) check before a write sees it (the row count or the slots changed).
        var changesCountOrSlots: Bool { self == .deleted || self == .added || self == .slotAdded }
        /// The profile whose own record the damage altered, if any.
        var damagedProfile: String? {
            switch self {
            case .flippedBit: "beta"
            case .swapped: "alpha"
            default: nil
            }
        }
    }

    static func damagedFixture(_ directory: String) throws -> (path: String, olderAlpha: [UInt8]) {
        let path = "\(directory)/vault.db"
        let vault = try TestVault.create(path)
        var first = TestVault.profile(10)
        first.region = "us1"
        try vault.addProfile("alpha", first)
        let older = try sealed(path, "alpha")
        try vault.updateProfile("alpha", TestVault.profile(10))
        try vault.addProfile("beta", TestVault.profile(11))
        try vault.write { try $0.put(TestVault.token(10), profile: "alpha", kind: .token) }
        return (path, older)
    }

    /// Above the full-check limit a write does not read every record, so it cannot see every
    /// damage. What it must never do is absorb one: the sum it stores moves only by the rows it
    /// touched, so the mismatch survives any number of later writes and `verify` still reports it.
    @Test("above the full-check limit, writes never absorb damage elsewhere", arguments: Damage.allCases)
    func largeVaultWritesNeverAbsorbDamage(_ damage: Damage) throws {
        try withTemporaryDirectory { directory in
            let (path, olderAlpha) = try Self.damagedFixture(directory)
            try damage.apply(path, olderAlpha: olderAlpha)
            let vault = try TestVault.unlock(path)
            vault.fullCheckLimit = 0
            let stateBefore = try Self.state(path)
            let write = vaultError { try vault.addProfile("gamma", TestVault.profile(12)) }
            if damage.changesCountOrSlots {
                #expect(write?.isTampered == true, "\(String(describing: write))")
                #expect(write?.description.contains("vault MAC") == true)
                #expect(try Self.state(path) == stateBefore)
            } else {
                #expect(write == nil, "a write away from the damage proceeds: \(String(describing: write))")
            }
            // Writing the damaged row itself: refused when it no longer authenticates.
            if let profile = damage.damagedProfile {
                let error = vaultError { try vault.updateProfile(profile, TestVault.profile(13)) }
                #expect(error?.isTampered == true)
                #expect(error?.description.contains("record 'profile' of profile '\(profile)'") == true)
            }
            // A rolled-back row authenticates: replacing it succeeds, yet the damage stays
            // on record, because the write subtracts the tag of the row it found.
            if damage == .rolledBack { try vault.updateProfile("alpha", TestVault.profile(14)) }
            try? vault.addProfile("delta", TestVault.profile(15))
            let failures = vault.verify()
            #expect(failures.contains { $0.contains("vault MAC") }, "\(failures)")
            vault.fullCheckLimit = Integrity.defaultFullCheckLimit
            #expect(vaultError { try vault.addProfile("epsilon", TestVault.profile(16)) }?.isTampered == true)
        }
    }

    /// A vault of `count` one-field profiles whose first record has a flipped bit.
    static func damagedVault(_ path: String, records count: Int) throws {
        do {
            let vault = try TestVault.create(path)
            try vault.write { transaction in
                for index in 0..<count {
                    var record = ProfileRecord(createdAt: 1)
                    record.authToken = "t\(index)"
                    try transaction.put(record, profile: String(format: "p%04d", index), kind: .profile)
                }
            }
        }
        var bytes = try sealed(path, "p0000")
        bytes[bytes.count - 1] ^= 1
        try tamper(path, "UPDATE record SET sealed = \(hex(bytes)) WHERE profile = 'p0000'")
    }

    @Test("at the default limit a write sums every record; one record more and it reads only its own rows")
    func fullCheckLimit() throws {
        try withTemporaryDirectory { directory in
            let limit = Integrity.defaultFullCheckLimit
            let small = "\(directory)/small.db"
            try Self.damagedVault(small, records: limit)
            let smallVault = try TestVault.unlock(small)
            let refused = vaultError { try smallVault.addProfile("q", ProfileRecord(createdAt: 1)) }
            #expect(refused?.isTampered == true)
            #expect(refused?.description.contains("vault MAC") == true)

            let large = "\(directory)/large.db"
            try Self.damagedVault(large, records: limit + 1)
            let largeVault = try TestVault.unlock(large)
            // The damaged row is neither replaced nor read by this write.
            try largeVault.addProfile("q", ProfileRecord(createdAt: 1))
            let failures = largeVault.verify()
            #expect(failures.contains { $0.contains("'p0000'") })
            #expect(failures.contains { $0.contains("vault MAC") })
        }
    }

    /// The splice: snapshots S1 and S2 differ only in record c; S3 is later. An attacker grafts
    /// S1's c into S3 and does whatever the file allows to the MAC state: keep S3's, take S1's
    /// or S2's whole, mix the fields of the boxes, or drop the state to fall back to the format-1
    /// MAC. A readable sum would let them compute S3 - S2 + S1; a sealed one leaves only these.
    @Test("a record spliced from an older snapshot is detected, whatever is done to the MAC state")
    func splice() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            var s1: (c: [UInt8], state: [UInt8], mac: [UInt8])
            var s2: (c: [UInt8], state: [UInt8], mac: [UInt8])
            var s3State: [UInt8]
            let oldC = TestVault.profile(3)
            do {
                let vault = try TestVault.create(path)
                try vault.addProfile("a", TestVault.profile(1))
                try vault.addProfile("b", TestVault.profile(2))
                try vault.addProfile("c", oldC)
                s1 = (try Self.sealed(path, "c"), try Self.state(path), try blob(path, "SELECT mac FROM vault"))
                try vault.updateProfile("c", TestVault.profile(4))
                s2 = (try Self.sealed(path, "c"), try Self.state(path), try blob(path, "SELECT mac FROM vault"))
                // S3: a later write elsewhere; the same number of records as S1 and S2.
                try vault.updateProfile("a", TestVault.profile(5))
                s3State = try Self.state(path)
                #expect(vault.verify() == [])
            }
            let pristine = try settledBytes(path)
            // Every MAC state an attacker can assemble from the three snapshots' files.
            var header = Array(s3State[..<40])
            header.append(contentsOf: s1.state[40...])
            var xorred = s3State
            for index in 40..<xorred.count { xorred[index] ^= s1.state[index] ^ s2.state[index] }
            let states: [(String, String)] = [
                ("S3's state", Self.hex(s3State)), ("S1's state", Self.hex(s1.state)),
                ("S2's state", Self.hex(s2.state)), ("S3's nonce and tag with S1's ciphertext", Self.hex(header)),
                ("S3's state xor (S1 xor S2)", Self.hex(xorred)), ("no state: back to the zeroed format-1 MAC", "NULL"),
            ]
            #expect(s1.mac == s2.mac)
            for (what, state) in states {
                try SecureFiles.writeNew("\(directory)/graft.db", bytes: pristine)
                defer { SecureFiles.remove("\(directory)/graft.db") }
                let graft = "\(directory)/graft.db"
                try tamper(
                    graft,
                    """
                    UPDATE record SET sealed = \(Self.hex(s1.c)) WHERE profile = 'c' AND kind = 'profile';
                    UPDATE vault SET mac_state = \(state), mac = \(Self.hex(s1.mac));
                    """)
                let vault = try TestVault.unlock(graft)
                // The grafted record is genuine: it opens on its own.
                #expect(try vault.profile("c") == oldC)
                let failures = vault.verify()
                #expect(failures.count == 1, "\(what): \(failures)")
                #expect(failures.first?.contains("vault MAC") == true, "\(what): \(failures)")
                let error = vaultError { try vault.addProfile("d", TestVault.profile(6)) }
                #expect(error?.isTampered == true, "\(what): \(String(describing: error))")
                let reader = try FormatReaderTests.run(
                    [graft], environment: ["TWVAULT_PASSPHRASE": TestVault.passphrase])
                #expect(reader.status == 65, "\(what): \(reader.stderr)")
            }
        }
    }
}
