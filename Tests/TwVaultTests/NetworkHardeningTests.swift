import Foundation
import Testing
import TwVaultTestSupport
import TwilioStandIn
import VaultOperations

/// DESIGN §4 "Hardening", where the vault meets Twilio: redirected endpoints are named on
/// stderr; commands with a side effect at Twilio check the vault MAC before any request; and
/// `remove` / `add --force` never drop a credential that only the vault knows of.
enum NetworkHardening {
    /// Runs a small python sqlite3 program on the vault (an outside program, like an attacker):
    /// `argv[1]` is the vault, the rest `arguments`. Returns its stdout.
    @discardableResult
    static func python(_ h: Harness, _ program: String, _ arguments: [String] = []) throws -> String {
        let result = try Harness.execute(
            "/usr/bin/python3", ["-c", program, h.vaultPath] + arguments, environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 0, "python: \(result.stderr)")
        return result.stdout
    }

    /// The sealed bytes of one row, in hex.
    static func row(_ h: Harness, profile: String, kind: String) throws -> String {
        let program = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], timeout=30)
            (blob,) = c.execute("SELECT sealed FROM record WHERE profile = ? AND kind = ?", (sys.argv[2], sys.argv[3])).fetchone()
            print(blob.hex())
            """
        return try python(h, program, [profile, kind]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Puts older sealed bytes back into a row: a rollback each record on its own cannot see.
    static func rollBack(_ h: Harness, profile: String, kind: String, to sealedHex: String) throws {
        let program = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
            c.execute("UPDATE record SET sealed = ? WHERE profile = ? AND kind = ?", (bytes.fromhex(sys.argv[4]), sys.argv[2], sys.argv[3]))
            print(c.total_changes)
            """
        #expect(try python(h, program, [profile, kind, sealedHex]) == "1\n")
    }

    /// Every table of the vault as SQL text: equal before and after means nothing was written.
    static func dump(_ h: Harness) throws -> String {
        try python(
            h,
            "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=30)\nprint('\\n'.join(c.iterdump()))")
    }

    static func hostAndPort(_ standIn: TwilioStandIn) -> String {
        var host = Substring(standIn.baseURL)
        if let scheme = host.range(of: "://") { host = host[scheme.upperBound...] }
        return String(host.prefix { $0 != "/" })
    }
}

