import Testing
import TwVaultTestSupport
import VaultOperations

/// `unlock`, `lock` and `verify`, in process.
@Suite struct UnlockLockCommandTests {
    @Test func anUnlockServesLaterCommandsUntilLock() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        try await home.unlock()
        var result = await home.run(["export", "p", "--format", "json"])
        #expect(result.exit == .success, "\(result.stderr)")
        result = await home.run(["lock"])
        #expect(result.exit == .success)
        #expect(result.stderr.contains("ended 1 unlock"))
        result = await home.run(["export", "p"])
        #expect(result.exit == .noPermission)
    }

    @Test func anOverlongTTLIsAUsageError() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["unlock", "--ttl", "25h"], passphrase: true)
        #expect(result.exit == .usage)
    }
}

@Suite struct VerifyCommandTests {
    @Test func anIntactVaultVerifies() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["verify"], passphrase: true)
        #expect(result.exit == .success, "\(result.stderr)")
        #expect(result.stderr.contains("integrity verified"))
    }
}

@Suite struct InitCommandTests {
    @Test func initRefusesAnExistingVault() async throws {
        let home = try TestHome()
        try home.installFixtureVault()
        let result = await home.run(["init", "--kdf", "interactive"], passphrase: true)
        #expect(result.exit == .cannotCreate)
    }
}

@Suite struct HelpTests {
    @Test func helpGoesToStdoutAndExitsZero() async throws {
        let home = try TestHome()
        let result = await home.run(["--help"])
        #expect(result.exit == .success)
        #expect(result.stdout.contains("USAGE"))
    }

    @Test func anUnknownOptionIsOneUsageError() async throws {
        let home = try TestHome()
        let result = await home.run(["list", "--bogus"])
        #expect(result.exit == .usage)
        #expect(result.stderr.hasPrefix("twvault: "))
    }
}
