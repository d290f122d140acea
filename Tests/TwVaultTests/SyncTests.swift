import Foundation
import Testing
import TwVaultTestSupport
import Vault
import VaultOperations

/// `clone` and `sync` with the real git and a bare repository on the local disk (DESIGN §12).
@Suite struct SyncTests {
    static let git = SystemProcessLauncher()

    /// A bare repository in a home of its own.
    final class Remote: @unchecked Sendable {
        let home: TestHome
        var path: String { home.root + "/team.git" }

        init() throws {
            home = try TestHome()
            try Self.git(["init", "--bare", "--quiet", path])
        }

        /// Runs git in a scratch work tree of the repository (someone with push access).
        @discardableResult
        static func git(_ arguments: [String], in directory: String? = nil) throws -> String {
            var argv = ["git"]
            if let directory { argv += ["-C", directory] }
            argv += ["-c", "user.name=mallory", "-c", "user.email=m@example.invalid"] + arguments
            let result = try SyncTests.git.capture(
                argv, environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/nonexistent"], input: [])
            guard result.status == 0 else {
                throw OperationError.temporary(
                    "git \(arguments.joined(separator: " ")): \(String(decoding: result.errorOutput, as: UTF8.self))")
            }
            return String(decoding: result.output, as: UTF8.self)
        }

        /// Checks the repository out, lets `edit` change the work tree, commits and pushes.
        func tamper(_ edit: (String) throws -> Void) throws {
            let work = home.root + "/work-\(UUID().uuidString)"
            try Self.git(["clone", "--quiet", "--branch", "main", path, work])
            try edit(work)
            try Self.git(["add", "-A"], in: work)
            try Self.git(["commit", "--quiet", "-m", "tamper"], in: work)
            try Self.git(["push", "--quiet", "origin", "HEAD:main"], in: work)
        }
    }

    static func add(_ home: TestHome, _ name: String, token: String) async -> CommandResult {
        await home.run(
            ["add", name, "--stdin", "--force"],
            stdin: "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=\(token)\n")
    }

    static func sync(_ home: TestHome, _ extra: [String] = []) async -> CommandResult {
        await home.run(["sync"] + extra, processes: git)
    }

    static func names(_ home: TestHome) async -> [String] {
        await home.run(["list"]).stdout.split(separator: "\n").map(String.init)
    }

    static func token(_ home: TestHome, _ profile: String) async -> String? {
        let output = await home.run(["export", profile, "--format", "dotenv"]).stdout
        return output.split(separator: "\n").first { $0.hasPrefix("TWILIO_AUTH_TOKEN=") }
            .map { String($0.dropFirst("TWILIO_AUTH_TOKEN=".count)).replacingOccurrences(of: "'", with: "") }
    }

    /// A creates the vault (the fixture) and pushes it; each other home clones it.
    static func team(_ count: Int, remote: Remote) async throws -> [TestHome] {
        let a = try TestHome()
        try a.installFixtureVault(unlocked: true)
        let first = await sync(a, ["--remote", remote.path])
        #expect(first.exit == .success, "\(first.stderr)")
        var homes = [a]
        for _ in 1..<count {
            let home = try TestHome()
            let cloned = await home.run(["clone", remote.path], passphrase: true, processes: git)
            #expect(cloned.exit == .success, "\(cloned.stderr)")
            try await home.unlock()
            homes.append(home)
        }
        return homes
    }

    /// Three users with identities of their own sharing through `remote`: A (the fixture vault,
    /// passphrase `TestHome.passphrase`) adds B and C as members and pushes; B and C clone with
    /// their own passphrases (their identities open member slots of the repository) and export.
    struct MemberTeam {
        let a: TeamTests.User
        let b: TeamTests.User
        let c: TeamTests.User

