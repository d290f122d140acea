import Foundation
import Testing
import TwVaultTestSupport
import VaultOperations

#if canImport(Glibc)
    import Glibc
#endif

/// `backup`, in process: a checked 0600 copy that opens and exports the same values, and that
/// rolls the vault back when copied over it.
@Suite struct BackupCommandTests {
    func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    func exported(_ home: TestHome, vault: String? = nil) async -> CommandResult {
        var env: [String: String] = [:]
        if let vault { env["TWVAULT_VAULT"] = vault }
        return await home.run(["export", "p", "--no-token", "--format", "json"], env: env)
    }

    @Test func theCopyOpensWithTheSameUnlockAndExportsTheSameValues() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let added = await home.run(
            ["add", "q", "--stdin"], stdin: "TWILIO_ACCOUNT_SID=\(TestHome.accountSID)\nTWILIO_AUTH_TOKEN=q-token\n")
        #expect(added.exit == .success, "\(added.stderr)")
        let directory = home.root + "/backups"
        mkdir(directory, 0o700)
        let copy = directory + "/vault-copy.db"
        // Only the unlock session: no passphrase source at all.
        let result = await home.run(["backup", copy])
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("2 profile(s), 1 slot(s), checked"))
        #expect(mode(copy) == 0o600)

        let original = await exported(home)
        let fromCopy = await exported(home, vault: copy)
        #expect(fromCopy.exit == .success, "\(fromCopy.stderr)")
        #expect(!fromCopy.stdout.isEmpty && fromCopy.stdout == original.stdout)
        #expect(await home.run(["list"], env: ["TWVAULT_VAULT": copy]).stdout == "p\nq\n")
        #expect(await home.run(["verify"], env: ["TWVAULT_VAULT": copy]).exit == .success)
        // And with the passphrase, not only the session.
        home.environment["TWVAULT_SESSION"] = nil
        let unlocked = await home.run(["show", "q"], passphrase: true, env: ["TWVAULT_VAULT": copy])
        #expect(unlocked.exit == .success, "\(unlocked.stderr)")
    }

    @Test func anExistingFileIsRefusedUnlessForced() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let copy = home.root + "/copy.db"
        try TestHome.write("not a backup", to: copy, mode: 0o644)
        let refused = await home.run(["backup", copy])
        #expect(refused.exit == .cannotCreate)
        #expect(refused.stderr.contains("already exists") && refused.stderr.contains("--force"))
        #expect(TestHome.read(copy) == Array("not a backup".utf8))

        let forced = await home.run(["backup", copy, "--force"])
        #expect(forced.exit == .success, "\(forced.stderr)")
        #expect(mode(copy) == 0o600)
        #expect(await exported(home, vault: copy).stdout == (await exported(home)).stdout)
    }

    @Test func restoringIsCopyingTheFileBackAndRollsTheVaultBack() async throws {
        let home = try TestHome()
        try home.installFixtureVault(unlocked: true)
        let copy = home.root + "/copy.db"
        #expect(await home.run(["backup", copy]).exit == .success)
        #expect(await home.run(["update", "p", "--region", "ie1"]).exit == .success)
        #expect(await exported(home).stdout.contains("ie1"))

        // As README says: with no twvault running, remove the log files, copy the backup back.
        unlink(home.vaultPath + "-wal")
        unlink(home.vaultPath + "-shm")
        try TestHome.write(try #require(TestHome.read(copy)), to: home.vaultPath)
        let restored = await exported(home)
        #expect(restored.exit == .success, "\(restored.stderr)")
        #expect(restored.stdout.contains(TestHome.accountSID) && !restored.stdout.contains("ie1"))
        #expect(await home.run(["verify"]).exit == .success)
    }

    @Test func badTargetsAreRefusedBeforeUnlocking() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        // No passphrase source: each refusal comes before the vault is unlocked.
        let itself = await home.run(["backup", home.vaultPath, "--force"])
        #expect(itself.exit == .usage)
        #expect(itself.stderr.contains("the vault itself"))
        let missing = await home.run(["backup", home.root + "/no/such/dir/copy.db"])
        #expect(missing.exit == .noInput)
        let directory = await home.run(["backup", home.root, "--force"])
        #expect(directory.exit == .usage)
        for result in [itself, missing, directory] {
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
        let locked = await home.run(["backup", home.root + "/copy.db"])
        #expect(locked.exit == .noPermission)
        #expect(TestHome.read(home.root + "/copy.db") == nil)
    }
}