/// An endpoint taken from `TWVAULT_*_URL` is named on stderr by every command that contacts it,
/// once per variable; one stored in the profile (`--token-url`) is not.
@Suite struct EndpointWarningTests {
    @Test func aRedirectedTokenEndpointIsNamedOnEveryCommandThatContactsIt() async throws {
        try await TokenCommandTests.withStandIn { h, standIn async throws in
            let warning =
                "twvault: warning: sending credentials to \(NetworkHardening.hostAndPort(standIn)) (TWVAULT_TOKEN_URL), not Twilio\n"
            var result = await h.call(["token", "cc"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr == warning)
            // The cached token: nothing contacted, nothing said.
            result = await h.call(["token", "cc"])
            #expect(result.status == 0)
            #expect(result.stderr == "")
            // An exchange retried after a 503 is one warning; --quiet does not silence it.
            standIn.clearLog()
            standIn.failStep(.token, status: 503)
            result = await h.call(["token", "cc", "--refresh", "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(TokenCommandTests.tokenRequests(standIn).count == 2)
            #expect(result.stderr == warning)
            // Without a token, export contacts nothing and says nothing.
            result = await h.call(["export", "cc", "--no-token", "--format", "json"])
            #expect(result.status == 0)
            #expect(result.stderr == "")
        }
    }

    @Test func aTokenURLStoredInTheProfileIsNotAnnounced() async throws {
        try await TokenCommandTests.withStandIn { h, standIn async throws in
            await h.callMakeVault(
                profile: "own",
                lines: "TWILIO_CLIENT_ID=\(Harness.clientID)\nTWILIO_CLIENT_SECRET=\(TokenCommandTests.secret)\n")
            let updated = await h.call(["update", "own", "--token-url", standIn.baseURL + "/v2/token"])
            #expect(updated.status == 0, "\(updated.stderr)")
            // Even with the variable set: the profile's own URL is the one used.
            let result = await h.call(["token", "own"], env: ["TWVAULT_TOKEN_URL": "http://127.0.0.1:9/v2/token"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr == "")
            #expect(TokenCommandTests.tokenRequests(standIn).count == 1)
        }
    }

    @Test func whatCountsAsRedirected() throws {
        func redirection(_ endpoint: EndpointOverride, _ value: String?) -> String? {
            let context = Context.test(environment: value.map { [endpoint.rawValue: $0] } ?? [:])
            return endpoint.redirection(context)
        }
        #expect(redirection(.token, nil) == nil)
        #expect(redirection(.token, "") == nil)
        #expect(redirection(.token, "https://oauth.twilio.com/v2/token") == nil)
        // Twilio's own host under another path or in capitals is still Twilio.
        #expect(redirection(.api, "https://API.twilio.com/") == nil)
        #expect(redirection(.accounts, "https://accounts.twilio.com:443") != nil)
        #expect(redirection(.api, "https://api.twilio.com.example.net") != nil)
        #expect(redirection(.token, "http://127.0.0.1:8080/v2/token") == "http://127.0.0.1:8080/v2/token")
        #expect(redirection(.authorize, "https://login.example.com/authorize") != nil)
        // Refused URLs reach nobody: their own error speaks for them.
        #expect(redirection(.token, "http://example.com/v2/token") == nil)
    }

    @Test func aRotationNamesEachRedirectedEndpointOnce() async throws {
        try await RotationFixture.with(.authToken) { f async throws in
            let result = await f.call(["rotate", "p", "--auth-token"])
            #expect(result.status == 0, "\(result.stderr)")
            let host = f.standInHost
            // Several requests to each; one line for each variable.
            #expect(f.standIn.requests().count >= 3)
            #expect(
                endpointWarnings(result.stderr) == [
                    "twvault: warning: sending credentials to \(host) (TWVAULT_ACCOUNTS_URL), not Twilio",
                    "twvault: warning: sending credentials to \(host) (TWVAULT_API_URL), not Twilio",
                ])
        }
    }
}

extension RotationSuites {
    /// A command with a side effect at Twilio checks the vault MAC before its first request.
    @Suite struct IntegrityBeforeRequestTests {
        @Test func rolledBackRotationRecordStopsResumeBeforeAnyRequest() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                let crashed = try await f.run(
                    ["rotate", "p", "--api-key"], env: ["TWVAULT_TEST_CRASH_AFTER": "api-key-store-pending"])
                #expect(crashed.status == 137, "\(crashed.stderr)")
                let older = try NetworkHardening.row(f.h, profile: "p", kind: "rotation")
                let advanced = try await f.run(
                    ["rotate", "p", "--resume"], env: ["TWVAULT_TEST_CRASH_AFTER": "api-key-promote"])
                #expect(advanced.status == 137, "\(advanced.stderr)")
                #expect(try NetworkHardening.row(f.h, profile: "p", kind: "rotation") != older)
                try NetworkHardening.rollBack(f.h, profile: "p", kind: "rotation", to: older)
                let before = try NetworkHardening.dump(f.h)
                let keys = f.account.apiKeys
                f.standIn.clearLog()

                let result = await f.call(["rotate", "p", "--resume"])
                #expect(result.status == 65, "\(result.stderr)")
                #expect(result.stderr.hasPrefix("twvault: the vault failed its integrity check"))
                #expect(HardeningTests.isOneLine(result.stderr), "\(result.stderr)")
                #expect(f.standIn.requests().isEmpty)
                #expect(f.account.apiKeys == keys)
                #expect(try NetworkHardening.dump(f.h) == before)
                // A new rotation as well.
                #expect(await f.call(["rotate", "p", "--api-key"]).status == 65)
                #expect(f.standIn.requests().isEmpty)
            }
        }

        @Test func rolledBackTokenRecordStopsARefreshBeforeAnyRequest() async throws {
            try await TokenCommandTests.withStandIn { h, standIn async throws in
                #expect(await h.call(["token", "cc"]).status == 0)
                let older = try NetworkHardening.row(h, profile: "cc", kind: "token")
                #expect(await h.call(["token", "cc", "--refresh"]).status == 0)
                try NetworkHardening.rollBack(h, profile: "cc", kind: "token", to: older)
                let before = try NetworkHardening.dump(h)
                standIn.clearLog()

                let result = await h.call(["token", "cc", "--refresh"])
                #expect(result.status == 65, "\(result.stderr)")
                #expect(HardeningTests.isOneLine(result.stderr), "\(result.stderr)")
                #expect(result.stderr.contains("integrity check"))
                #expect(standIn.requests().isEmpty)
                #expect(try NetworkHardening.dump(h) == before)
            }
        }

        @Test func leftoverEphemeralKeysAreNotCleanedUpInADamagedVault() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                let crashed = try await f.run(
                    ["exec", "p", "--ephemeral-key", "--", "true"],
                    env: ["TWVAULT_TEST_CRASH_AFTER": "ephemeral-create"])
                #expect(crashed.status == 137)
                #expect(f.account.apiKeys.count == 2)
                // A second profile, whose row then disappears behind the vault's back.
                let added = await f.call(["copy", "p", "q"])
                #expect(added.status == 0, "\(added.stderr)")
                try NetworkHardening.python(
                    f.h,
                    "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)\nc.execute(\"DELETE FROM record WHERE profile = 'q'\")"
                )
                let before = try NetworkHardening.dump(f.h)
                f.standIn.clearLog()

                for arguments in [["export", "p", "--no-token"], ["exec", "p", "--", "true"]] {
                    let result = await f.call(arguments)
                    #expect(result.status == 65, "\(arguments): \(result.stderr)")
                    #expect(HardeningTests.isOneLine(result.stderr), "\(result.stderr)")
                }
                #expect(f.standIn.requests().isEmpty)
                #expect(f.account.apiKeys.count == 2)
                #expect(try NetworkHardening.dump(f.h) == before)
            }
        }
    }

    /// `remove` and `add --force` settle at Twilio what only the profile's records know of.
    @Suite struct LeftoversBeforeRemovalTests {
        /// A vault whose `p` has an ephemeral key left by a killed `exec --ephemeral-key`.
        static func leaveEphemeralKey(_ f: RotationFixture) async throws {
            let crashed = try await f.run(
                ["exec", "p", "--ephemeral-key", "--", "true"], env: ["TWVAULT_TEST_CRASH_AFTER": "ephemeral-create"])
            #expect(crashed.status == 137)
            #expect(f.account.apiKeys.contains { $0.friendlyName.hasPrefix("twvault-ephemeral-") })
            f.standIn.clearLog()
        }

        @Test func removeDeletesALeftoverEphemeralKeyFirst() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                try await Self.leaveEphemeralKey(f)
                let result = await f.call(["remove", "p", "--yes"])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(!f.account.apiKeys.contains { $0.friendlyName.hasPrefix("twvault-ephemeral-") })
                #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
                #expect(result.stderr.contains("deleted the leftover ephemeral API key"))
                #expect(await f.call(["list"]).stdout == "")
                #expect(await f.call(["verify"]).status == 0)
            }
        }

        @Test func removeIsRefusedWhileTwilioCannotBeReached() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                try await Self.leaveEphemeralKey(f)
                await f.standIn.shutdown()
                let before = try NetworkHardening.dump(f.h)
                let result = await f.call(["remove", "p", "--yes"])
                #expect(result.status == 75, "\(result.stderr)")
                let lines = linesBesideEndpointWarnings(result.stderr)
                #expect(lines.count == 1, "\(result.stderr)")
                #expect(lines.first?.contains("could not delete the ephemeral API key") == true)
                #expect(lines.first?.contains("nothing was removed: run `twvault remove p` again") == true)
                #expect(await f.call(["list"]).stdout == "p\n")
                #expect(try NetworkHardening.dump(f.h) == before)
            }
        }

        @Test func whenTwilioRefusesTheRemovalSaysWhatIsLeft() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                try await Self.leaveEphemeralKey(f)
                let leftover = try #require(f.account.apiKeys.first { $0.sid != Harness.apiKeySID })
                // The profile's auth token no longer manages keys: waiting would not help, so
                // the removal goes on and names the key to delete by hand, even with --quiet.
                f.standIn.failStep(.deleteKey, status: 403)
                let result = await f.call(["remove", "p", "--yes", "--quiet"])
                #expect(result.status == 0, "\(result.stderr)")
                let lines = linesBesideEndpointWarnings(result.stderr)
                #expect(lines.count == 1, "\(result.stderr)")
                #expect(lines.first?.hasPrefix("twvault: warning: could not delete the ephemeral API key") == true)
                #expect(lines.first?.contains("delete \(leftover.friendlyName) in the Twilio console") == true)
                #expect(await f.call(["list"]).stdout == "")
                #expect(await f.call(["verify"]).status == 0)
            }
        }

        @Test func removeIsRefusedWhileTheKeysCommandStillRuns() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                let exec = try EphemeralKeyTests.RunningExec(f)
                let sid = try #require(
                    (try await onOwnThread { exec.waitForChild() }).split(separator: " ").first.map(String.init))
                let result = await f.call(["remove", "p", "--yes"])
                #expect(result.status == 75, "\(result.stderr)")
                #expect(result.stderr.contains("in use by a running `twvault exec`"), "\(result.stderr)")
                #expect(await f.call(["list"]).stdout == "p\n")
                kill(exec.process.processIdentifier, SIGTERM)
                _ = try await onOwnThread { exec.finish() }
                #expect(!f.account.apiKeys.contains { $0.sid == sid })
                // Once it has ended, nothing is left and the removal goes through.
                #expect(await f.call(["remove", "p", "--yes"]).status == 0)
            }
        }

        /// A key rotation of `p` killed once its new key is stored as pending: two keys at Twilio.
        func crashKeyRotation(_ f: RotationFixture) async throws {
            let crashed = try await f.run(
                ["rotate", "p", "--api-key"], env: ["TWVAULT_TEST_CRASH_AFTER": "api-key-store-pending"])
            #expect(crashed.status == 137)
            #expect(f.account.apiKeys.count == 2)
            f.standIn.clearLog()
        }

        @Test func importDotenvForceSettlesAnUnfinishedRotationFirst() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                try await crashKeyRotation(f)
                let file = f.h.root.path + "/replacement.env"
                try "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=\(Harness.authToken)\n"
                    .write(toFile: file, atomically: true, encoding: .utf8)
                chmod(file, 0o600)
                let arguments = ["import", "dotenv", file, "--profile", "p", "--force"]

                // Twilio unavailable: refused with 75, the profile and its rotation kept.
                f.standIn.failStep(.probeMessages, status: 503)
                f.standIn.failStep(.deleteKey, status: 503)
                let offline = await f.call(arguments)
                #expect(offline.status == 75, "\(offline.stderr)")
                let lines = linesBesideEndpointWarnings(offline.stderr)
                #expect(lines.count == 1, "\(offline.stderr)")
                #expect(lines.first?.contains("could not settle the interrupted api_key rotation") == true)
                #expect(lines.first?.contains("run `twvault import dotenv \(file) --profile p --force` again") == true)
                #expect(try await f.show()["unfinished_rotation"] != nil)
                #expect(try await f.exported()["TWILIO_API_KEY"] == Harness.apiKeySID)
                #expect(f.account.apiKeys.count == 2)

                // Reachable: the rotation is undone at Twilio first, then the profile replaced.
                let result = await f.call(arguments)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
                #expect(try await f.show()["unfinished_rotation"] == nil)
                #expect(try await f.exported()["TWILIO_API_KEY"] == nil)
                #expect(await f.call(["verify"]).status == 0)
            }
        }

        @Test func addForceSettlesAnUnfinishedRotationFirst() async throws {
            try await RotationFixture.with(.apiKey) { f async throws in
                try await crashKeyRotation(f)
                let variables = ["TWILIO_ACCOUNT_SID": Harness.accountSID, "TWILIO_AUTH_TOKEN": Harness.authToken]

                // Twilio unavailable (the new key's probe and its deletion fail): refused, the
                // profile and its rotation kept, both keys still at Twilio.
                f.standIn.failStep(.probeMessages, status: 503)
                f.standIn.failStep(.deleteKey, status: 503)
                let offline = await f.call(["add", "p", "--from-env", "--force"], env: variables)
                #expect(offline.status == 75, "\(offline.stderr)")
                let lines = linesBesideEndpointWarnings(offline.stderr)
                #expect(lines.count == 1, "\(offline.stderr)")
                #expect(lines.first?.contains("could not settle the interrupted api_key rotation") == true)
                #expect(lines.first?.contains("nothing was replaced: run `twvault add p --force` again") == true)
                #expect(try await f.show()["unfinished_rotation"] != nil)
                #expect(try await f.exported()["TWILIO_API_KEY"] == Harness.apiKeySID)
                #expect(f.account.apiKeys.count == 2)

                // Reachable: the rotation is settled (here undone: its key never passed the
                // probe), nothing of it is left at Twilio, then the profile is replaced.
                let result = await f.call(["add", "p", "--from-env", "--force"], env: variables)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("deleted the unverified API key"), "\(result.stderr)")
                #expect(f.account.apiKeys.map(\.sid) == [Harness.apiKeySID])
                #expect(try await f.show()["unfinished_rotation"] == nil)
                #expect(try await f.exported()["TWILIO_API_KEY"] == nil)
                #expect(await f.call(["verify"]).status == 0)
            }
        }
    }
}
