import Foundation
import Testing
import TwilioStandIn

/// What a command started by `exec` inherits: the user's core-file limit, no descriptor
/// beyond 0–2 (not even the HTTP client's after a token exchange), no unlock secret.
@Suite struct ChildHygieneTests {
    @Test func theChildGetsTheUsersCoreLimitBack() throws {
        let h = try Harness()
        try h.makeVault(profile: "p")
        var env = h.baseEnvironment()
        env["TWVAULT_PASSPHRASE_FILE"] = h.passphraseFile
        let script = "ulimit -c unlimited; '\(Harness.binary)' exec p -- sh -c 'ulimit -c'"
        let result = try Harness.execute("/bin/bash", ["-c", script], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "unlimited\n")
    }

    @Test func afterATokenExchangeTheChildHasOnlyTheStandardDescriptors() async throws {
        let secret = "client-secret-for-hygiene-5e2a"
        let standIn = try await TwilioStandIn.start(
            StandInConfiguration(clients: [StandInClient(id: Harness.clientID, secret: secret)]))
        let h = try Harness()
        h.environment["TWVAULT_TOKEN_URL"] = standIn.baseURL + "/v2/token"
        try h.makeVault(
            profile: "cc", lines: "TWILIO_CLIENT_ID=\(Harness.clientID)\nTWILIO_CLIENT_SECRET=\(secret)\n")
        // Close whatever this test process leaked into the shell first: only twvault's own
        // descriptors are the point here.
        let script = """
            for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done
            exec '\(Harness.binary)' exec cc -- sh -c 'ls /proc/$$/fd; echo "${TWILIO_ACCESS_TOKEN:+token}"'
            """
        var env = h.baseEnvironment()
        env["TWVAULT_PASSPHRASE_FILE"] = h.passphraseFile
        let result = try await Harness.executeAsync("/bin/bash", ["-c", script], environment: env)
        await standIn.shutdown()
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.last == "token")
        #expect(Array(lines.dropLast()).sorted() == ["0", "1", "2"], "\(result.stdout)")
        #expect(standIn.requests(to: "/v2/token", method: "POST").count == 1)
    }

    /// `exec --ephemeral-key` spawns its child and stays to delete the key: the child still gets
    /// 0–2 only (no HTTP client socket, vault, lock or session descriptor) and a key of its own.
    @Test func anEphemeralKeyChildHasOnlyTheStandardDescriptors() async throws {
        try await RotationFixture.with(.apiKey) { f async throws in
            let script = """
                for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done
                exec '\(Harness.binary)' exec p --ephemeral-key -- sh -c 'ls /proc/$$/fd; echo "key $TWILIO_API_KEY"'
                """
            let result = try await Harness.executeAsync(
                "/bin/bash", ["-c", script], environment: f.h.baseEnvironment())
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            let keyLine = try #require(lines.last)
            #expect(keyLine.hasPrefix("key SK") && keyLine != "key \(Harness.apiKeySID)", "\(result.stdout)")
            #expect(Array(lines.dropLast()).sorted() == ["0", "1", "2"], "\(result.stdout)")
            // The key lived only for the child.
            #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
        }
    }
}
