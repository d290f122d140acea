import NIOCore
import NIOHTTP1
import NIOPosix
import TwilioAuth
internal import VaultCrypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the authorization server sent back through the browser.
public enum AuthorizationRedirect: Sendable, Equatable {
    /// The user approved: the authorization code to exchange (RFC 6749 §4.1.2).
    case code(String)
    /// The user or the server declined (RFC 6749 §4.1.2.1); both texts are cut to one short
    /// line and come from the browser, so show them escaped.
    case denied(error: String, description: String?)
}

/// Why no authorization redirect could be taken from the loopback listener.
public enum LoopbackRedirectError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The listening socket could not be set up (port in use, no permission, …).
    case cannotListen(port: Int, reason: String)
    /// No redirect reached the callback path within the time allowed.
    case timedOut(Duration)
    /// The redirect carried no `state` or another login's: it may come from another page.
    case stateMismatch
    /// The redirect had the right `state` but no usable answer (`reason` says what was wrong).
    case malformedRedirect(reason: String)
    /// The task waiting for the redirect was cancelled, or the listener closed while waiting.
    case cancelled

    public var description: String {
        switch self {
        case .cannotListen(let port, let reason):
            return "cannot listen on 127.0.0.1:\(port) (\(reason))"
        case .timedOut(let duration):
            let (seconds, attoseconds) = duration.components
            return "no redirect arrived within \(attoseconds > 0 ? seconds + 1 : seconds) seconds"
        case .stateMismatch:
            return "the redirect carried a wrong or missing state"
        case .malformedRedirect(let reason):
            return "the redirect \(reason)"
        case .cancelled:
            return "the wait for the redirect was cancelled"
        }
    }
}

