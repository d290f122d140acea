import Foundation
import Testing

/// `eval "$(twvault export typo)" && deploy` in real shells: nothing runs after a failed
/// export, and the previous profile's variables are gone (DESIGN §3, fail safe).
@Suite("Fail-safe export in real shells")
struct FailSafeExportTests {
    static let posixShells = [("bash", "/bin/bash"), ("dash", "/bin/dash"), ("zsh", "/usr/bin/zsh")]

    func environment(_ h: Harness) -> [String: String] {
        var env = h.baseEnvironment()
        env["PATH"] = URL(fileURLWithPath: Harness.binary).deletingLastPathComponent().path + ":/usr/bin:/bin"
        env["TWVAULT_PASSPHRASE_FILE"] = h.passphraseFile
        return env
    }

    @Test(
        "a failed export runs nothing after && and clears the previous profile", arguments: posixShells.map(\.0))
    func posix(_ name: String) throws {
        let path = try #require(Self.posixShells.first { $0.0 == name }).1
        let h = try Harness()
        try h.makeVault(profile: "staging")
        let script = """
            eval "$(twvault export staging)" || exit 3
            test "$TWVAULT_PROFILE" = staging || exit 4
            eval "$(twvault export prdo 2>/dev/null)" && echo ran
            printf '[%s][%s][%s]' "${TWILIO_AUTH_TOKEN+set}" "${TWILIO_ACCOUNT_SID+set}" "${TWVAULT_PROFILE+set}"
            """
        let result = try Harness.execute(path, ["-c", script], environment: environment(h))
        #expect(result.stdout == "[][][]", "\(result.stderr)")
    }

    @Test("the same after lock: the refused export clears the shell")
    func afterLock() throws {
        let h = try Harness()
        try h.makeVault(profile: "staging")
        let script = """
            eval "$(twvault export staging)" || exit 3
            unset TWVAULT_PASSPHRASE_FILE
            eval "$(twvault export staging 2>/dev/null)" && echo ran
            printf '[%s][%s]' "${TWILIO_AUTH_TOKEN+set}" "${TWVAULT_PROFILE+set}"
            """
        let result = try Harness.execute("/bin/bash", ["-c", script], environment: environment(h))
        #expect(result.stdout == "[][]", "\(result.stderr)")
    }

    @Test("fish: a failed export sourced with --format fish clears and fails")
    func fish() throws {
        let h = try Harness()
        try h.makeVault(profile: "staging")
        let script = """
            twvault export staging --format fish | source; or exit 3
            twvault export prdo --format fish 2>/dev/null | source; and echo ran
            set -q TWILIO_AUTH_TOKEN; and echo token-left
            set -q TWVAULT_PROFILE; and echo profile-left
            echo done
            """
        let result = try Harness.execute("/usr/bin/fish", ["--no-config", "-c", script], environment: environment(h))
        #expect(result.stdout == "done\n", "\(result.stderr)")
    }

    @Test("fish without --format: the format follows the shell that runs twvault")
    func fishDetected() throws {
        let h = try Harness()
        try h.makeVault(profile: "staging")
        let script = """
            twvault export staging | source; or exit 3
            echo $TWVAULT_PROFILE
            twvault export prdo 2>/dev/null | source; and echo ran
            set -q TWVAULT_PROFILE; and echo profile-left
            bash -c 'twvault export staging; true' | head -n 1 | string sub -l 7
            """
        let result = try Harness.execute("/usr/bin/fish", ["--no-config", "-c", script], environment: environment(h))
        // fish gets fish syntax; a bash started from fish gets sh syntax.
        #expect(result.stdout == "staging\nexport \n", "\(result.stderr)")
        #expect(!result.stdout.contains("ran") && !result.stdout.contains("profile-left"))
    }

    @Test("json and dotenv print nothing on failure")
    func dataFormats() async throws {
        let h = try Harness()
        try h.makeVault(profile: "staging")
        for format in ["json", "dotenv"] {
            let result = await h.call(["export", "prdo", "--format", format], passphrase: true)
            #expect(result.status == 66)
            #expect(result.stdout.isEmpty)
        }
    }
}
