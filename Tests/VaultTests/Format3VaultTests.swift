import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// The fixture `format3.db`, written by the release before member slots (migrations 1-3, its
/// MAC state holding the format-3 slots digest): it opens, migrates to format 4, reads every
/// record, verifies, and takes a member slot, after which the state holds the new digest.
@Suite("Format-3 vaults: open, migrate to member slots, convert the slots digest")
struct Format3VaultTests {
    static let passphrase = "format3 passphrase"
    static let teammate = "teammate passphrase"

    @Test func format3VaultOpensMigratesAndTakesAMember() throws {
        try withTemporaryDirectory { directory in
            let path = try VaultFixture.copy("format3.db", to: directory)
            #expect(try VaultFixture.appliedMigrations(path) == [1, 2, 3])
            let file = try VaultFile.open(path: path)
            #expect(try VaultFixture.appliedMigrations(path) == [1, 2, 3, 4])
            let slots = try file.slots()
            #expect(slots.map(\.label) == ["default", "teammate"])
            #expect(slots.allSatisfy { $0.kind == .passphrase && $0.publicKey == nil })
            let vault = try file.unlock(passphrase: SecretBytes(utf8: Self.teammate))
            #expect(vault.slotLabel == "teammate")
            #expect(try file.profileNames() == ["acme-prod", "acme-staging"])
            let prod = try vault.profile("acme-prod")
            #expect(prod.authToken == "format3-auth-token")
            #expect(prod.apiKeySecret == "format3-api-secret")
            #expect(try vault.profile("acme-staging").authToken == "format3-staging-token")
            // The state still holds the format-3 digest, which stands for passphrase slots only.
            #expect(vault.verify() == [])

            let bob = Identity.generate()
            try vault.addMember(name: "bob", publicKey: bob.publicKey)
            #expect(vault.verify() == [])
            let opened = try VaultFile.open(path: path).unlock(identity: bob)
            #expect(try opened.profile("acme-prod").authToken == "format3-auth-token")
            #expect(opened.memberIdentity?.publicKey == bob.publicKey)

            // From now on the kind is covered: a member slot turned into a passphrase slot's row,
            // or its public key replaced, fails the vault MAC.
            let connection = try Connection(path: path, mode: .readWrite)
            try connection.prepare("UPDATE slot SET public_key = ? WHERE label = 'bob'")
                .bind(.blob(Identity.generate().publicKey)).run()
            #expect(vault.verify().contains { $0.contains("slots") })
        }
    }

    @Test func rekeyKeepsMembersAndRemovesOldCiphertext() throws {
        try withTemporaryDirectory { directory in
            let path = try VaultFixture.copy("format3.db", to: directory)
            let vault = try VaultFile.open(path: path).unlock(passphrase: SecretBytes(utf8: Self.passphrase))
            let bob = Identity.generate()
            try vault.addMember(name: "bob", publicKey: bob.publicKey)
            let generation = try vault.file.lockGeneration()
            let (rekeyed, removed) = try vault.rekey()
            rekeyed.purgeOldCiphertext()
            #expect(removed == ["teammate"])
            #expect(try rekeyed.file.lockGeneration() == generation + 1)
            #expect(rekeyed.verify() == [])
            #expect(try rekeyed.file.slots().map(\.label) == ["bob", "default"])
            #expect(
                throws: VaultError.wrongPassphrase,
                performing: { try VaultFile.open(path: path).unlock(passphrase: SecretBytes(utf8: Self.teammate)) })
            let again = try VaultFile.open(path: path).unlock(passphrase: SecretBytes(utf8: Self.passphrase))
            #expect(try again.profile("acme-prod").authToken == "format3-auth-token")
            #expect(
                try VaultFile.open(path: path).unlock(identity: bob).profile("acme-staging").authToken
                    == "format3-staging-token")
            // The old data key opens nothing in the file.
            let old = try UnlockedVault(file: VaultFile.open(path: path), dataKey: vault.dataKey, slotLabel: nil)
            #expect(throws: VaultError.self, performing: { try old.profile("acme-prod") })
        }
    }
}