        static func make(remote: Remote) async throws -> MemberTeam {
            let team = try await TeamTests.Team.make()
            let members = MemberTeam(a: team.a, b: team.b, c: team.c)
            let first = await run(members.a, ["sync", "--remote", remote.path])
            #expect(first.exit == .success, "\(first.stderr)")
            for user in [members.b, members.c] {
                let cloned = await run(user, ["clone", remote.path])
                #expect(cloned.exit == .success, "\(cloned.stderr)")
                let export = await run(user, ["export", "p", "--format", "dotenv"])
                #expect(export.stdout.contains(TestHome.authToken), "\(export.stderr)")
            }
            return members
        }

        /// Runs a command as `user`: with their own passphrase, or (`session`) with none, so
        /// only an unlock session in their home's environment opens the vault.
        static func run(_ user: TeamTests.User, _ arguments: [String], session: Bool = false) async -> CommandResult {
            var env = user.configEnvironment
            if !session { env["TWVAULT_PASSPHRASE"] = user.passphrase }
            return await user.home.run(
                arguments, env: env, removing: session ? ["TWVAULT_PASSPHRASE_FILE"] : [], processes: SyncTests.git)
        }
    }

    /// Members, not a shared passphrase: every command of each user runs with that user's own
    /// identity and passphrase.
    @Test func threeUsersMergeEditsConflictsAndDeletions() async throws {
        let remote = try Remote()
        let team = try await MemberTeam.make(remote: remote)
        for user in [team.a, team.b, team.c] {
            user.home.environment.merge(user.configEnvironment) { $1 }
            user.home.environment["TWVAULT_PASSPHRASE"] = user.passphrase
        }
        let homes = [team.a.home, team.b.home, team.c.home]
        let (a, b, c) = (homes[0], homes[1], homes[2])
        for home in [b, c] {
            #expect(await Self.token(home, "p") == TestHome.authToken)
        }

        // Two rounds of edits of different profiles on A and B: all survive.
        for round in 1...2 {
            #expect(await Self.add(a, "a\(round)", token: "token-a\(round)").exit == .success)
            #expect(await Self.add(b, "b\(round)", token: "token-b\(round)").exit == .success)
            #expect(await Self.sync(a).exit == .success)
            #expect(await Self.sync(b).exit == .success)
            #expect(await Self.sync(a).exit == .success)
        }
        let everything = ["a1", "a2", "b1", "b2", "p"]
        #expect(await Self.names(a) == everything)
        #expect(await Self.names(b) == everything)
        #expect(await Self.token(a, "b2") == "token-b2")
        #expect(await Self.token(b, "a1") == "token-a1")

        // The same profile changed on both sides: both versions stay, and sync says so.
        #expect(await Self.add(a, "p", token: "token-from-a").exit == .success)
        #expect(await Self.add(b, "p", token: "token-from-b").exit == .success)
        #expect(await Self.sync(a).exit == .success)
        let conflicted = await Self.sync(b)
        #expect(conflicted.exit == .success, "\(conflicted.stderr)")
        #expect(conflicted.stdout.contains("profile 'p' changed on both sides"))
        #expect(conflicted.stdout.contains("'p.conflict-1'"))
        #expect(await Self.sync(a).exit == .success)
        for home in [a, b] {
            let names = await Self.names(home)
            #expect(names.contains("p.conflict-1"))
            let kept = await Self.token(home, "p")
            let copy = await Self.token(home, "p.conflict-1")
            let tokens: Set<String?> = [kept, copy]
            #expect(tokens == ["token-from-a", "token-from-b"])
        }
        let tokenA = await Self.token(a, "p")
        let tokenB = await Self.token(b, "p")
        #expect(tokenA == tokenB)

        // A deletion of an unchanged record on one side propagates.
        #expect(await a.run(["remove", "a1", "--yes"]).exit == .success)
        #expect(await Self.sync(a).exit == .success)
        #expect(await Self.sync(b).exit == .success)
        let afterRemoval = await Self.names(b)
        #expect(!afterRemoval.contains("a1"))

        // C, which did nothing, catches up with everything in one sync.
        let caughtUp = await Self.sync(c)
        #expect(caughtUp.exit == .success, "\(caughtUp.stderr)")
        let namesC = await Self.names(c)
        let namesB = await Self.names(b)
        #expect(namesC == namesB)
        #expect(await Self.token(c, "a2") == "token-a2")
        for home in homes {
            #expect(await home.run(["verify"]).exit == .success)
        }
    }

