import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// The independent reader (written from docs/FORMAT.md) on format-4 vaults: it opens a member
/// slot through an identity file, checks the format-4 slots digest, and agrees that a changed
/// slot kind or public key is tampering.
@Suite("Independent format reader: member slots")
struct FormatReaderMemberTests {
    @Test func readerOpensAMemberSlotAndChecksTheSlotsDigest() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            let vault = try TestVault.create(path, passphrase: "owner passphrase")
            let record = TestVault.profile(90)
            try vault.addProfile("acme-prod", record)
            let bob = Identity.generate()
            let identityPath = "\(directory)/config/twvault/identity"
            try IdentityFile.create(
                at: identityPath, identity: bob, passphrase: SecretBytes(utf8: "bob's passphrase"),
                limits: TestVault.limits)
            try vault.addMember(name: "bob", publicKey: bob.publicKey)

            let asBob = try FormatReaderTests.run(
                ["--identity", identityPath, path], environment: ["TWVAULT_PASSPHRASE": "bob's passphrase"])
            #expect(asBob.status == 0, "\(asBob.stderr)")
            FormatReaderTests.expectProfile(asBob.json["acme-prod"]?["profile"], equals: record)
            let wrong = try FormatReaderTests.run(
                ["--identity", identityPath, path], environment: ["TWVAULT_PASSPHRASE": "owner passphrase"])
            #expect(wrong.status == 77)
            let owner = try FormatReaderTests.run([path], environment: ["TWVAULT_PASSPHRASE": "owner passphrase"])
            #expect(owner.status == 0, "\(owner.stderr)")

            // After a rekey the reader still agrees, and the old slot of a removed member is gone.
            let owner2 = try VaultFile.open(path: path).unlock(passphrase: SecretBytes(utf8: "owner passphrase"))
            let (rekeyed, _) = try owner2.rekey(removing: ["bob"])
            rekeyed.purgeOldCiphertext()
            let removed = try FormatReaderTests.run(
                ["--identity", identityPath, path], environment: ["TWVAULT_PASSPHRASE": "bob's passphrase"])
            #expect(removed.status == 77)
            try rekeyed.addMember(name: "bob", publicKey: bob.publicKey)

            let connection = try Connection(path: path, mode: .readWrite)
            try connection.prepare("UPDATE slot SET public_key = ? WHERE label = 'bob'")
                .bind(.blob(Identity.generate().publicKey)).run()
            let tampered = try FormatReaderTests.run([path], environment: ["TWVAULT_PASSPHRASE": "owner passphrase"])
            #expect(tampered.status == 65)
            #expect(tampered.stderr.contains("slots"))
        }
    }
}
