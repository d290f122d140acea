import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TwilioAuth

/// A stand-in for Twilio's token and REST endpoints: a real HTTP/1.1 server on 127.0.0.1.
///
/// Start it with `TwilioStandIn.start(_:)`, point the clients at `baseURL`, inspect
/// `requests()`, inject faults, and `await shutdown()` at the end. The same state is
/// reachable over HTTP under `/__standin/` for out-of-process use (docs/STANDIN.md).
public final class TwilioStandIn: Sendable {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    public let baseURL: String
    public let port: Int
    let state: StandInState
    private let serverTask: Task<Void, Never>

    /// Largest request body accepted; a larger one is answered 413.
    static let maximumRequestBytes = 1 << 20

    private init(baseURL: String, port: Int, state: StandInState, serverTask: Task<Void, Never>) {
        self.baseURL = baseURL
        self.port = port
        self.state = state
        self.serverTask = serverTask
    }

    /// Binds to `host:port` (port 0 picks a free one) and starts answering.
    public static func start(
        _ configuration: StandInConfiguration = StandInConfiguration(), host: String = "127.0.0.1", port: Int = 0
    ) async throws -> TwilioStandIn {
        let state = StandInState(configuration)
        let serverChannel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        guard let boundPort = serverChannel.channel.localAddress?.port else {
            throw StandInError.notBound
        }
        let urlHost = host.contains(":") ? "[\(host)]" : host
        let baseURL = "http://\(urlHost):\(boundPort)"
        state.withLock { state.baseURL = baseURL }
        let task = Task<Void, Never> {
            _ = try? await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await Self.serve(connection, state: state) }
                    }
                }
            }
        }
        return TwilioStandIn(baseURL: baseURL, port: boundPort, state: state, serverTask: task)
    }

    /// Stops accepting, ends every open connection (including those left hanging by a
    /// fault) and returns when all are closed.
    public func shutdown() async {
        serverTask.cancel()
        await serverTask.value
    }

    /// Runs until the stand-in is shut down (from another task, a signal handler, …).
    public func waitUntilShutDown() async {
        await serverTask.value
    }

    // MARK: - Test API

    /// Every request received so far (control requests excluded), oldest first.
    public func requests() -> [RecordedRequest] { state.requests() }

    /// Requests to `path`, optionally only with `method`.
    public func requests(to path: String, method: String? = nil) -> [RecordedRequest] {
        state.requests().filter { $0.path == path && (method == nil || $0.method == method) }
    }

    public func clearLog() { state.clearLog() }

    /// Every API key secret and secondary auth token created so far, including those since
    /// deleted or promoted: what a test must not find in any output.
    public func issuedSecrets() -> [String] { state.secretsIssued() }

    public func inject(_ fault: Fault) { state.inject(fault) }

    /// Fails the next `count` calls of one step with `status` (a Twilio-shaped error).
    public func failStep(_ step: StandInStep, status: Int = 500, count: Int = 1) {
        state.inject(Fault(.status(status), target: .step(step), count: count))
    }

    public func clearFaults() { state.clearFaults() }

    public func register(_ client: StandInClient) { state.register(client) }

    public func register(_ account: StandInAccount) { state.register(account) }

    /// The account as the stand-in now sees it: current tokens and keys.
    public func account(_ sid: String) -> StandInAccount? { state.account(sid) }

    /// A refresh token for `clientID`, as if a login had happened.
    public func issueRefreshToken(clientID: String, scope: String? = nil) -> String {
        state.issueRefreshToken(clientID: clientID, scope: scope)
    }

    /// Changes settings such as `tokenLifetime` or `tokenFormat` while running.
    public func configure(_ change: @Sendable (inout StandInConfiguration) -> Void) { state.update(change) }

    // MARK: - Serving

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, state: StandInState
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var tooLarge = false
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                    tooLarge = false
                case .body(let buffer):
                    if body.count + buffer.readableBytes > maximumRequestBytes {
                        tooLarge = true
                    } else {
                        body += buffer.readableBytesView
                    }
                case .end:
                    guard let requestHead = head else { continue }
                    head = nil
                    let (path, query) = split(requestHead.uri)
                    var headers: [HeaderField] = []
                    for (name, value) in requestHead.headers { headers.append(HeaderField(name, value)) }
                    let request = StandInRequest(
                        method: requestHead.method.rawValue, path: path, query: query, headers: headers, body: body)
                    let reply: StandInReply
                    if tooLarge {
                        reply = StandInReply(
                            action: StandInState.twilioError(413, code: 20413, message: "Request too large"))
                    } else if path.hasPrefix(StandInControl.prefix) {
                        reply = StandInReply(action: StandInControl.handle(request, state: state))
                    } else {
                        reply = state.handle(request)
                    }
                    if let delay = reply.delay { try await Task.sleep(for: delay) }
                    switch reply.action {
                    case .drop:
                        return
                    case .hang:
                        // Holds the connection open without a word until the stand-in shuts down.
                        while true { try await Task.sleep(for: .seconds(3600)) }
                    case .respond(let status, let extraHeaders, let responseBody):
                        var responseHeaders = HTTPHeaders()
                        for field in extraHeaders { responseHeaders.add(name: field.name, value: field.value) }
                        responseHeaders.replaceOrAdd(name: "Content-Length", value: String(responseBody.count))
                        let keepAlive = requestHead.isKeepAlive
                        if !keepAlive { responseHeaders.replaceOrAdd(name: "Connection", value: "close") }
                        let responseHead = HTTPResponseHead(
                            version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: responseHeaders)
                        try await outbound.write(.head(responseHead))
                        if !responseBody.isEmpty {
                            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: responseBody))))
                        }
                        try await outbound.write(.end(nil))
                        if !keepAlive { return }
                    }
                }
            }
        }
    }

    private static func split(_ uri: String) -> (path: String, query: String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }
}

public enum StandInError: Error, CustomStringConvertible {
    case notBound
    case usage(String)

    public var description: String {
        switch self {
        case .notBound: "the stand-in could not determine its port"
        case .usage(let message): message
        }
    }
}
