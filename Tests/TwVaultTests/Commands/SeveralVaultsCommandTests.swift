import Foundation
import Testing
import TwVaultTestSupport
import VaultOperations

/// DESIGN §10: several vaults unlocked at once, one `TWVAULT_SESSION` entry each, in process.
@Suite struct SeveralVaultsCommandTests {
    static let otherSID = "ACfedcba9876543210fedcba9876543210"

    /// A home with the fixture vault (A, profile `p`) and a second, separately made vault (B,
    /// profile `q`) beside it.
    struct TwoVaults {
        let home: TestHome
        var b: String { home.root + "/vault/b.db" }

        init() async throws {
            home = try TestHome()
            try home.installFixtureVault()
            let made = await home.run(
                ["add", "q", "--stdin", "--kdf", "interactive", "--vault", b],
                stdin: "TWILIO_ACCOUNT_SID=\(SeveralVaultsCommandTests.otherSID)\nTWILIO_AUTH_TOKEN=other-token-1\n",
                passphrase: true)
            #expect(made.exit == .success, "\(made.stderr)")
        }

        /// `eval "$(twvault unlock)"` of A, or of B with `b`, in a shell whose TWVAULT_SESSION is
        /// `inherited`: the new value.
        func unlock(b useB: Bool = false, inherited: String? = nil) async throws -> String {
            let result = await home.run(
                ["unlock"] + (useB ? ["--vault", b] : []), passphrase: true,
                env: inherited.map { ["TWVAULT_SESSION": $0] } ?? [:])
            #expect(result.exit == .success, "\(result.stderr)")
            return try Self.value(result.stdout)
        }

        /// `export` of A's `p`, or of B's `q`, with this TWVAULT_SESSION and no passphrase channel.
        func export(b useB: Bool = false, session: String) async -> CommandResult {
            await home.run(
                useB ? ["export", "q", "--vault", b, "--format", "json"] : ["export", "p", "--format", "json"],
                env: ["TWVAULT_SESSION": session])
        }

        /// The value of `export TWVAULT_SESSION='…'`; nil for `unset TWVAULT_SESSION`.
        static func value(_ stdout: String) throws -> String {
            let prefix = "export TWVAULT_SESSION='"
            try #require(stdout.hasPrefix(prefix) && stdout.hasSuffix("'\n"), "\(stdout)")
            return String(stdout.dropFirst(prefix.count).dropLast(2))
        }
    }

    static func entries(_ value: String) -> [String] { value.split(separator: ":").map(String.init) }

    /// `status --json`'s `unlocked`.
    static func unlocked(_ result: CommandResult) -> Bool? {
        let report = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return report?["unlocked"] as? Bool
    }

