import Foundation
import Testing
import TwilioStandIn

/// `token` and `login` with the binary against the stand-in: sixteen processes at once, and
/// the browser flow of `login` to a real listener. (The rest, in process: TokenCommandTests,
/// LoginCommandTests.)
@Suite struct TokenEndToEndTests {
    static let orgClientID = TokenCommandTests.orgClientID

    func tokenRequests(_ standIn: TwilioStandIn) -> [RecordedRequest] { TokenCommandTests.tokenRequests(standIn) }

    @Test func sixteenProcessesMakeOneRequest() async throws {
        try await TokenCommandTests.withStandIn { h, standIn async throws in
            var env = h.baseEnvironment()
            env["TWVAULT_SESSION"] = h.environment["TWVAULT_SESSION"]
            let script = "for i in $(seq 16); do \"$0\" token cc > \"$1/out.$i\" 2> \"$1/err.$i\" & done; wait"
            let result = try await Harness.executeAsync(
                "/bin/bash", ["-c", script, Harness.binary, h.root.path], environment: env)
            #expect(result.status == 0)
            var tokens = Set<String>()
            for index in 1...16 {
                let text = try String(contentsOfFile: h.root.path + "/out.\(index)", encoding: .utf8)
                tokens.insert(text)
            }
            #expect(tokens.count == 1, "all sixteen print the same token")
            #expect(tokenRequests(standIn).count == 1)
            // Only the process that contacted the redirected token endpoint says so, once; the
            // others found the token it stored.
            var warned = 0
            for index in 1...16 {
                let errors = try String(contentsOfFile: h.root.path + "/err.\(index)", encoding: .utf8)
                #expect(linesBesideEndpointWarnings(errors).isEmpty, "\(errors)")
                warned += endpointWarnings(errors).count
            }
            #expect(warned == 1)
        }
    }

    @Test func loginWithPKCEStoresARefreshToken() async throws {
        try await TokenCommandTests.withStandIn { h, standIn async throws in
            await h.callMakeVault(profile: "org", lines: "TWILIO_CLIENT_ID=\(Self.orgClientID)\n")
            let (status, stderr) = try await driveLogin(h, standIn: standIn, tamperState: false)
            #expect(status == 0, "\(stderr)")
            let request = try #require(tokenRequests(standIn).last)
            #expect(request.formDictionary["grant_type"] == "authorization_code")
            #expect(request.formDictionary["code_verifier"] != nil)
            let show = await h.call(["show", "org", "--json"])
            let object = try JSONSerialization.jsonObject(with: show.stdoutData) as? [String: Any]
            #expect((object?["secrets"] as? [String: Bool])?["refresh_token"] == true)
            #expect(await h.call(["token", "org", "--refresh"]).status == 0)
        }
    }

    /// Runs `login --no-browser --port 0`, reads the authorize URL from stderr, performs the
    /// browser's request against the stand-in and follows its redirect to the listener.
    func driveLogin(_ h: Harness, standIn: TwilioStandIn, tamperState: Bool) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = ["login", "org", "--no-browser", "--port", "0"]
        var env = h.baseEnvironment()
        env["TWVAULT_SESSION"] = h.environment["TWVAULT_SESSION"]
        process.environment = env
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("\n" + standIn.baseURL) || !seen.hasSuffix("\n") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        let line = try #require(seen.split(separator: "\n").first { $0.hasPrefix(standIn.baseURL) })
        // The browser: the authorize endpoint answers 302 to the loopback redirect URI.
        let authorize = try await HTTPGet.fetch(String(line))
        #expect(authorize.status == 302)
        var location = try #require(authorize.location)
        if tamperState {
            location = location.replacingOccurrences(of: "state=", with: "state=forged")
        }
        let callback = try await HTTPGet.fetch(location)
        #expect(callback.status == (tamperState ? 400 : 200))
        let rest = try await Harness.offPool { () -> Data in
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return data
        }
        return (process.terminationStatus, seen + String(decoding: rest, as: UTF8.self))
    }
}

/// A minimal HTTP GET on loopback that does not follow redirects.
enum HTTPGet {
    struct Answer {
        var status: Int
        var location: String?
    }

    static func fetch(_ url: String) async throws -> Answer {
        let result = try await Harness.executeAsync(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import sys, http.client, urllib.parse
                u = urllib.parse.urlsplit(sys.argv[1])
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                c.request('GET', u.path + ('?' + u.query if u.query else ''))
                r = c.getresponse()
                print(r.status)
                print(r.getheader('Location') or '')
                """, url,
            ], environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return Answer(
            status: Int(lines.first ?? "") ?? 0, location: lines.count > 1 && !lines[1].isEmpty ? String(lines[1]) : nil
        )
    }
}
