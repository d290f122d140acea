import Foundation
import Testing

/// End-to-end: the built binary, a throwaway vault, secrets on stdin, output parsed.
@Suite struct CommandTests {
    static let managed = [
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_CLIENT_ID",
        "TWILIO_CLIENT_SECRET", "TWILIO_ACCESS_TOKEN", "TWILIO_REGION", "TWILIO_EDGE", "TWVAULT_PROFILE",
        "TWILIO_REFRESH_TOKEN",
    ]

    @Test func initCreatesPrivateFilesAndRefusesASecondTime() throws {
        let h = try Harness()
        var result = try h.run(["init", "--kdf", "interactive"], passphrase: true)
        #expect(result.status == 0, "\(result.stderr)")
        let dirMode =
            try FileManager.default.attributesOfItem(atPath: h.root.path + "/vault")[.posixPermissions] as? Int
        let fileMode = try FileManager.default.attributesOfItem(atPath: h.vaultPath)[.posixPermissions] as? Int
        #expect(dirMode == 0o700)
        #expect(fileMode == 0o600)
        result = try h.run(["init", "--kdf", "interactive"], passphrase: true)
        #expect(result.status == 73)
        #expect(result.stderr.contains("already exists"))
    }

    @Test func addListShowExportRoundTrip() throws {
        let h = try Harness()
        try h.makeVault(profile: "acme-prod")
        // Names need no passphrase.
        var result = try h.run(["list"])
        #expect(result.status == 0)
        #expect(result.stdout == "acme-prod\n")

        result = try h.run(["export", "acme-prod"], passphrase: true)
        #expect(result.status == 0, "\(result.stderr)")
        let values = try h.evalInBash(result.stdout, names: Self.managed)
        #expect(values["TWILIO_ACCOUNT_SID"] == Harness.accountSID)
        #expect(values["TWILIO_AUTH_TOKEN"] == Harness.authToken)
        #expect(values["TWILIO_API_KEY"] == Harness.apiKeySID)
        #expect(values["TWILIO_API_SECRET"] == Harness.apiSecret)
        #expect(values["TWVAULT_PROFILE"] == "acme-prod")
        #expect(values["TWILIO_CLIENT_ID"] == .some(nil))
        #expect(result.stdout.contains("unset TWILIO_CLIENT_ID"))
        #expect(result.stdout.contains("unset TWILIO_REGION"))

        result = try h.run(["show", "acme-prod", "--json"], passphrase: true)
        #expect(result.status == 0)
        let show = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
        #expect(show?["account_sid"] as? String == Harness.accountSID)
        #expect((show?["secrets"] as? [String: Bool])?["auth_token"] == true)
        #expect((show?["secrets"] as? [String: Bool])?["client_secret"] == false)
        #expect(!result.stdout.contains(Harness.authToken) && !result.stdout.contains(Harness.apiSecret))

        result = try h.run(["show", "acme-prod"], passphrase: true)
        #expect(result.stdout.contains("auth token       present"))
        #expect(!result.stdout.contains(Harness.authToken))

        result = try h.run(["list", "--details", "--json"], passphrase: true)
        let rows = try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]]
        #expect(rows?.count == 1)
        #expect(rows?.first?["name"] as? String == "acme-prod")
        #expect((rows?.first?["credentials"] as? [String]) == ["auth-token", "api-key"])
        #expect((rows?.first?["credential_age_seconds"] as? [String: Int])?.keys.sorted() == ["api_key", "auth_token"])

        result = try h.run(["list", "--json"])
        #expect(
            (try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: String]]) == [
                ["name": "acme-prod"]
            ])
    }

    @Test func defaultProfileFromEnvironment() throws {
        let h = try Harness()
        try h.makeVault(profile: "dflt")
        let result = try h.run(["export", "--format", "json"], env: ["TWVAULT_PROFILE": "dflt"], passphrase: true)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String]
        #expect(object?["TWVAULT_PROFILE"] == "dflt")
        let missing = try h.run(["export"], passphrase: true)
        #expect(missing.status == 64)
    }

    @Test func refreshTokenIsNeverExported() throws {
        let h = try Harness()
        try h.makeVault(
            profile: "org",
            lines: """
                TWILIO_CLIENT_ID=\(Harness.clientID)
                TWILIO_CLIENT_SECRET=client-secret-value
                TWILIO_REFRESH_TOKEN=refresh-token-never-exported

                """)
        for format in ["sh", "fish", "powershell", "dotenv", "json"] {
            let result = try h.run(["export", "org", "--no-token", "--format", format], passphrase: true)
            #expect(result.status == 0, "\(format): \(result.stderr)")
            #expect(!result.stdout.contains("refresh-token-never-exported"))
            #expect(result.stdout.contains("client-secret-value"))
        }
    }

    @Test func addRefusesExistingUnlessForced() throws {
        let h = try Harness()
        try h.makeVault(profile: "p")
        let input = "TWILIO_ACCOUNT_SID=\(Harness.otherAccountSID)\nTWILIO_AUTH_TOKEN=replacement-token\n"
        var result = try h.run(["add", "p", "--stdin"], stdin: input, passphrase: true)
        #expect(result.status == 73)
        result = try h.run(["add", "p", "--stdin", "--force"], stdin: input, passphrase: true)
        #expect(result.status == 0, "\(result.stderr)")
        result = try h.run(["export", "p", "--format", "json"], passphrase: true)
        let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String]
        #expect(object?["TWILIO_ACCOUNT_SID"] == Harness.otherAccountSID)
        #expect(object?["TWILIO_API_KEY"] == nil, "a forced add replaces the whole profile")
    }

    @Test(arguments: [
        (["add", "bad name", "--stdin"], "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=x\n", Int32(64)),
        (["add", "-leading", "--stdin"], "", Int32(64)),
        (["add", "p", "--stdin"], "TWILIO_ACCOUNT_SID=AC123\nTWILIO_AUTH_TOKEN=x\n", Int32(64)),
        (
            ["add", "p", "--stdin"],
            "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_API_KEY=SKnothex\nTWILIO_API_SECRET=x\n", Int32(64)
        ),
        (["add", "p", "--stdin"], "TWILIO_CLIENT_ID=OQshort\n", Int32(64)),
        (["add", "p", "--stdin"], "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\n", Int32(64)),
        (
            ["add", "p", "--stdin"], "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=x\nTWILIO_BOGUS=1\n",
            Int32(65)
        ),
        (
            ["add", "p", "--stdin"], "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN='unterminated\n",
            Int32(65)
        ),
        (["add", "p", "--stdin", "--from-env"], "", Int32(64)),
        (
            ["add", "p", "--stdin", "--account-sid", Harness.otherAccountSID],
            "TWILIO_ACCOUNT_SID=\(Harness.accountSID)\nTWILIO_AUTH_TOKEN=x\n", Int32(64)
        ),
        (["add", "p"], "", Int32(64)),
        (["add", "p", "--account-sid", Harness.accountSID], "", Int32(77)),
        (
            ["add", "p", "--stdin", "--token-url", "http://example.com/token"],
            "TWILIO_CLIENT_ID=\(Harness.clientID)\nTWILIO_CLIENT_SECRET=x\n", Int32(64)
        ),
        (
            ["add", "p", "--stdin", "--token-url", "http://127.evil.example/token"],
            "TWILIO_CLIENT_ID=\(Harness.clientID)\nTWILIO_CLIENT_SECRET=x\n", Int32(64)
        ),
    ])
    func addRejectsBadInput(arguments: [String], stdin: String, expected: Int32) throws {
        let h = try Harness()
        let result = try h.run(arguments, stdin: stdin, passphrase: true)
        #expect(result.status == expected, "\(arguments): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count >= 1)
        #expect(
            !FileManager.default.fileExists(atPath: h.vaultPath) || expected == 0, "bad input must not create a vault")
    }

    @Test func fromEnvironmentReadsTwilioVariables() throws {
        let h = try Harness()
        let env = [
            "TWILIO_ACCOUNT_SID": Harness.accountSID, "TWILIO_AUTH_TOKEN": Harness.authToken,
            "TWILIO_REGION": "ie1", "TWILIO_EDGE": "dublin",
        ]
        var result = try h.run(["add", "envp", "--from-env", "--kdf", "interactive"], env: env, passphrase: true)
        #expect(result.status == 0, "\(result.stderr)")
        result = try h.run(["export", "envp", "--format", "json"], passphrase: true)
        let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String]
        #expect(
            object == [
                "TWILIO_ACCOUNT_SID": Harness.accountSID, "TWILIO_AUTH_TOKEN": Harness.authToken,
                "TWILIO_REGION": "ie1", "TWILIO_EDGE": "dublin", "TWVAULT_PROFILE": "envp",
            ])
    }

    @Test func exportedDotenvPipesBackIntoAdd() throws {
        let h = try Harness()
        try h.makeVault(profile: "src")
        for format in ["dotenv", "sh"] {
            let exported = try h.run(["export", "src", "--format", format], passphrase: true)
            #expect(exported.status == 0)
            let added = try h.run(["add", "copy-\(format)", "--stdin"], stdin: exported.stdout, passphrase: true)
            #expect(added.status == 0, "\(format): \(added.stderr)")
            let copy = try h.run(["export", "copy-\(format)", "--format", "json"], passphrase: true)
            var object = try JSONSerialization.jsonObject(with: copy.stdoutData) as? [String: String]
            #expect(object?.removeValue(forKey: "TWVAULT_PROFILE") == "copy-\(format)")
            #expect(
                object == [
                    "TWILIO_ACCOUNT_SID": Harness.accountSID, "TWILIO_AUTH_TOKEN": Harness.authToken,
                    "TWILIO_API_KEY": Harness.apiKeySID, "TWILIO_API_SECRET": Harness.apiSecret,
                ])
        }
    }

    @Test func notFoundExitCodes() throws {
        let h = try Harness()
        var result = try h.run(["export", "p"], passphrase: true)
        #expect(result.status == 66)
        #expect(result.stderr.contains("no vault"))
        result = try h.run(["list"])
        #expect(result.status == 66)
        try h.makeVault(profile: "p")
        for arguments in [
            ["export", "nope"], ["show", "nope"], ["remove", "nope", "--yes"], ["rename", "nope", "other"],
            ["exec", "nope", "--", "true"],
        ] {
            result = try h.run(arguments, passphrase: true)
            #expect(result.status == 66, "\(arguments): \(result.stderr)")
        }
    }

    @Test func removeNeedsConfirmationWithoutATerminal() throws {
        let h = try Harness()
        try h.makeVault(profile: "p")
        var result = try h.run(["remove", "p"], passphrase: true)
        #expect(result.status == 64)
        #expect(result.stderr.contains("--yes"))
        #expect(try h.run(["list"]).stdout == "p\n")
        result = try h.run(["remove", "p", "--yes"], passphrase: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try h.run(["list"]).stdout == "")
    }

    @Test func renameMovesEveryRecord() throws {
        let h = try Harness()
        try h.makeVault(profile: "old")
        try h.makeVault(profile: "taken")
        var result = try h.run(["rename", "old", "taken"], passphrase: true)
        #expect(result.status == 73)
        result = try h.run(["rename", "old", "new"], passphrase: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try h.run(["list"]).stdout == "new\ntaken\n")
        result = try h.run(["export", "new", "--format", "json"], passphrase: true)
        let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: String]
        #expect(object?["TWILIO_AUTH_TOKEN"] == Harness.authToken)
        #expect(object?["TWVAULT_PROFILE"] == "new")
        #expect(try h.run(["verify"], passphrase: true).status == 0)
    }

    @Test func completionScriptsAndVersion() throws {
        let h = try Harness()
        for shell in ["bash", "zsh", "fish"] {
            let result = try h.run(["--generate-completion-script", shell])
            #expect(result.status == 0)
            #expect(result.stdout.contains("twvault"))
            #expect(result.stdout.contains("export"))
        }
        let version = try h.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("0."))
        let help = try h.run(["export", "--help"])
        #expect(help.stdout.contains("Examples:"))
        let bad = try h.run(["export", "--bogus-flag"])
        #expect(bad.status == 64)
    }
}