    @Test func unlockingASecondVaultKeepsTheFirstAndLockEndsOnlyItsOwn() async throws {
        let vaults = try await TwoVaults()
        let a = try await vaults.unlock()
        let both = try await vaults.unlock(b: true, inherited: a)
        #expect(Self.entries(both).count == 2)
        #expect(Self.entries(both).first == a)

        var result = await vaults.export(session: both)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains(TestHome.accountSID))
        result = await vaults.export(b: true, session: both)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stdout.contains(Self.otherSID))

        // status reports the vault it is asked about.
        for arguments in [["status", "--json"], ["status", "--json", "--vault", vaults.b]] {
            let status = await vaults.home.run(arguments, env: ["TWVAULT_SESSION": both])
            #expect(Self.unlocked(status) == true, "\(arguments): \(status.stdout)")
        }

        // lock A: its entry leaves the value printed with --format; B's stays.
        let lock = await vaults.home.run(["lock", "--format", "sh"], env: ["TWVAULT_SESSION": both])
        #expect(lock.exit == .success, "\(lock.stderr)")
        let rest = try TwoVaults.value(lock.stdout)
        #expect(Self.entries(rest) == [Self.entries(both)[1]])
        result = await vaults.export(b: true, session: rest)
        #expect(result.exit == .success, "\(result.stderr)")
        result = await vaults.export(session: rest)
        #expect(result.exit == .noPermission)
        #expect(result.stderr.contains("holds no unlock of this vault"))
        #expect(!result.stdout.contains(TestHome.accountSID))
        // A shell that kept the whole value (plain `twvault lock`): A is over, B goes on.
        result = await vaults.export(session: both)
        #expect(result.exit == .noPermission)
        #expect(result.stderr.contains("expired or was locked"))
        result = await vaults.export(b: true, session: both)
        #expect(result.exit == .success, "\(result.stderr)")
        let status = await vaults.home.run(["status", "--json"], env: ["TWVAULT_SESSION": both])
        #expect(Self.unlocked(status) == false)

        // With a terminal to ask on, A asks for its passphrase instead.
        let console = TestConsole(terminal: [.standardInput, .standardError], secrets: [TestHome.passphrase])
        result = await vaults.home.run(["export", "p"], env: ["TWVAULT_SESSION": rest], console: console)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(console.prompts.count == 1)

        // Locking B, the last: the line unsets the variable.
        let last = await vaults.home.run(
            ["lock", "--vault", vaults.b, "--format", "sh"], env: ["TWVAULT_SESSION": rest])
        #expect(last.exit == .success)
        #expect(last.stdout == "unset TWVAULT_SESSION\n")
        let fish = await vaults.home.run(["lock", "--format", "fish"], env: ["TWVAULT_SESSION": rest])
        #expect(fish.stdout.hasPrefix("set -gx TWVAULT_SESSION '"))
    }

    @Test func lockWithoutFormatPrintsNothing() async throws {
        let vaults = try await TwoVaults()
        let both = try await vaults.unlock(b: true, inherited: try await vaults.unlock())
        let lock = await vaults.home.run(["lock"], env: ["TWVAULT_SESSION": both])
        #expect(lock.exit == .success)
        #expect(lock.stdout.isEmpty)
        #expect(lock.stderr.contains("ended 1 unlock"))
    }

    @Test func unlockingAVaultAgainReplacesItsEntry() async throws {
        let vaults = try await TwoVaults()
        let a = try await vaults.unlock()
        let both = try await vaults.unlock(b: true, inherited: a)
        let again = try await vaults.unlock(inherited: both)
        let entries = Self.entries(again)
        #expect(entries.count == 2)
        #expect(!entries.contains(a))
        #expect(entries.first == Self.entries(both)[1])
        let twice = try await vaults.unlock(b: true, inherited: again)
        #expect(Self.entries(twice).count == 2)
        #expect(!Self.entries(twice).contains(Self.entries(both)[1]))
        #expect(await vaults.export(session: twice).exit == .success)
        #expect(await vaults.export(b: true, session: twice).exit == .success)
    }

    @Test func anOldSingleEntryValueStillOpensAndIsKeptByAnotherUnlock() async throws {
        let vaults = try await TwoVaults()
        let a = try await vaults.unlock()
        // As twvault 0.1 printed it: no vault id in the token.
        let old = "twv1." + a.suffix(64)
        var result = await vaults.export(session: old)
        #expect(result.exit == .success, "\(result.stderr)")
        let both = try await vaults.unlock(b: true, inherited: old)
        #expect(Self.entries(both).first == a, "the old token, now naming its vault")
        result = await vaults.export(session: both)
        #expect(result.exit == .success, "\(result.stderr)")
        result = await vaults.export(b: true, session: both)
        #expect(result.exit == .success, "\(result.stderr)")
        // And lock takes it out like any other entry of its vault.
        let lock = await vaults.home.run(["lock", "--format", "sh"], env: ["TWVAULT_SESSION": "\(old):\(both)"])
        #expect(try TwoVaults.value(lock.stdout) == Self.entries(both)[1])
    }

    @Test func garbageEntriesAreIgnoredButAValueWithNothingUsableIsRefused() async throws {
        let vaults = try await TwoVaults()
        let a = try await vaults.unlock()
        var result = await vaults.export(session: "junk:twv2.nope::\(a):twv1.!!")
        #expect(result.exit == .success, "\(result.stderr)")
        result = await vaults.export(session: "junk:twv2.nope")
        #expect(result.exit == .noPermission)
        #expect(result.stderr.contains("TWVAULT_SESSION is not valid for this vault"))
        // unlock keeps only well-formed entries of other vaults.
        let b = try await vaults.unlock(b: true, inherited: "junk:\(a)::twv1.!!")
        #expect(Self.entries(b).count == 2 && Self.entries(b).first == a)
    }

    @Test func execChildrenGetNoSessionWhateverItHolds() async throws {
        let vaults = try await TwoVaults()
        let both = try await vaults.unlock(b: true, inherited: try await vaults.unlock())
        let launcher = RecordingLauncher()
        let result = await vaults.home.run(
            ["exec", "p", "--", "env"], env: ["TWVAULT_SESSION": both], processes: launcher)
        #expect(result.exit == .success, "\(result.stderr)")
        let launch = try #require(launcher.recorded.first)
        #expect(launch.environment["TWILIO_AUTH_TOKEN"] == TestHome.authToken)
        #expect(launch.environment["TWVAULT_SESSION"] == nil)
    }
}
