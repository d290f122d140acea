import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

@Suite("Passphrase slots")
struct SlotTests {
    static func records(_ path: String) throws -> [[UInt8]] {
        let connection = try Connection(path: path, mode: .readOnly)
        let statement = try connection.prepare(
            "SELECT profile || '/' || kind, sealed FROM record ORDER BY profile, kind")
        var rows: [[UInt8]] = []
        while try statement.step() {
            rows.append(Array(try statement.requireText(0).utf8) + (try statement.requireBlob(1)))
        }
        return rows
    }

    @Test("several slots each unlock, and say which one did")
    func severalSlots() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            try vault.addProfile("p", TestVault.profile(20))
            try vault.addSlot(
                label: "alice", passphrase: SecretBytes(utf8: "alice's passphrase"), limits: TestVault.limits)
            try vault.addSlot(label: "bob", passphrase: SecretBytes(utf8: "bob's passphrase"), limits: TestVault.limits)
            #expect(
                vaultError {
                    try vault.addSlot(label: "bob", passphrase: SecretBytes(utf8: "x"), limits: TestVault.limits)
                } == .slotExists("bob"))
            #expect(try vault.file.slots().map(\.label) == ["alice", "bob", "default"])
            for (label, passphrase) in [
                ("default", TestVault.passphrase), ("alice", "alice's passphrase"), ("bob", "bob's passphrase"),
            ] {
                let opened = try TestVault.unlock(path, passphrase: passphrase)
                #expect(opened.slotLabel == label)
                #expect(try opened.profile("p").accountSID == "AC" + String(format: "%032x", 20))
            }
            #expect(vaultError { _ = try TestVault.unlock(path, passphrase: "carol") } == .wrongPassphrase)
            #expect(vault.verify() == [])
        }
    }

    @Test("changing a passphrase rewraps the data key only: every record stays byte-identical")
    func changePassphrase() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            try vault.addProfile("p", TestVault.profile(21))
            try vault.addProfile("q", TestVault.profile(22))
            try vault.write { try $0.put(TestVault.token(21), profile: "p", kind: .token) }
            let before = try Self.records(path)
            let slotBefore = try vault.file.slots()
            try vault.changePassphrase(
                label: "default", to: SecretBytes(utf8: "new passphrase"), limits: TestVault.limits)
            let identical = try Self.records(path) == before
            #expect(identical)
            let slotAfter = try vault.file.slots()
            #expect(slotAfter.count == 1)
            #expect(slotAfter[0].salt != slotBefore[0].salt)
            #expect(slotAfter[0].wrappedKey != slotBefore[0].wrappedKey)
            #expect(vaultError { _ = try TestVault.unlock(path) } == .wrongPassphrase)
            let reopened = try TestVault.unlock(path, passphrase: "new passphrase")
            #expect(try reopened.profile("q").accountSID == "AC" + String(format: "%032x", 22))
            #expect(reopened.verify() == [])
            #expect(
                vaultError {
                    try vault.changePassphrase(label: "nobody", to: SecretBytes(utf8: "x"), limits: TestVault.limits)
                } == .slotNotFound("nobody"))
        }
    }

    @Test("the last slot cannot be removed (64); other slots can, and then no longer unlock")
    func removeSlots() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            #expect(vaultError { try vault.removeSlot(label: "default") } == .lastSlot)
            try vault.addSlot(
                label: "second", passphrase: SecretBytes(utf8: "second passphrase"), limits: TestVault.limits)
            try vault.removeSlot(label: "default")
            #expect(vaultError { try vault.removeSlot(label: "second") } == .lastSlot)
            #expect(vaultError { try vault.removeSlot(label: "default") } == .slotNotFound("default"))
            #expect(vaultError { _ = try TestVault.unlock(path) } == .wrongPassphrase)
            #expect(try TestVault.unlock(path, passphrase: "second passphrase").slotLabel == "second")
        }
    }

    @Test("new slots must respect the KDF policy; invalid labels are refused")
    func slotPolicy() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path)
            let weak = KDFLimits(opsLimit: 1, memLimit: 8 << 20)
            #expect(
                vaultError { try vault.addSlot(label: "weak", passphrase: SecretBytes(utf8: "x"), limits: weak) }?
                    .isKDFOutsidePolicy == true)
            let huge = KDFLimits(opsLimit: 3, memLimit: 8 << 30)
            #expect(
                vaultError { try vault.addSlot(label: "huge", passphrase: SecretBytes(utf8: "x"), limits: huge) }?
                    .exitCode == 78)
            #expect(
                vaultError {
                    _ = try VaultFile.create(
                        path: "\(directory)/weak.db", passphrase: SecretBytes(utf8: "x"), limits: weak)
                }?.exitCode == 78)
            #expect(!SecureFiles.exists("\(directory)/weak.db"))
            #expect(
                vaultError {
                    try vault.addSlot(label: "no spaces", passphrase: SecretBytes(utf8: "x"), limits: TestVault.limits)
                }?.exitCode == 64)
            #expect(try vault.file.slots().count == 1)
        }
    }

    @Test("passphrases are NFC-normalised: composed and decomposed forms open the same slot")
    func nfc() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            _ = try TestVault.create(path, passphrase: "cafe\u{301} n\u{303}") // decomposed
            #expect(try TestVault.unlock(path, passphrase: "caf\u{e9} \u{f1}").slotLabel == "default") // composed
            #expect(vaultError { _ = try TestVault.unlock(path, passphrase: "cafe n") } == .wrongPassphrase)
        }
    }

    @Test("MODERATE is the default and is recorded in the slot")
    func moderateDefault() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try VaultFile.create(path: path, passphrase: SecretBytes(utf8: "moderate"))
            #expect(try vault.file.slots().map(\.limits) == [KDFLimits.moderate])
            #expect(KDFLimits.moderate == KDFLimits(opsLimit: 3, memLimit: 256 << 20))
            #expect(KDFLimits.interactive == KDFLimits(opsLimit: 2, memLimit: 64 << 20))
            #expect(
                try VaultFile.open(path: path).unlock(passphrase: SecretBytes(utf8: "moderate")).slotLabel == "default")
        }
    }

    /// Not an assertion on time (performance is measured by scripts/bench): prints one unlock
    /// at each limit. Run with TWVAULT_MEASURE_UNLOCK=1.
    @Test(
        "unlock time at INTERACTIVE and MODERATE (printed)",
        .enabled(if: ProcessInfo.processInfo.environment["TWVAULT_MEASURE_UNLOCK"] == "1"))
    func measureUnlock() throws {
        try withTemporaryDirectory { directory in
            for (name, limits) in [("INTERACTIVE", KDFLimits.interactive), ("MODERATE", KDFLimits.moderate)] {
                let path = "\(directory)/\(name).db"
                _ = try VaultFile.create(path: path, passphrase: SecretBytes(utf8: "measure"), limits: limits)
                var times: [Double] = []
                for _ in 0..<5 {
                    let file = try VaultFile.open(path: path)
                    let start = ContinuousClock.now
                    _ = try file.unlock(passphrase: SecretBytes(utf8: "measure"))
                    let elapsed = ContinuousClock.now - start
                    times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                }
                times.sort()
                print(
                    "unlock \(name): median \(String(format: "%.3f", times[2])) s, min \(String(format: "%.3f", times[0])) s, max \(String(format: "%.3f", times[4])) s"
                )
            }
        }
    }
}
