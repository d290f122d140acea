import Foundation
import Testing
import TwVaultTestSupport
import VaultOperations

/// `show`, in process: fields, never secrets.
@Suite struct ShowCommandTests {
    @Test func showsPresenceNotSecrets() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["show", "p"], passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains("auth token       present"))
        #expect(!result.stdout.contains(TestHome.authToken) && !result.stdout.contains(TestHome.apiSecret))
    }

    @Test func theDefaultProfileComesFromTheEnvironment() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["show", "--json"], passphrase: true, env: ["TWVAULT_PROFILE": "p"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains("\"account_sid\""))
    }

    @Test func anUnknownProfileIsNoInput() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["show", "nobody"], passphrase: true)
        #expect(result.exit == .noInput)
    }

    @Test func anInvalidNameIsAUsageError() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["show", "-bad"], passphrase: true)
        #expect(result.exit == .usage)
    }

    // The passphrase channels, through `show`. The fixture's passphrase is `Harness.passphrase`.

    @Test func fileChannelStripsExactlyOneNewline() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        let pw = Harness.passphrase
        let one = h.root.path + "/one"
        let two = h.root.path + "/two"
        let none = h.root.path + "/none"
        try h.write(pw + "\n", to: one)
        try h.write(pw + "\n\n", to: two)
        try h.write(pw, to: none)
        #expect(await h.call(["show", "p", "--passphrase-file", one]).status == 0)
        #expect(await h.call(["show", "p", "--passphrase-file", none]).status == 0)
        #expect(await h.call(["show", "p"], env: ["TWVAULT_PASSPHRASE_FILE": one]).status == 0)
        let wrong = await h.call(["show", "p", "--passphrase-file", two])
        #expect(wrong.status == 77)
        #expect(wrong.stderr.contains("wrong passphrase"))
    }

    @Test func environmentChannelAndWrongPassphrase() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        #expect(await h.call(["show", "p"], env: ["TWVAULT_PASSPHRASE": Harness.passphrase]).status == 0)
        let wrong = await h.call(["show", "p"], env: ["TWVAULT_PASSPHRASE": "Correct horse battery staple"])
        #expect(wrong.status == 77)
    }

    @Test func twoChannelsAreAUsageError() async throws {
        let h = try Harness()
        try h.installFixtureVault()
        let file = h.root.path + "/f"
        try h.write(Harness.passphrase + "\n", to: file)
        var result = await h.call(
            ["show", "p", "--passphrase-file", file], env: ["TWVAULT_PASSPHRASE": Harness.passphrase])
        #expect(result.status == 64)
        result = await h.call(["show", "p"], env: ["TWVAULT_PASSPHRASE_FILE": file, "TWVAULT_PASSPHRASE_FD": "0"])
        #expect(result.status == 64)
    }
}
