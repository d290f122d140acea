import Foundation
import Testing
import TwVaultTestSupport
import VaultOperations

/// `remove` and `rename`, in process.
@Suite struct RemoveCommandTests {
    @Test func removeNeedsYesWithoutATerminal() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        var result = await home.run(["remove", "p"], passphrase: true)
        #expect(result.exit == .usage)
        #expect(result.stderr.contains("--yes"))
        #expect((await home.run(["list"])).stdout == "p\n")
        result = await home.run(["remove", "p", "--yes"], passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect((await home.run(["list"])).stdout == "")
    }

    @Test func declinedOnATerminalKeepsTheProfile() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let console = TestConsole(terminal: [.standardInput], answers: [false])
        let result = await home.run(["remove", "p"], passphrase: true, console: console)
        #expect(result.exit != .success)
        #expect(console.prompts.contains { $0.contains("Delete profile 'p'") })
        #expect((await home.run(["list"])).stdout == "p\n")
    }
}

@Suite struct RenameCommandTests {
    @Test func renameMovesEveryRecord() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let taken = await home.run(
            ["add", "taken", "--stdin"], stdin: "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=x\n")
        #expect(taken.exit == .success, "\(taken.stderr)")
        var result = await home.run(["rename", "p", "taken"])
        #expect(result.exit == .cannotCreate)
        result = await home.run(["rename", "p", "q"])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect((await home.run(["list"])).stdout == "q\ntaken\n")
        result = await home.run(["export", "q", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String]
        #expect(object?["TWILIO_AUTH_TOKEN"] == TestHome.authToken)
        #expect(object?["TWVAULT_PROFILE"] == "q")
        #expect((await home.run(["verify"])).exit == .success)
        result = await home.run(["rename", "q", "q"])
        #expect(result.exit != .success)
    }

    @Test func renameOntoAnExistingProfileIsRefused() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        _ = await home.run(
            ["add", "other", "--stdin"], stdin: "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=x\n",
            passphrase: true)
        let result = await home.run(["rename", "p", "other"], passphrase: true)
        #expect(result.exit == .cannotCreate)
    }
}
