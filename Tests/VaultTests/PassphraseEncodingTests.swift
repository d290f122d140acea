import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// Passphrases are UTF-8 text. Bytes that are not were decoded with U+FFFD for every invalid
/// sequence before NFC, so different byte strings gave the same key.
@Suite("Passphrase encoding")
struct PassphraseEncodingTests {
    /// Decodes to the same five U+FFFD as `VaultFixture.nonUTF8`.
    static let colliding: [UInt8] = [0x80, 0x81, 0x82, 0x83, 0xe0]

    @Test(
        "UTF-8 validation rejects stray continuations, overlong forms, surrogates, truncation and > U+10FFFF",
        arguments: [
            ([0x61, 0x62], true), ([0xc3, 0xa9], true), ([0xe2, 0x82, 0xac], true), ([0xf0, 0x9f, 0x94, 0x91], true),
            ([0x00, 0x7f], true), ([], true),
            ([0x80], false), ([0xc0, 0x80], false), ([0xc1, 0xbf], false), ([0xe0, 0x80, 0x80], false),
            ([0xed, 0xa0, 0x80], false), ([0xf4, 0x90, 0x80, 0x80], false), ([0xc3], false),
            ([0x61, 0xe2, 0x82], false),
            ([0xff], false), ([0xfe, 0xff], false),
        ] as [([UInt8], Bool)])
    func validation(bytes: [UInt8], valid: Bool) {
        #expect(Passphrase.isValidUTF8(SecretBytes(copying: bytes)) == valid)
    }

    @Test("a new passphrase that is not UTF-8 is refused (65) before any file or slot is written")
    func newPassphraseMustBeUTF8() throws {
        try withTemporaryDirectory { directory in
            let refused = "\(directory)/refused/vault.db"
            let error = vaultError {
                _ = try VaultFile.create(
                    path: refused, passphrase: SecretBytes(copying: VaultFixture.nonUTF8), limits: TestVault.limits)
            }
            #expect(error?.exitCode == 65)
            #expect(error?.description.contains("UTF-8") == true)
            #expect(!SecureFiles.exists(refused))

            let path = "\(directory)/vault.db"
            do {
                let vault = try TestVault.create(path)
                try vault.addProfile("p", TestVault.profile(80))
            }
            let before = try settledBytes(path)
            do {
                let vault = try TestVault.unlock(path)
                for bytes in [VaultFixture.nonUTF8, Self.colliding] {
                    let added = vaultError {
                        try vault.addSlot(
                            label: "bytes", passphrase: SecretBytes(copying: bytes), limits: TestVault.limits)
                    }
                    #expect(added?.exitCode == 65)
                    let changed = vaultError {
                        try vault.changePassphrase(
                            label: "default", to: SecretBytes(copying: bytes), limits: TestVault.limits)
                    }
                    #expect(changed?.exitCode == 65)
                }
                #expect(try vault.file.slots().map(\.label) == ["default"])
            }
            #expect(try settledBytes(path) == before, "a refused passphrase changed the vault")
            #expect(try TestVault.unlock(path).passphraseIsNotUTF8 == false)
        }
    }

    @Test("a slot 0.1.0 made from non-UTF-8 bytes still opens, flagged for `passwd`, until the passphrase changes")
    func slotOfAnEarlierVersion() throws {
        try withTemporaryDirectory { directory in
            let path = try VaultFixture.copy("format1.db", to: directory)
            // The weakness itself: two unrelated byte strings open the same slot.
            for bytes in [VaultFixture.nonUTF8, Self.colliding] {
                let vault = try VaultFile.open(path: path).unlock(passphrase: SecretBytes(copying: bytes))
                #expect(vault.slotLabel == "default")
                #expect(vault.passphraseIsNotUTF8)
                let warning = try #require(vault.passphraseWarning)
                #expect(warning.contains("twvault passwd"))
                #expect(warning.contains("'default'"))
                #expect(!warning.unicodeScalars.contains("\u{FFFD}"))
            }
            let teammate = try VaultFile.open(path: path).unlock(passphrase: SecretBytes(utf8: VaultFixture.teammate))
            #expect(!teammate.passphraseIsNotUTF8)
            #expect(teammate.passphraseWarning == nil)

            // `passwd`: the owner of the slot picks a UTF-8 passphrase; the byte strings stop working.
            let owner = try VaultFile.open(path: path).unlock(passphrase: SecretBytes(copying: VaultFixture.nonUTF8))
            try owner.changePassphrase(
                label: "default", to: SecretBytes(utf8: "a passphrase in UTF-8 \u{e9}"), limits: TestVault.limits)
            for bytes in [VaultFixture.nonUTF8, Self.colliding] {
                #expect(
                    vaultError { _ = try VaultFile.open(path: path).unlock(passphrase: SecretBytes(copying: bytes)) }
                        == .wrongPassphrase)
            }
            let renewed = try TestVault.unlock(path, passphrase: "a passphrase in UTF-8 e\u{301}")
            #expect(renewed.slotLabel == "default")
            #expect(!renewed.passphraseIsNotUTF8)
            #expect(renewed.verify() == [])
        }
    }
}
