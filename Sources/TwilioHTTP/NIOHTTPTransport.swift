import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TwilioAuth

#if canImport(Glibc)
    import Glibc
#endif

/// Time and size limits of one HTTP exchange.
public struct HTTPLimits: Sendable, Equatable {
    /// Time to establish the connection (TCP and TLS).
    public var connectTimeout: Duration
    /// Time for the whole exchange: connecting, sending, and reading the complete body.
    public var requestTimeout: Duration
    /// Largest response body read; a larger one fails as malformed.
    public var maxResponseBytes: Int

    public init(
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30),
        maxResponseBytes: Int = 1 << 20
    ) {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxResponseBytes = maxResponseBytes
    }
}

/// `HTTPTransport` as HTTP/1.1 on SwiftNIO: one connection per exchange (`Connection: close`),
/// TLS from NIOSSL with the system trust roots and the host name verified, no redirects, no
/// decompression, no proxy, nothing kept between exchanges.
///
/// twvault makes a handful of requests per command, each to one of Twilio's hosts: a connection
/// pool, HTTP/2 and the rest of a general-purpose client would be code carried by every start
/// for nothing. The event loop (one thread) is created on the first `send`, so a command that
/// needs no request never starts it. Call `shutdown()` once done.
public actor NIOHTTPTransport: HTTPTransport {
    public nonisolated let limits: HTTPLimits
    /// Trust roots in place of the system's (tests with a certificate of their own).
    private let trustRoots: NIOSSLTrustRoots?
    /// The transport's own event loop, shut down with it: the process-wide default group would
    /// keep its epoll and event descriptors open into a command that `exec` starts.
    private var group: MultiThreadedEventLoopGroup?
    private var tls: NIOSSLContext?
    private var isShutDown = false

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.init(limits: limits, trustRoots: nil)
    }

    /// A transport that trusts only the certificates of the PEM file at `trustedCertificates`.
    public init(limits: HTTPLimits = HTTPLimits(), trustedCertificates: String) {
        self.init(limits: limits, trustRoots: .file(trustedCertificates))
    }

    private init(limits: HTTPLimits, trustRoots: NIOSSLTrustRoots?) {
        self.limits = limits
        self.trustRoots = trustRoots
    }

    public func send(_ request: HTTPRequest) async throws(TwilioError) -> HTTPResponse {
        let endpoint = try EndpointURL.validate(request.url)
        do {
            let loop = try groupCreatingIfNeeded(host: endpoint.host).next()
            let target = Target(endpoint, loop: loop, tls: try tlsContext(endpoint))
            return try await Self.exchange(request, with: target, limits: limits)
        } catch {
            throw Self.mapped(error, host: endpoint.host, limits: limits)
        }
    }

    /// Stops the event loop. Safe to call when no request was ever sent.
    public func shutdown() async {
        isShutDown = true
        guard let group else { return }
        self.group = nil
        try? await group.shutdownGracefully()
    }

    private func groupCreatingIfNeeded(host: String) throws(TwilioError) -> MultiThreadedEventLoopGroup {
        if let group { return group }
        guard !isShutDown else {
            throw .temporary(.network(host: host, reason: "the HTTP client was already shut down"))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        return group
    }

    private func tlsContext(_ endpoint: EndpointURL) throws -> NIOSSLContext? {
        guard endpoint.scheme == "https" else { return nil }
        if let tls { return tls }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        if let trustRoots { configuration.trustRoots = trustRoots }
        let context = try NIOSSLContext(configuration: configuration)
        tls = context
        return context
    }

    /// Where one exchange goes, and on which event loop it runs.
    struct Target: Sendable {
        var endpoint: EndpointURL
        var loop: any EventLoop
        var tls: NIOSSLContext?

        init(_ endpoint: EndpointURL, loop: any EventLoop, tls: NIOSSLContext?) {
            self.endpoint = endpoint
            self.loop = loop
            self.tls = tls
        }

        var port: Int { endpoint.port ?? (endpoint.scheme == "https" ? 443 : 80) }

        /// The `Host` field: the name, bracketed if an IPv6 address, with a port that is not
        /// the scheme's own.
        var hostField: String {
            let name = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
            return endpoint.port.map { "\(name):\($0)" } ?? name
        }

        /// Path and query as sent: the fragment is not part of the request.
        var requestTarget: String {
            let text = endpoint.pathAndQuery.prefix { $0 != "#" }
            if text.isEmpty { return "/" }
            return text.first == "?" ? "/" + text : String(text)
        }

        /// The name the certificate must carry, also sent as SNI; an address literal is
        /// checked against the certificate's IP addresses instead.
        var serverName: String? { endpoint.isIPAddress ? nil : endpoint.host }
    }

    struct WholeRequestTimeout: Error {}
    struct BodyTooLarge: Error {}
    struct ClosedEarly: Error {}

    /// Connects, sends the request, and reads the whole response, all under the whole-request
    /// time limit; the connection is closed whatever the outcome.
    private static func exchange(
        _ request: HTTPRequest, with target: Target, limits: HTTPLimits
    ) async throws -> HTTPResponse {
        let loop = target.loop
        let response = loop.makePromise(of: HTTPResponse.self)
        let timer = loop.scheduleTask(in: .nanoseconds(limits.requestTimeout.nanoseconds)) {
            response.fail(WholeRequestTimeout())
        }
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(limits.connectTimeout.nanoseconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls = target.tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: target.serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(ResponseReader(into: response, limit: limits.maxResponseBytes))
                }
            }
        bootstrap.connect(host: target.endpoint.host, port: target.port).whenComplete { result in
            switch result {
            case .failure(let error):
                response.fail(error)
            case .success(let channel):
                // Whatever ends the exchange (answer, error, time limit) ends the connection.
                response.futureResult.whenComplete { _ in channel.close(promise: nil) }
                send(request, to: target, on: channel)
            }
        }
        defer { timer.cancel() }
        return try await response.futureResult.get()
    }

    private static func send(_ request: HTTPRequest, to target: Target, on channel: any Channel) {
        var head = HTTPRequestHead(version: .http1_1, method: method(request.method), uri: target.requestTarget)
        head.headers.add(name: "Host", value: target.hostField)
        for field in request.headers {
            head.headers.add(name: field.name, value: field.value)
        }
        let hasBody = !request.body.isEmpty || request.method == .post
        if hasBody {
            head.headers.replaceOrAdd(name: "Content-Length", value: String(request.body.count))
        }
        head.headers.replaceOrAdd(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if hasBody {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: request.body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    private static func method(_ method: HTTPRequest.Method) -> HTTPMethod {
        switch method {
        case .get: .GET
        case .post: .POST
        case .delete: .DELETE
        }
    }

    private static func mapped(_ error: any Error, host: String, limits: HTTPLimits) -> TwilioError {
        if let error = error as? TwilioError { return error }
        if error is WholeRequestTimeout { return .temporary(.timedOut(host: host)) }
        if error is BodyTooLarge {
            return .malformedResponse(
                host: host, reason: "the response is larger than \(limits.maxResponseBytes) bytes")
        }
        if error is ClosedEarly {
            return .temporary(.network(host: host, reason: "the connection closed before a complete answer"))
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return .temporary(.timedOut(host: host))
        }
        if error is HTTPParserError {
            return .malformedResponse(host: host, reason: "the answer is not valid HTTP/1.1")
        }
        if error is CancellationError {
            return .temporary(.network(host: host, reason: "the request was cancelled"))
        }
        if let reason = systemReason(error) { return .temporary(.network(host: host, reason: reason)) }
        // Transport errors describe sockets and TLS, never bodies; keep them to one short line.
        return .temporary(.network(host: host, reason: TextSanitizer.oneLine(String(describing: error), limit: 160)))
    }

    /// The system's words for a socket failure ("Connection refused"), from the errno of the
    /// first connection attempt, rather than nested error descriptions.
    private static func systemReason(_ error: any Error) -> String? {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "the host name could not be resolved" }
            for failure in error.connectionErrors {
                if let reason = systemReason(failure.error) { return reason }
            }
        }
        return nil
    }
}

/// Collects one response (head and body up to a limit) and completes the exchange's promise:
/// with the response at its end, or with why there is none.
private final class ResponseReader: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPResponse>
    private let limit: Int
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(into promise: EventLoopPromise<HTTPResponse>, limit: Int) {
        self.promise = promise
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head) where head.status.code < 200:
            // An interim answer (100 Continue and the like): the real one follows.
            break
        case .head(let head):
            self.head = head
        case .body(var bytes):
            guard body.count + bytes.readableBytes <= limit else {
                promise.fail(NIOHTTPTransport.BodyTooLarge())
                context.close(promise: nil)
                return
            }
            body += bytes.readBytes(length: bytes.readableBytes) ?? []
        case .end:
            guard let head else { return }
            var headers: [HeaderField] = []
            for (name, value) in head.headers {
                headers.append(HeaderField(name, value))
            }
            promise.succeed(HTTPResponse(status: Int(head.status.code), headers: headers, body: body))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // After a complete answer this is a no-op: a promise completes once.
        promise.fail(NIOHTTPTransport.ClosedEarly())
        context.fireChannelInactive()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