/// A one-shot HTTP listener on 127.0.0.1 for the OAuth authorization-code redirect
/// (RFC 8252 §7.3), on SwiftNIO.
///
/// `bind` opens the socket on the given port (0 picks a free one) with an event loop group
/// of its own; `waitForRedirect(timeout:)` serves until one GET to the callback path arrives,
/// answers it with a small page, and closes the listener; `close()` closes it without
/// waiting. The event loop group is shut down on every one of these paths, so nothing of the
/// listener outlives the login. Other paths (a browser's `/favicon.ico`) are answered 404 and
/// the wait goes on. The returned `state` is compared with the expected one in constant time:
/// it is what ties the redirect to this login and keeps another page from injecting its code.
public actor LoopbackRedirectListener {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Outcome = Result<AuthorizationRedirect, LoopbackRedirectError>

    /// The port actually bound.
    public nonisolated let port: Int
    public nonisolated let callbackPath: String
    /// `http://127.0.0.1:PORT/callback`: the redirect URI to register and send.
    public nonisolated var redirectURI: String { "http://127.0.0.1:\(port)\(callbackPath)" }

    private let expectedState: [UInt8]
    private let group: MultiThreadedEventLoopGroup
    private let server: NIOAsyncChannel<Connection, Never>
    private var phase = Phase.listening

    private enum Phase {
        case listening, waiting, closed
    }

    private init(
        port: Int, callbackPath: String, expectedState: String, group: MultiThreadedEventLoopGroup,
        server: NIOAsyncChannel<Connection, Never>
    ) {
        self.port = port
        self.callbackPath = callbackPath
        self.expectedState = Array(expectedState.utf8)
        self.group = group
        self.server = server
    }

    /// Listens on 127.0.0.1:`port` (0 = a free port) for a redirect carrying `expectedState`.
    public static func bind(
        port: Int = 0, expectedState: String, callbackPath: String = "/callback"
    ) async throws(LoopbackRedirectError) -> LoopbackRedirectListener {
        guard (0...65535).contains(port) else {
            throw .cannotListen(port: port, reason: "not a port number")
        }
        precondition(callbackPath.hasPrefix("/") && !callbackPath.contains("?"), "callbackPath is a bare path")
        precondition(!expectedState.isEmpty, "a redirect must be tied to a state")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            try? await group.shutdownGracefully()
            throw .cannotListen(port: port, reason: Self.reason(error))
        }
        guard let bound = server.channel.localAddress?.port else {
            try? await server.channel.close()
            try? await group.shutdownGracefully()
            throw .cannotListen(port: port, reason: "the socket has no local port")
        }
        return LoopbackRedirectListener(
            port: bound, callbackPath: callbackPath, expectedState: expectedState, group: group, server: server)
    }

    /// Serves until the first GET to the callback path, answers it, closes the listener and
    /// returns what it carried; or fails after `timeout`, or when the waiting task is cancelled.
    /// A listener serves one wait: a second call, or one after `close()`, fails as cancelled.
    public func waitForRedirect(timeout: Duration) async throws(LoopbackRedirectError) -> AuthorizationRedirect {
        guard phase == .listening else { throw .cancelled }
        phase = .waiting
        let outcome = await Self.serve(
            server, expectedState: expectedState, callbackPath: callbackPath, timeout: timeout)
        phase = .closed
        try? await group.shutdownGracefully()
        return try outcome.get()
    }

    /// Closes the listener. A wait in progress ends as cancelled (and shuts the event loop
    /// group down itself); after the wait or a first `close` this does nothing.
    public func close() async {
        switch phase {
        case .listening:
            phase = .closed
            try? await server.channel.close()
            try? await group.shutdownGracefully()
        case .waiting:
            try? await server.channel.close()
        case .closed:
            break
        }
    }

    // MARK: - Serving

    /// Accepts connections until one of them brings an outcome or the timer fires; every
    /// child task (accepting, each connection, the timer) has ended when this returns, and
    /// the server channel is closed.
    private static func serve(
        _ server: NIOAsyncChannel<Connection, Never>, expectedState: [UInt8], callbackPath: String,
        timeout: Duration
    ) async -> Outcome {
        let (outcomes, report) = AsyncStream.makeStream(of: Outcome.self, bufferingPolicy: .bufferingOldest(1))
        return await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                // Connections are served side by side: a browser may open one it never uses.
                await withTaskGroup(of: Void.self) { connections in
                    try? await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask {
                                await answer(
                                    connection, expectedState: expectedState, callbackPath: callbackPath, report: report
                                )
                            }
                        }
                    }
                    // No more connections: end those still open (an idle one would never end).
                    connections.cancelAll()
                }
                // Reached first only when the listener was closed from outside.
                return .failure(.cancelled)
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .failure(.timedOut(timeout))
                } catch {
                    return nil
                }
            }
            group.addTask {
                var iterator = outcomes.makeAsyncIterator()
                return await iterator.next()
            }
            var outcome: Outcome = .failure(.cancelled)
            while let next = await group.next() {
                if let next {
                    outcome = next
                    break
                }
            }
            group.cancelAll()
            report.finish()
            return outcome
        }
    }

    /// Answers every request on `connection` and reports the first callback's outcome; the
    /// connection is closed after a callback (or any request, since each answer says close).
    private static func answer(
        _ connection: Connection, expectedState: [UInt8], callbackPath: String,
        report: AsyncStream<Outcome>.Continuation
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                case .body:
                    continue
                case .end:
                    guard let requestHead = head else { continue }
                    let reply = Self.reply(to: requestHead, expectedState: expectedState, callbackPath: callbackPath)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
                    headers.add(name: "Content-Length", value: String(reply.page.utf8.count))
                    headers.add(name: "Cache-Control", value: "no-store")
                    // The page loads nothing and sends no Referer carrying the code anywhere.
                    headers.add(name: "Content-Security-Policy", value: "default-src 'none'")
                    headers.add(name: "Referrer-Policy", value: "no-referrer")
                    headers.add(name: "Connection", value: "close")
                    do {
                        try await outbound.write(
                            .head(HTTPResponseHead(version: .http1_1, status: reply.status, headers: headers)))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: reply.page))))
                        try await outbound.write(.end(nil))
                    } catch {
                        // The browser may close as soon as it has the page, before the last
                        // write returns here: the redirect counts all the same.
                    }
                    if let outcome = reply.outcome { report.yield(outcome) }
                    return
                }
            }
        }
    }

    struct Reply {
        var status: HTTPResponseStatus
        var page: String
        var outcome: Outcome?
    }

    /// The answer to one request, and the outcome when it was the callback.
    static func reply(to head: HTTPRequestHead, expectedState: [UInt8], callbackPath: String) -> Reply {
        let (path, query) = split(head.uri)
        guard path == callbackPath else {
            return Reply(status: .notFound, page: page("Not found."), outcome: nil)
        }
        guard head.method == .GET else {
            return Reply(status: .methodNotAllowed, page: page("Method not allowed."), outcome: nil)
        }
        let fields = FormEncoding.decode(query)
        func values(_ name: String) -> [String] { fields.filter { $0.0 == name }.map(\.1) }
        let refused = page("This answer does not belong to the sign-in twvault is waiting for. Close this tab.")
        // RFC 6749 §3.1: parameters must not repeat; a repeated one could mean two different things.
        for name in ["state", "code", "error"] where values(name).count > 1 {
            return Reply(
                status: .badRequest, page: refused, outcome: .failure(.malformedRedirect(reason: "repeats \(name)")))
        }
        let state = values("state").first ?? ""
        guard ConstantTime.equal(Array(state.utf8), expectedState) else {
            return Reply(status: .badRequest, page: refused, outcome: .failure(.stateMismatch))
        }
        if let error = values("error").first {
            let description = values("error_description").first.map { TextSanitizer.oneLine($0, limit: 120) }
            return Reply(
                status: .ok, page: page("The sign-in was not completed. Close this tab and return to the terminal."),
                outcome: .success(
                    .denied(error: TextSanitizer.oneLine(error, limit: 60), description: description)))
        }
        guard let code = values("code").first, !code.isEmpty else {
            return Reply(
                status: .badRequest, page: refused,
                outcome: .failure(.malformedRedirect(reason: "carried no authorization code")))
        }
        return Reply(
            status: .ok, page: page("Signed in. Close this tab and return to the terminal."),
            outcome: .success(.code(code)))
    }

    private static func page(_ message: String) -> String {
        "<!doctype html><meta charset=utf-8><title>twvault</title><p>\(message)</p>\n"
    }

    private static func split(_ uri: String) -> (path: String, query: String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }

    /// One line for a socket failure: the system's words for an errno, else the error's.
    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode))
        }
        return TextSanitizer.oneLine(String(describing: error), limit: 120)
    }
}
