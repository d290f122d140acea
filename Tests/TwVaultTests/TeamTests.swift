import Foundation
import Testing
import TwVaultTestSupport
import Vault
import VaultCrypto
import VaultOperations
import VaultStore

/// Identities, member slots and rekeying (DESIGN §12), with three users: three homes, each
/// with its own XDG_CONFIG_HOME, identity and passphrase, sharing one vault file by copies.
@Suite struct TeamTests {
    /// One user: a home, an identity directory and a passphrase of their own.
    final class User: Sendable {
        let home: TestHome
        let passphrase: String
        init(_ passphrase: String) throws {
            home = try TestHome()
            self.passphrase = passphrase
            mkdir(home.root + "/config", 0o700)
        }
        var configEnvironment: [String: String] { ["XDG_CONFIG_HOME": home.root + "/config"] }
        var identityPath: String { home.root + "/config/twvault/identity" }

        /// Runs a command as this user, with their own passphrase.
        func run(_ arguments: [String], stdin: String? = nil, env: [String: String] = [:]) async -> CommandResult {
            var extra = configEnvironment.merging(["TWVAULT_PASSPHRASE": passphrase]) { $1 }
            for (key, value) in env { extra[key] = value }
            return await home.run(arguments, stdin: stdin, env: extra)
        }

        /// `identity new` (INTERACTIVE limits, for speed); returns the public key line.
        func makeIdentity() async throws -> String {
            let result = await run(
                ["identity", "new", "--kdf", "interactive"], env: ["TWVAULT_NEW_PASSPHRASE": passphrase])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.trimmingCharacters(in: .newlines)
        }

        /// Places a copy of `other`'s vault file (folded into one file first) at this home's path.
        func receiveCopy(of other: User) throws {
            let connection = try Connection(path: other.home.vaultPath, mode: .readWrite)
            try connection.checkpoint()
            mkdir(home.root + "/vault", 0o700)
            let bytes = try #require(TestHome.read(other.home.vaultPath))
            unlink(home.vaultPath + "-wal")
            unlink(home.vaultPath + "-shm")
            try TestHome.write(bytes, to: home.vaultPath)
        }
    }

    /// A: the fixture vault (profile `p`, passphrase `TestHome.passphrase`), B and C members.
    struct Team {
        let a: User
        let b: User
        let c: User
        let bKey: String
        let cKey: String

        static func make() async throws -> Team {
            let a = try User(TestHome.passphrase)
            try a.home.installFixtureVault()
            let b = try User("bob's own passphrase")
            let c = try User("carol's own passphrase")
            let bKey = try await b.makeIdentity()
            let cKey = try await c.makeIdentity()
            for (name, key) in [("bob", bKey), ("carol", cKey)] {
                let added = await a.run(["member", "add", name, key])
                #expect(added.status == 0, "\(added.stderr)")
            }
            return Team(a: a, b: b, c: c, bKey: bKey, cKey: cKey)
        }
    }

    static func sealedRecord(_ path: String, profile: String = "p") throws -> [UInt8] {
        let connection = try Connection(path: path, mode: .readOnly)
        let statement = try connection.prepare("SELECT sealed FROM record WHERE profile = ? AND kind = 'profile'")
        try statement.bind(.text(profile))
        guard try statement.step() else { throw VaultError.profileNotFound(profile) }
        return try statement.requireBlob(0)
    }

