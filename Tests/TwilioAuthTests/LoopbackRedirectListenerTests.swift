import Foundation
import Testing
import TwilioAuth
import TwilioHTTP
import TwilioStandIn

/// The OAuth redirect listener, driven by real HTTP requests on 127.0.0.1 through the
/// package's own transport.
@Suite struct LoopbackRedirectListenerTests {
    static let state = "st4te-Of-This-Login_0123456789abcdefABCDEFxyz"
    /// Long enough that no test waits for it on a loaded machine, and never reached when a
    /// test passes.
    static let patience = Duration.seconds(120)

    /// Binds a listener, runs `body` with it and a transport, and closes both in every case.
    func withListener<T: Sendable>(
        port: Int = 0, _ body: @Sendable (LoopbackRedirectListener, NIOHTTPTransport) async throws -> T
    ) async throws -> T {
        try await withTaskExecutorPreference(StandInExecutor.shared) {
            let listener = try await LoopbackRedirectListener.bind(port: port, expectedState: Self.state)
            let transport = NIOHTTPTransport(limits: Fixture.limits)
            do {
                let result = try await body(listener, transport)
                await transport.shutdown()
                await listener.close()
                return result
            } catch {
                await transport.shutdown()
                await listener.close()
                throw error
            }
        }
    }

    /// The wait, started beside the test's requests. Like the stand-in, it runs on threads of
    /// its own: other suites block cooperative threads, which would starve the listener.
    static func waiting(for listener: LoopbackRedirectListener) -> Task<AuthorizationRedirect, any Error> {
        Task(executorPreference: StandInExecutor.shared) { try await listener.waitForRedirect(timeout: patience) }
    }

    static func get(_ transport: NIOHTTPTransport, _ url: String) async throws -> HTTPResponse {
        try await transport.send(HTTPRequest(method: .get, url: url))
    }