    enum Tampering: String, CaseIterable, Sendable {
        case swapRecords, rollBackRecord, forgeSlot, dropManifestEntry, rollBackRepository
    }

    @Test("a pushed commit that fails its checks is refused and changes nothing", arguments: Tampering.allCases)
    func tamperedRepositoryIsRefused(_ tampering: Tampering) async throws {
        let remote = try Remote()
        let homes = try await Self.team(2, remote: remote)
        let (a, b) = (homes[0], homes[1])
        #expect(await Self.add(a, "q", token: "token-q1").exit == .success)
        #expect(await Self.sync(a).exit == .success)
        #expect(await Self.add(a, "q", token: "token-q2").exit == .success)
        #expect(await Self.sync(a).exit == .success)
        #expect(await Self.sync(b).exit == .success)
        #expect(await Self.token(b, "q") == "token-q2")
        let hexP = "70"
        let hexQ = "71"
        try remote.tamper { work in
            let records = work + "/records"
            switch tampering {
            case .swapRecords:
                let p = try Data(contentsOf: URL(fileURLWithPath: "\(records)/\(hexP)/profile"))
                let q = try Data(contentsOf: URL(fileURLWithPath: "\(records)/\(hexQ)/profile"))
                try q.write(to: URL(fileURLWithPath: "\(records)/\(hexP)/profile"))
                try p.write(to: URL(fileURLWithPath: "\(records)/\(hexQ)/profile"))
            case .rollBackRecord:
                let log = try Remote.git(["log", "--format=%H", "--", "records/\(hexQ)/profile"], in: work)
                let older = log.split(separator: "\n")[1]
                try Remote.git(["checkout", String(older), "--", "records/\(hexQ)/profile"], in: work)
            case .forgeSlot:
                let label = Array("mallory".utf8).map { String(format: "%02x", $0) }.joined()
                let slot = try Data(contentsOf: URL(fileURLWithPath: "\(work)/slots/64656661756c74"))
                try slot.write(to: URL(fileURLWithPath: "\(work)/slots/\(label)"))
            case .dropManifestEntry:
                try FileManager.default.removeItem(atPath: "\(records)/\(hexQ)/profile")
            case .rollBackRepository:
                let log = try Remote.git(["log", "--format=%H"], in: work)
                let older = log.split(separator: "\n")[1]
                try Remote.git(["checkout", String(older), "--", "."], in: work)
            }
        }
        let before = try VaultState(b)
        let refused = await Self.sync(b)
        #expect(refused.exit == .dataError, "\(refused.stderr)")
        #expect(refused.stderr.hasPrefix("twvault: ") && refused.stderr.split(separator: "\n").count == 1)
        #expect(try VaultState(b) == before)
        #expect(await Self.token(b, "q") == "token-q2")
        #expect(await b.run(["verify"]).exit == .success)
    }

    /// The vault file and the mirror's merged commit: what a refused sync must leave alone.
    struct VaultState: Equatable {
        var database: Data
        var base: String

        init(_ home: TestHome) throws {
            database = try Data(contentsOf: URL(fileURLWithPath: home.vaultPath))
            base = try Remote.git(["--git-dir=\(home.vaultPath).sync", "rev-parse", "refs/twvault/base"])
        }
    }

    @Test func aMissingRemoteIs66AndABadURLIs64() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let none = await Self.sync(home)
        #expect(none.exit == .noInput)
        #expect(none.stderr.contains("--remote"))
        let missing = await Self.sync(home, ["--remote", home.root + "/no-such.git"])
        #expect(missing.exit == .noInput, "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1)
        let dash = await Self.sync(home, ["--remote=--upload-pack=touch /tmp/x"])
        #expect(dash.exit == .usage)
        let clone = await home.run(["clone", "--", "-x"], processes: Self.git)
        #expect(clone.exit == .usage)
        let cloneMissing = try TestHome()
        let result = await cloneMissing.run(
            ["clone", home.root + "/no-such.git"], passphrase: true, processes: Self.git)
        #expect(result.exit == .noInput)
        #expect(!FileManager.default.fileExists(atPath: cloneMissing.vaultPath))
    }