    static func fileBytes(_ path: String) -> [UInt8] {
        (TestHome.read(path) ?? []) + (TestHome.read(path + "-wal") ?? [])
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return false }
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == first && haystack[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    @Test func identityIsPrivateAndShowsItsKey() async throws {
        let b = try User("bob's own passphrase")
        let key = try await b.makeIdentity()
        #expect(key.hasPrefix("twvault-pub1-"))
        #expect(key.count == "twvault-pub1-".count + 72)
        var info = stat()
        #expect(stat(b.identityPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let shown = await b.run(["identity", "show"], env: ["TWVAULT_PASSPHRASE": "unused"])
        #expect(shown.status == 0)
        #expect(shown.stdout == key + "\n")
        let again = await b.run(["identity", "new", "--kdf", "interactive"], env: ["TWVAULT_NEW_PASSPHRASE": "x"])
        #expect(again.status == ExitStatus.cannotCreate.rawValue)
        #expect(await b.run(["identity", "show"]).stdout == key + "\n")
        let nobody = try User("x")
        let missing = await nobody.run(["identity", "show"])
        #expect(missing.status == ExitStatus.noInput.rawValue)
        #expect(missing.stderr.split(separator: "\n").count == 1)
        #expect(!(TestHome.read(b.identityPath) ?? []).isEmpty)
        let secretFree = [shown.stdout, shown.stderr]
        for text in secretFree { #expect(!text.contains(b.passphrase)) }
    }

    @Test func aMistypedPublicKeyIsRefused() async throws {
        let a = try User(TestHome.passphrase)
        try a.home.installFixtureVault()
        let b = try User("bob's own passphrase")
        let key = try await b.makeIdentity()
        let before = Self.fileBytes(a.home.vaultPath)
        var typo = Array(key)
        let position = typo.count - 10
        typo[position] = typo[position] == "0" ? "1" : "0"
        for bad in [String(typo), "twvault-pub1-00", "ssh-ed25519 AAAA", key + "00"] {
            let result = await a.run(["member", "add", "bob", bad])
            #expect(result.status == ExitStatus.usage.rawValue, "\(bad): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
        #expect(Self.fileBytes(a.home.vaultPath) == before)
        let list = await a.run(["member", "list", "--json"])
        #expect(!list.stdout.contains("bob"))
    }

    /// The whole flow: B and C open copies with their own passphrases; `member remove carol`
    /// rekeys, after which C's identity opens nothing in the new file while B's still does, and
    /// no old sealed record is left in the file's bytes.
    @Test func threeUsersShareAndRemovalRekeys() async throws {
        let team = try await Team.make()
        let (a, b, c) = (team.a, team.b, team.c)

        let list = await a.run(["member", "list", "--json"])
        #expect(list.status == 0)
        #expect(list.stdout.contains(team.bKey) && list.stdout.contains(team.cKey))
        #expect(list.stdout.contains("\"kind\" : \"member\"") && list.stdout.contains("\"kind\" : \"passphrase\""))

        try b.receiveCopy(of: a)
        try c.receiveCopy(of: a)
        for user in [b, c] {
            let export = await user.run(["export", "p", "--format", "dotenv", "--no-token"])
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stdout.contains(TestHome.authToken))
        }
        // Not with someone else's passphrase: B's passphrase does not open C's identity.
        let wrong = await c.run(["export", "p", "--no-token"], env: ["TWVAULT_PASSPHRASE": b.passphrase])
        #expect(wrong.status == ExitStatus.noPermission.rawValue)

        // A keeps an unlock session; the rekey ends it.
        let unlocked = await a.run(["unlock"])
        #expect(unlocked.status == 0)
        let session = String(
            unlocked.stdout.trimmingCharacters(in: .newlines).dropFirst("export TWVAULT_SESSION='".count).dropLast())
        let oldSealed = try Self.sealedRecord(a.home.vaultPath)
        #expect(Self.contains(Self.fileBytes(a.home.vaultPath), oldSealed))

        let removed = await a.run(["member", "remove", "carol"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(!Self.contains(Self.fileBytes(a.home.vaultPath), oldSealed))
        #expect(try Self.sealedRecord(a.home.vaultPath) != oldSealed)
        let afterSession = await a.home.run(["show", "p"], env: ["TWVAULT_SESSION": session])
        #expect(afterSession.status == ExitStatus.noPermission.rawValue)
        #expect(await a.run(["verify"]).status == 0)

        try b.receiveCopy(of: a)
        try c.receiveCopy(of: a)
        let bExport = await b.run(["export", "p", "--format", "dotenv", "--no-token"])
        #expect(bExport.status == 0, "\(bExport.stderr)")
        #expect(bExport.stdout.contains(TestHome.authToken))
        let cExport = await c.run(["export", "p", "--no-token"])
        #expect(cExport.status == ExitStatus.noPermission.rawValue)
        #expect(cExport.stderr.split(separator: "\n").count == 1)
        #expect(!cExport.stdout.contains(TestHome.authToken))
        #expect(!(await a.run(["member", "list"])).stdout.contains("carol"))
        for text in [removed.stdout, removed.stderr, bExport.stderr, cExport.stderr] {
            #expect(!text.contains(b.passphrase) && !text.contains(c.passphrase) && !text.contains(TestHome.passphrase))
        }
    }

    /// A member's unlock session keeps their identity, sealed with the data key: a later
    /// operation opens a data key wrapped to them again without the passphrase.
    @Test func aMemberSessionKeepsTheIdentity() async throws {
        let team = try await Team.make()
        let b = team.b
        try b.receiveCopy(of: team.a)
        let unlocked = await b.run(["unlock"])
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
        let session = String(
            unlocked.stdout.trimmingCharacters(in: .newlines).dropFirst("export TWVAULT_SESSION='".count).dropLast())
        var env = b.home.baseEnvironment(passphrase: false)
        for (key, value) in b.configEnvironment { env[key] = value }
        env["TWVAULT_SESSION"] = session
        let access = VaultAccess(AccessOptions(), context: Context.test(environment: env))
        let vault = try access.openUnlocked()
        let identity = try #require(access.identity(of: vault))
        #expect(PublicKeyText.encode(identity.publicKey) == team.bKey)
        #expect(vault.slotLabel == nil)
        // The same identity opens the member slot of the file directly.
        let reopened = try vault.file.unlock(identity: identity)
        #expect(reopened.slotLabel == "bob")

        // A's own passphrase unlock knows no identity.
        var aEnv = team.a.home.baseEnvironment(passphrase: true)
        for (key, value) in team.a.configEnvironment { aEnv[key] = value }
        let aAccess = VaultAccess(AccessOptions(), context: Context.test(environment: aEnv))
        #expect(aAccess.identity(of: try aAccess.openUnlocked()) == nil)
    }

    /// Someone who can write the file but has no data key: a forged member slot, a member
    /// slot with another public key, or a slot whose kind was changed fails the vault MAC (65).
    @Test(arguments: ["forged", "publicKey", "kind"]) func slotTamperingFailsTheMAC(_ change: String) async throws {
        let team = try await Team.make()
        let a = team.a
        let connection = try Connection(path: a.home.vaultPath, mode: .readWrite)
        let mallory = Identity.generate()
        switch change {
        case "forged":
            let vaultID = try { () throws -> [UInt8] in
                let statement = try connection.prepare("SELECT vault_id FROM vault")
                _ = try statement.step()
                return try statement.requireBlob(0)
            }()
            let wrapped = try PublicKeyBox.seal(
                SecretBytes(copying: vaultID + RandomBytes.make(32)), to: mallory.publicKey)
            try connection.prepare(
                """
                INSERT INTO slot (label, algorithm, ops_limit, mem_limit, salt, wrapped_key, created_at, kind, public_key)
                VALUES ('mallory', 0, 0, 0, x'', ?, 0, 'member', ?)
                """
            ).bind(.blob(wrapped), .blob(mallory.publicKey)).run()
        case "publicKey":
            try connection.prepare("UPDATE slot SET public_key = ? WHERE label = 'bob'").bind(.blob(mallory.publicKey))
                .run()
        default:
            // Carol's member slot claims to be a passphrase slot.
            try connection.execute("UPDATE slot SET kind = 'passphrase', public_key = NULL WHERE label = 'carol'")
        }
        try connection.checkpoint()
        let before = Self.fileBytes(a.home.vaultPath)
        let verify = await a.run(["verify"])
        #expect(verify.status == ExitStatus.dataError.rawValue, "\(verify.stderr)")
        #expect(verify.stderr.contains("slot"))
        let write = await a.run(["update", "p", "--region", "ie1"])
        #expect(write.status == ExitStatus.dataError.rawValue || write.status == ExitStatus.configuration.rawValue)
        #expect(Self.fileBytes(a.home.vaultPath) == before)
        if change == "forged" {
            // Mallory's own key opens her forged slot, and the data key it holds opens nothing.
            let m = try User("mallory's passphrase")
            try IdentityFile.create(
                at: m.identityPath, identity: mallory, passphrase: SecretBytes(utf8: m.passphrase),
                limits: .interactive)
            try m.receiveCopy(of: a)
            let export = await m.run(["export", "p", "--no-token"])
            #expect(export.status == ExitStatus.dataError.rawValue, "\(export.stderr)")
            #expect(!export.stdout.contains(TestHome.authToken))
        }
    }

    /// Rekey rules: other passphrase slots go only with --yes (64 and nothing changed
    /// without); the slot the vault is open with cannot be removed (64).
    @Test func rekeyNeedsYesForOtherPassphraseSlots() async throws {
        let team = try await Team.make()
        let a = team.a
        let alice = a.home.root + "/alice"
        try TestHome.write("alice's passphrase\n", to: alice)
        let added = await a.run([
            "passwd", "--add-slot", "alice", "--new-passphrase-file", alice, "--kdf", "interactive",
        ])
        #expect(added.status == 0, "\(added.stderr)")
        let before = Self.fileBytes(a.home.vaultPath)

        let refused = await a.run(["passwd", "--rekey"])
        #expect(refused.status == ExitStatus.usage.rawValue)
        #expect(refused.stderr.contains("'alice'"))
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(Self.fileBytes(a.home.vaultPath) == before)
        let removeBob = await a.run(["member", "remove", "bob"])
        #expect(removeBob.status == ExitStatus.usage.rawValue)
        #expect(Self.fileBytes(a.home.vaultPath) == before)
        let own = await a.run(["passwd", "--remove-slot", "default"])
        #expect(own.status == ExitStatus.usage.rawValue)
        #expect(Self.fileBytes(a.home.vaultPath) == before)

        let rekeyed = await a.run(["passwd", "--rekey", "--yes"])
        #expect(rekeyed.status == 0, "\(rekeyed.stderr)")
        #expect(rekeyed.stderr.contains("removed slot 'alice'"))
        #expect(await a.run(["show", "p"], env: ["TWVAULT_PASSPHRASE": "alice's passphrase"]).status == 77)
        let list = await a.run(["member", "list"])
        #expect(list.stdout.contains("bob") && list.stdout.contains("carol") && !list.stdout.contains("alice"))
        try team.b.receiveCopy(of: a)
        #expect(await team.b.run(["show", "p"]).status == 0)
        #expect(await a.run(["verify"]).status == 0)
    }

    /// A crash inside the rekey's transaction leaves the old vault; right after its commit, the
    /// new one: both complete, both verify.
    @Test(arguments: [CrashPoint.Step.rekeyWritten, .rekeyCommitted]) func crashDuringRekey(_ step: CrashPoint.Step)
        throws
    {
        let h = try Harness()
        try h.installFixtureVault()
        let b = try User("bob's own passphrase")
        let key = try Self.identityKey(b)
        #expect(try h.run(["member", "add", "bob", key], passphrase: true).status == 0)
        let oldSealed = try Self.sealedRecord(h.vaultPath)
        let crashed = try h.run(
            ["passwd", "--rekey"], env: ["TWVAULT_TEST_CRASH_AFTER": step.rawValue], passphrase: true)
        #expect(crashed.status == 137, "\(crashed.stderr)")
        #expect(try h.run(["verify"], passphrase: true).status == 0)
        let export = try h.run(["export", "p", "--format", "dotenv", "--no-token"], passphrase: true)
        #expect(export.stdout.contains(TestHome.authToken))
        let sealed = try Self.sealedRecord(h.vaultPath)
        #expect((sealed == oldSealed) == (step == .rekeyWritten))
        try b.home.installFixtureVault()
        let bytes = try #require(TestHome.read(h.vaultPath))
        unlink(b.home.vaultPath + "-wal")
        try TestHome.write(bytes + [], to: b.home.vaultPath)
        if let wal = TestHome.read(h.vaultPath + "-wal") { try TestHome.write(wal, to: b.home.vaultPath + "-wal") }
        let bExport = try Harness.execute(
            Harness.binary, ["export", "p", "--no-token"],
            environment: b.home.baseEnvironment(passphrase: false).merging(
                b.configEnvironment.merging(["TWVAULT_PASSPHRASE": b.passphrase]) { $1 }
            ) { $1 })
        #expect(bExport.status == 0, "\(bExport.stderr)")
        #expect(try h.run(["passwd", "--rekey"], passphrase: true).status == 0)
        #expect(try h.run(["verify"], passphrase: true).status == 0)
    }

    static func identityKey(_ user: User) throws -> String {
        let env = user.home.baseEnvironment(passphrase: false).merging(
            user.configEnvironment.merging(["TWVAULT_NEW_PASSPHRASE": user.passphrase]) { $1 }
        ) { $1 }
        let result = try Harness.execute(Harness.binary, ["identity", "new", "--kdf", "interactive"], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .newlines)
    }
}

/// The README's "Sharing with a team" block, run with the built binary: Alice's vault in one
/// home, Bob's identity and copy in another (the README's /home/bob), each user with their own
/// passphrase.
@Suite struct TeamReadmeTests {
    static func readmeLines() throws -> [String] {
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            let candidate = directory.appendingPathComponent("README.md").path
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return try String(contentsOfFile: candidate, encoding: .utf8).components(separatedBy: "\n")
            }
        }
        throw VaultError.vaultNotFound(path: "README.md")
    }

    @Test func sharingWithATeamRuns() throws {
        let lines = try Self.readmeLines()
        let start = try #require(lines.firstIndex(of: "<!-- tested: team -->"))
        #expect(lines[start + 1].hasPrefix("```"))
        let end = try #require(lines[(start + 2)...].firstIndex { $0.hasPrefix("```") })
        let h = try Harness()
        let made = try h.run(
            ["add", "acme-prod", "--stdin", "--kdf", "interactive"],
            stdin: "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=team-auth-token\n", passphrase: true)
        #expect(made.status == 0, "\(made.stderr)")
        let bob = h.root.path + "/bob"
        mkdir(bob, 0o700)
        try h.write("bob's own passphrase\n", to: bob + "/passphrase")
        let block = lines[(start + 2)..<end].joined(separator: "\n").replacingOccurrences(of: "/home/bob", with: bob)
        // Each user types their own passphrase: Bob's commands read his.
        let script = """
            twvault() {
                if [ "$HOME" = "\(bob)" ]; then
                    TWVAULT_PASSPHRASE_FILE="\(bob)/passphrase" command twvault "$@"
                else command twvault "$@"; fi
            }
            cd "\(h.root.path)"
            \(block)
            """
        var env = h.baseEnvironment()
        env["PATH"] = URL(fileURLWithPath: Harness.binary).deletingLastPathComponent().path + ":" + (env["PATH"] ?? "")
        env["TWVAULT_PASSPHRASE_FILE"] = h.passphraseFile
        env["TWVAULT_NEW_PASSPHRASE"] = "bob's own passphrase"
        let result = try Harness.execute("/bin/bash", ["-e", "-o", "pipefail", "-c", script], environment: env)
        #expect(result.status == 0, "README block failed: \(result.stderr)")
        #expect(result.stdout.contains("bob\tmember\ttwvault-pub1-"))
        #expect(result.stdout.contains("team-auth-token"))
        // After the removal, Bob's identity opens nothing in the vault; his copy from before stays his.
        var bobEnv = env
        bobEnv["HOME"] = bob
        bobEnv.removeValue(forKey: "TWVAULT_NEW_PASSPHRASE")
        bobEnv["TWVAULT_PASSPHRASE_FILE"] = bob + "/passphrase"
        let after = try Harness.execute(Harness.binary, ["export", "acme-prod"], environment: bobEnv)
        #expect(after.status == ExitStatus.noPermission.rawValue)
        bobEnv["TWVAULT_VAULT"] = bob + "/vault.db"
        let kept = try Harness.execute(Harness.binary, ["export", "acme-prod"], environment: bobEnv)
        #expect(kept.status == 0 && kept.stdout.contains("team-auth-token"))
        #expect(!result.stdout.contains(Harness.passphrase) && !result.stderr.contains(Harness.passphrase))
    }
}