    static func query(_ fields: [(String, String)]) -> String {
        "?" + fields.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// After the listener has ended, its port takes no connection.
    static func expectClosed(_ listener: LoopbackRedirectListener, _ transport: NIOHTTPTransport) async {
        let error = await #expect(throws: TwilioError.self) { try await get(transport, listener.redirectURI) }
        #expect(error?.kind == .temporary, "\(String(describing: error))")
    }

    @Test func theCodeComesBackAndThePageSaysSo() async throws {
        try await withListener { listener, transport in
            #expect(listener.port > 0)
            #expect(listener.redirectURI == "http://127.0.0.1:\(listener.port)/callback")
            let redirect = Self.waiting(for: listener)
            // Percent-encoded as an authorization server sends it; `+` is a space in a query.
            let response = try await Self.get(
                transport,
                listener.redirectURI + Self.query([("code", "c0de%2F%3D+x"), ("state", Self.state), ("scope", "a")]))
            #expect(response.status == 200)
            let page = String(decoding: response.body, as: UTF8.self)
            #expect(page.contains("Signed in"))
            #expect(response.headers.value(for: "Content-Type") == "text/html; charset=utf-8")
            #expect(response.headers.value(for: "Cache-Control") == "no-store")
            #expect(response.headers.value(for: "Referrer-Policy") == "no-referrer")
            #expect(try await redirect.value == .code("c0de/= x"))
            await Self.expectClosed(listener, transport)
        }
    }

    @Test func otherPathsAndMethodsAreAnsweredAndTheWaitGoesOn() async throws {
        try await withListener { listener, transport in
            let redirect = Self.waiting(for: listener)
            let base = "http://127.0.0.1:\(listener.port)"
            #expect(try await Self.get(transport, base + "/favicon.ico").status == 404)
            #expect(try await Self.get(transport, base + "/callback/x?state=\(Self.state)&code=x").status == 404)
            let post = try await transport.send(
                HTTPRequest(method: .post, url: listener.redirectURI + "?code=x&state=\(Self.state)"))
            #expect(post.status == 405)
            let response = try await Self.get(transport, listener.redirectURI + "?state=\(Self.state)&code=abc")
            #expect(response.status == 200)
            #expect(try await redirect.value == .code("abc"))
        }
    }

    @Test(arguments: [
        // Forged, missing, empty, a prefix, and the right one with something after it.
        "?code=abc&state=forged", "?code=abc", "?code=abc&state=", "?code=abc&state=st4te",
        "?code=abc&state=\(LoopbackRedirectListenerTests.state)x", "?error=access_denied&state=forged",
    ])
    func aWrongOrMissingStateIsRefused(query: String) async throws {
        try await withListener { listener, transport in
            let redirect = Self.waiting(for: listener)
            let response = try await Self.get(transport, listener.redirectURI + query)
            #expect(response.status == 400)
            #expect(!String(decoding: response.body, as: UTF8.self).contains("Signed in"))
            await #expect(throws: LoopbackRedirectError.stateMismatch) { try await redirect.value }
            await Self.expectClosed(listener, transport)
        }
    }

    @Test(arguments: [
        ("?state=\(LoopbackRedirectListenerTests.state)", "carried no authorization code"),
        ("?state=\(LoopbackRedirectListenerTests.state)&code=", "carried no authorization code"),
        ("?state=\(LoopbackRedirectListenerTests.state)&code=a&code=b", "repeats code"),
        (
            "?state=\(LoopbackRedirectListenerTests.state)&state=\(LoopbackRedirectListenerTests.state)&code=a",
            "repeats state"
        ),
    ])
    func aRedirectWithoutOneCodeIsMalformed(query: String, reason: String) async throws {
        try await withListener { listener, transport in
            let redirect = Self.waiting(for: listener)
            let response = try await Self.get(transport, listener.redirectURI + query)
            #expect(response.status == 400)
            await #expect(throws: LoopbackRedirectError.malformedRedirect(reason: reason)) { try await redirect.value }
        }
    }

    @Test func aDeniedAuthorizationIsReturnedWithItsReason() async throws {
        try await withListener { listener, transport in
            let redirect = Self.waiting(for: listener)
            let response = try await Self.get(
                transport,
                listener.redirectURI
                    + "?error=access_denied&error_description=The+user%0Adeclined%1B%5B31m&state=\(Self.state)")
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self).contains("not completed"))
            // Control characters from the browser are flattened before anyone prints them.
            #expect(try await redirect.value == .denied(error: "access_denied", description: "The user declined [31m"))
        }
    }

    @Test func theWaitEndsAtTheTimeoutAndClosesTheListener() async throws {
        try await withListener { listener, transport in
            await #expect(throws: LoopbackRedirectError.timedOut(.milliseconds(1))) {
                try await listener.waitForRedirect(timeout: .milliseconds(1))
            }
            await Self.expectClosed(listener, transport)
            // The listener is single-use.
            await #expect(throws: LoopbackRedirectError.cancelled) {
                try await listener.waitForRedirect(timeout: Self.patience)
            }
        }
    }

    @Test func cancellingTheWaitClosesTheListener() async throws {
        try await withListener { listener, transport in
            let wait = Self.waiting(for: listener)
            wait.cancel()
            await #expect(throws: LoopbackRedirectError.cancelled) { try await wait.value }
            await Self.expectClosed(listener, transport)
        }
    }

    @Test func closingWhileWaitingEndsTheWait() async throws {
        try await withListener { listener, transport in
            let redirect = Self.waiting(for: listener)
            // Whether this runs before the wait starts or during it, the wait ends as cancelled.
            await listener.close()
            await #expect(throws: LoopbackRedirectError.cancelled) { try await redirect.value }
            await Self.expectClosed(listener, transport)
        }
    }

    /// Browsers open connections they may never use; one must neither hold back the callback
    /// nor stay open after the wait.
    @Test func anIdleConnectionNeitherBlocksTheCallbackNorOutlivesTheWait() async throws {
        try await withListener { listener, transport in
            let idle = try Self.connectWithoutSending(port: listener.port)
            defer { close(idle) }
            let redirect = Self.waiting(for: listener)
            let response = try await Self.get(transport, listener.redirectURI + "?state=\(Self.state)&code=abc")
            #expect(response.status == 200)
            #expect(try await redirect.value == .code("abc"))
            // The listener has closed it: a read sees the end of the stream (not the 30 s timeout).
            var byte: UInt8 = 0
            #expect(recv(idle, &byte, 1, 0) == 0)
        }
    }

    /// A TCP connection to 127.0.0.1:`port` that sends nothing; reads time out after 30 s.
    static func connectWithoutSending(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        return fd
    }

    @Test func closingWithoutWaitingFreesThePort() async throws {
        try await withListener { listener, transport in
            await listener.close()
            await Self.expectClosed(listener, transport)
            // The same port can be bound again at once.
            let again = try await LoopbackRedirectListener.bind(port: listener.port, expectedState: Self.state)
            #expect(again.port == listener.port)
            await again.close()
        }
    }

    @Test func aPortInUseIsASocketErrorNotAUsageError() async throws {
        try await withListener { listener, _ in
            let error = await #expect(throws: LoopbackRedirectError.self) {
                try await LoopbackRedirectListener.bind(port: listener.port, expectedState: Self.state)
            }
            guard case .cannotListen(let port, let reason)? = error else {
                Issue.record("expected cannotListen, got \(String(describing: error))")
                return
            }
            #expect(port == listener.port)
            #expect(reason == String(cString: strerror(EADDRINUSE)))
            #expect(error?.description == "cannot listen on 127.0.0.1:\(listener.port) (\(reason))")
        }
        let outOfRange = await #expect(throws: LoopbackRedirectError.self) {
            try await LoopbackRedirectListener.bind(port: 70000, expectedState: Self.state)
        }
        #expect(outOfRange == .cannotListen(port: 70000, reason: "not a port number"))
    }
}