    @Test func gitFailuresAre75AndChangeNothing() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        // Nothing listens on port 1: the fetch fails as a network failure does.
        let unreachable = await Self.sync(home, ["--remote", "http://127.0.0.1:1/team.git"])
        #expect(unreachable.exit == .temporaryFailure, "\(unreachable.stderr)")
        #expect(unreachable.stderr.split(separator: "\n").count == 1)
        // A token in the URL is never shown.
        let withToken = await Self.sync(home, ["--remote", "http://alice:s3cr3t-token@127.0.0.1:1/team.git"])
        #expect(withToken.exit == .temporaryFailure)
        #expect(!withToken.stderr.contains("s3cr3t-token"), "\(withToken.stderr)")
        #expect(withToken.stderr.contains("http://…@127.0.0.1:1/team.git"))
        // No git on PATH at all.
        let noGit = await home.run(["sync"], env: ["PATH": home.root], processes: Self.git)
        #expect(noGit.exit == .temporaryFailure)
        #expect(noGit.stderr.contains("git is not installed"))
        #expect(await home.run(["verify"]).exit == .success)
    }

    @Test func aSecondSyncOfTheSameVaultWaitsForNoneAndIsRefused() async throws {
        let remote = try Remote()
        let homes = try await Self.team(1, remote: remote)
        let lockPath = homes[0].vaultPath + ".sync.lock"
        // Close-on-exec: processes other tests start meanwhile must not inherit the lock.
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let busy = await Self.sync(homes[0])
        #expect(busy.exit == .temporaryFailure, "\(busy.stderr)")
        #expect(busy.stderr.contains("another sync"), "\(busy.stderr)")
        #expect(flock(fd, LOCK_UN) == 0)
        let after = await Self.sync(homes[0])
        #expect(after.exit == .success, "\(after.stderr)")
    }

    @Test func aRefusedPushIs75AndTheNextSyncCompletes() async throws {
        let remote = try Remote()
        let homes = try await Self.team(2, remote: remote)
        let (a, b) = (homes[0], homes[1])
        #expect(await Self.add(a, "fromA", token: "token-a").exit == .success)
        #expect(await Self.add(b, "fromB", token: "token-b").exit == .success)
        #expect(await Self.sync(a).exit == .success)
        #expect(await Self.add(a, "again", token: "token-again").exit == .success)
        let hook = remote.path + "/hooks/pre-receive"
        let marker = remote.home.root + "/hook-ran"
        try TestHome.write(
            """
            #!/bin/sh
            if [ ! -e '\(marker)' ]; then touch '\(marker)'; echo 'refused once' >&2; exit 1; fi
            exit 0

            """, to: hook, mode: 0o700)
        let result = await Self.sync(b)
        // A hook refusal is "remote rejected" without "cannot lock ref": a failure, not a race.
        #expect(result.exit == .temporaryFailure)
        #expect(FileManager.default.fileExists(atPath: marker))
        // Once the repository accepts again, the next sync completes the merge.
        let again = await Self.sync(b)
        #expect(again.exit == .success, "\(again.stderr)")
        #expect(await Self.sync(a).exit == .success)
        #expect(await Self.names(a) == ["again", "fromA", "fromB", "p"])
    }
    /// Someone pushes first, deterministically: a `pre-push` hook in A's mirror (`<vault>.sync`)
    /// runs B's `twvault sync` (the built binary, as B) once, after git has read the remote's
    /// branch and before A's commit is sent. B's push lands in between, the repository refuses
    /// A's stale update, and A's sync fetches again, merges B's change and pushes.
    @Test func aPushAfterSomeoneElsePushedFirstIsRetriedAndMerged() async throws {
        let remote = try Remote()
        let homes = try await Self.team(2, remote: remote)
        let (a, b) = (homes[0], homes[1])
        #expect(await Self.add(a, "fromA", token: "token-a").exit == .success)
        #expect(await Self.add(b, "fromB", token: "token-b").exit == .success)
        let before = try Remote.git(["--git-dir=\(remote.path)", "rev-parse", "main"])

        let hooks = a.vaultPath + ".sync/hooks"
        try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
        let marker = a.root + "/competitor-pushed"
        let log = a.root + "/competitor.log"
        let environment = b.baseEnvironment(passphrase: true).sorted { $0.key < $1.key }
            .map { "'\($0.key)=\($0.value)'" }.joined(separator: " ")
        try TestHome.write(
            """
            #!/bin/sh
            cat >/dev/null
            if [ ! -e '\(marker)' ]; then
                touch '\(marker)'
                env -i \(environment) '\(Harness.binary)' sync >'\(log)' 2>&1 || exit 1
            fi
            exit 0

            """, to: hooks + "/pre-push", mode: 0o700)

        let synced = await Self.sync(a)
        let competitor = String(decoding: TestHome.read(log) ?? [], as: UTF8.self)
        #expect(synced.exit == .success, "\(synced.stderr) / B: \(competitor)")
        #expect(FileManager.default.fileExists(atPath: marker))
        #expect(competitor.contains("0 change(s) taken, 1 sent"), "\(competitor)")
        // A's first push was refused; the retry took B's change and sent A's.
        #expect(synced.stderr.contains("1 change(s) taken, 1 sent"), "\(synced.stderr)")

        // The repository: A's commit on top of B's, on top of what A had fetched first.
        let headB = try Remote.git(["--git-dir=\(b.vaultPath).sync", "rev-parse", "refs/twvault/base"])
        let parents = try Remote.git(["--git-dir=\(remote.path)", "log", "--format=%P", "-n", "2", "main"])
        #expect(parents == headB + before)
        let work = remote.home.root + "/after-race"
        try Remote.git(["clone", "--quiet", "--branch", "main", remote.path, work])
        #expect(FileManager.default.fileExists(atPath: work + "/records/66726f6d41/profile"))
        #expect(FileManager.default.fileExists(atPath: work + "/records/66726f6d42/profile"))

        // Both changes reach both vaults.
        #expect(await Self.names(a) == ["fromA", "fromB", "p"])
        #expect(await Self.token(a, "fromB") == "token-b")
        #expect(await Self.sync(b).exit == .success)
        #expect(await Self.names(b) == ["fromA", "fromB", "p"])
        #expect(await Self.token(b, "fromA") == "token-a")
        for home in homes {
            #expect(await home.run(["verify"]).exit == .success)
        }
    }
    /// `Tests/format-reader/read_repository.py`, written from docs/FORMAT.md alone, reads the
    /// repository and refuses it once a file is swapped.
    @Test func theIndependentReaderReadsTheRepository() async throws {
        let remote = try Remote()
        let homes = try await Self.team(1, remote: remote)
        #expect(await Self.add(homes[0], "q", token: "token-q").exit == .success)
        #expect(await Self.sync(homes[0]).exit == .success)
        let work = remote.home.root + "/checkout"
        try Remote.git(["clone", "--quiet", "--branch", "main", remote.path, work])
        let reader = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("format-reader/read_repository.py").path
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TWVAULT_") }
        environment["TWVAULT_PASSPHRASE"] = TestHome.passphrase
        let read = try Self.git.capture(["python3", reader, work], environment: environment, input: [])
        #expect(read.status == 0, "\(String(decoding: read.errorOutput, as: UTF8.self))")
        let json = try JSONSerialization.jsonObject(with: Data(read.output)) as? [String: [String: [String: Any]]]
        #expect(json?["q"]?["profile"]?["auth_token"] as? String == "token-q")
        #expect(json?["p"]?["profile"]?["auth_token"] as? String == TestHome.authToken)
        let p = work + "/records/70/profile"
        let q = work + "/records/71/profile"
        let pBytes = try Data(contentsOf: URL(fileURLWithPath: p))
        try Data(contentsOf: URL(fileURLWithPath: q)).write(to: URL(fileURLWithPath: p))
        try pBytes.write(to: URL(fileURLWithPath: q))
        let refused = try Self.git.capture(["python3", reader, work], environment: environment, input: [])
        #expect(refused.status == 65)
    }
    /// Members instead of a shared passphrase: B and C clone with their own passphrases (their
    /// identities open member slots in the repository); edits merge; `member remove carol` on
    /// A and a sync rekey the repository; B's next sync takes the new key through B's member
    /// slot without asking for anything; C's identity opens nothing written afterwards (77),
    /// while C's old local copy stays C's.
    @Test func membersShareAndARekeyIsFollowedByMembersOnly() async throws {
        let remote = try Remote()
        let team = try await MemberTeam.make(remote: remote)
        let (a, b, c) = (team.a, team.b, team.c)
        func run(_ user: TeamTests.User, _ arguments: [String], session: Bool = false) async -> CommandResult {
            await MemberTeam.run(user, arguments, session: session)
        }
        // B works from an unlock session made through B's member slot.
        let unlocked = await run(b, ["unlock", "--ttl", "10m"])
        let line = unlocked.stdout.split(separator: "\n").first.map(String.init) ?? ""
        b.home.environment["TWVAULT_SESSION"] = String(line.dropFirst("export TWVAULT_SESSION='".count).dropLast())

        for round in 1...2 {
            let lines = "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=token-b\(round)\n"
            let byA = await a.home.run(
                ["add", "a\(round)", "--stdin"], stdin: lines,
                env: a.configEnvironment.merging(["TWVAULT_PASSPHRASE": a.passphrase]) { $1 })
            #expect(byA.exit == .success, "\(byA.stderr)")
            let added = await b.home.run(
                ["add", "b\(round)", "--stdin"], stdin: lines, env: b.configEnvironment, processes: Self.git)
            #expect(added.exit == .success, "\(added.stderr)")
            #expect(await run(a, ["sync"]).exit == .success)
            #expect(await run(b, ["sync"], session: true).exit == .success)
            #expect(await run(a, ["sync"]).exit == .success)
        }
        let listed = await run(a, ["list"])
        #expect(listed.stdout.contains("b2") && listed.stdout.contains("a2"))

        // A removes carol: a rekey, pushed by A's next sync.
        let removed = await run(a, ["member", "remove", "carol", "--yes"])
        #expect(removed.exit == .success, "\(removed.stderr)")
        let pushed = await run(a, ["sync"])
        #expect(pushed.exit == .success, "\(pushed.stderr)")
        let lines = "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=token-after\n"
        let aEnvironment = a.configEnvironment.merging(["TWVAULT_PASSPHRASE": a.passphrase]) { $1 }
        #expect(await a.home.run(["add", "after", "--stdin"], stdin: lines, env: aEnvironment).exit == .success)
        #expect(await run(a, ["sync"]).exit == .success)

        // B: no passphrase given, only the session: the sync takes the new key by itself.
        let adopted = await run(b, ["sync"], session: true)
        #expect(adopted.exit == .success, "\(adopted.stderr)")
        #expect(adopted.stderr.contains("rekeyed"))
        let export = await run(b, ["export", "after", "--format", "dotenv"])
        #expect(export.stdout.contains("token-after"), "\(export.stderr)")
        #expect(await run(b, ["verify"]).exit == .success)

        // C: its identity opens nothing written since; its own old copy still opens.
        let refused = await run(c, ["sync"])
        #expect(refused.exit == .noPermission, "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
        let work = remote.home.root + "/after-rekey"
        try Remote.git(["clone", "--quiet", "--branch", "main", remote.path, work])
        let cloneByC = await run(c, ["--vault", c.home.root + "/again.db", "clone", remote.path])
        #expect(cloneByC.exit == .noPermission)
        #expect(!FileManager.default.fileExists(atPath: c.home.root + "/again.db"))
        let old = await run(c, ["export", "p", "--format", "dotenv"])
        #expect(old.exit == .success)
        #expect(!(await run(c, ["list"])).stdout.contains("after"))
    }
}
