import Foundation
import Testing
import TwVaultTestSupport
import TwilioStandIn

/// `login`, in process against the stand-in: the test plays the browser with the URL the
/// command prints. (The whole flow with the binary: TokenEndToEndTests.)
@Suite struct LoginCommandTests {
    @Test func loginRefusesAWrongState() async throws {
        try await TokenCommandTests.withStandIn { h, standIn async throws in
            await h.callMakeVault(profile: "org", lines: "TWILIO_CLIENT_ID=\(TokenCommandTests.orgClientID)\n")
            let result = try await driveLogin(h, standIn: standIn, tamperState: true)
            #expect(result.status == 65)
            #expect(result.stderr.contains("state"))
            #expect(TokenCommandTests.tokenRequests(standIn).isEmpty)
        }
    }

    /// The browser `login` starts gets the user's environment without the unlock session, the
    /// passphrase channel or any TWILIO_* credential.
    @Test func theBrowserGetsNoUnlockSecret() async throws {
        try await TokenCommandTests.withStandIn { h, standIn async throws in
            await h.callMakeVault(profile: "org", lines: "TWILIO_CLIENT_ID=\(TokenCommandTests.orgClientID)\n")
            h.environment["TWILIO_AUTH_TOKEN"] = "inherited-token-3f1c"
            let browser = RecordingLauncher()
            let result = try await driveLogin(h, standIn: standIn, tamperState: false, browser: browser)
            #expect(result.status == 0, "\(result.stderr)")
            let launch = try #require(browser.recorded.first)
            #expect(browser.recorded.count == 1 && launch.argv.first == "xdg-open")
            #expect(launch.argv.last?.hasPrefix(standIn.baseURL + "/v2/authorize?") == true)
            #expect(h.environment["TWVAULT_SESSION"] != nil)
            #expect(launch.environment["HOME"] == h.root.path)
            for name in launch.environment.keys {
                #expect(!name.hasPrefix("TWVAULT_SESSION") && !name.hasPrefix("TWVAULT_PASSPHRASE"), "\(name)")
                #expect(!name.hasPrefix("TWILIO_"), "\(name)")
            }
        }
    }

    /// Runs `login org --no-browser --port 0` in process, waits for the authorize URL on its
    /// stderr, performs the browser's request against the stand-in and follows its redirect to
    /// the command's listener.
    func driveLogin(
        _ h: Harness, standIn: TwilioStandIn, tamperState: Bool, browser: RecordingLauncher? = nil
    ) async throws -> Harness.Result {
        let console = TestConsole()
        let arguments = ["login", "org", "--port", "0"] + (browser == nil ? ["--no-browser"] : [])
        // The listener blocks its thread while it waits: one of the stand-in's threads, not one
        // of the cooperative pool's.
        let login = Task(executorPreference: StandInExecutor.shared) {
            let result = await h.call(arguments, passphrase: true, console: console, processes: browser)
            console.finish()
            return result
        }
        let base = standIn.baseURL
        let seen = await console.standardError { text in
            text.hasSuffix("\n") && text.split(separator: "\n").contains { $0.hasPrefix(base) }
        }
        let line = try #require(seen.split(separator: "\n").first { $0.hasPrefix(base) }, "\(seen)")
        // The browser: the authorize endpoint answers 302 to the loopback redirect URI.
        let authorize = try await HTTPGet.fetch(String(line))
        #expect(authorize.status == 302)
        var location = try #require(authorize.location)
        if tamperState {
            location = location.replacingOccurrences(of: "state=", with: "state=forged")
        }
        let callback = try await HTTPGet.fetch(location)
        #expect(callback.status == (tamperState ? 400 : 200))
        return await login.value
    }
}
