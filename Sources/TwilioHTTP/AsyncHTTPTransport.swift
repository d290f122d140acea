import AsyncHTTPClient
import NIOCore
import NIOPosix
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

/// `HTTPTransport` on AsyncHTTPClient, with TLS from the system trust roots.
///
/// The client (and its connection pool) is created on the first `send`, so a command that
/// needs no request never pays for it. Call `shutdown()` once done.
public actor AsyncHTTPTransport: HTTPTransport {
    public nonisolated let limits: HTTPLimits
    private var client: HTTPClient?
    /// The client's own event loop, shut down with it: the process-wide default group would
    /// keep its epoll and event descriptors open into a command that `exec` starts.
    private var group: MultiThreadedEventLoopGroup?
    private var isShutDown = false

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    public func send(_ request: HTTPRequest) async throws(TwilioError) -> HTTPResponse {
        let endpoint = try EndpointURL.validate(request.url)
        let client = try clientCreatingIfNeeded(host: endpoint.host)
        var outgoing = HTTPClientRequest(url: request.url)
        switch request.method {
        case .get: outgoing.method = .GET
        case .post: outgoing.method = .POST
        case .delete: outgoing.method = .DELETE
        }
        for field in request.headers {
            outgoing.headers.add(name: field.name, value: field.value)
        }
        if !request.body.isEmpty || request.method == .post {
            outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        }
        do {
            return try await Self.exchange(outgoing, on: client, limits: limits)
        } catch {
            throw Self.mapped(error, host: endpoint.host, limits: limits)
        }
    }

    /// Closes the connection pool. Safe to call when no request was ever sent.
    public func shutdown() async {
        isShutDown = true
        guard let client else { return }
        self.client = nil
        try? await client.shutdown()
        if let group {
            self.group = nil
            try? await group.shutdownGracefully()
        }
    }

    private func clientCreatingIfNeeded(host: String) throws(TwilioError) -> HTTPClient {
        if let client { return client }
        guard !isShutDown else {
            throw .temporary(.network(host: host, reason: "the HTTP client was already shut down"))
        }
        var configuration = HTTPClient.Configuration()
        // A redirect must not carry credentials elsewhere; a 3xx is reported as unexpected.
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .nanoseconds(limits.connectTimeout.nanoseconds))
        configuration.decompression = .disabled
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = HTTPClient(eventLoopGroup: group, configuration: configuration)
        self.group = group
        self.client = client
        return client
    }

    private struct WholeRequestTimeout: Error {}
    private struct BodyTooLarge: Error {}

    /// Runs the exchange and reads the body, racing a timer for the whole-request limit:
    /// AsyncHTTPClient's deadline covers only the response head.
    private static func exchange(
        _ request: HTTPClientRequest, on client: HTTPClient, limits: HTTPLimits
    ) async throws -> HTTPResponse {
        let timeout = TimeAmount.nanoseconds(limits.requestTimeout.nanoseconds)
        return try await withThrowingTaskGroup(of: HTTPResponse?.self) { group in
            group.addTask {
                let response = try await client.execute(request, deadline: .now() + timeout)
                let body: ByteBuffer
                do {
                    body = try await response.body.collect(upTo: limits.maxResponseBytes)
                } catch is NIOTooManyBytesError {
                    throw BodyTooLarge()
                }
                var headers: [HeaderField] = []
                for (name, value) in response.headers {
                    headers.append(HeaderField(name, value))
                }
                return HTTPResponse(
                    status: Int(response.status.code), headers: headers,
                    body: Array(body.readableBytesView))
            }
            group.addTask {
                try await Task.sleep(for: limits.requestTimeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else {
                throw WholeRequestTimeout()
            }
            return response
        }
    }

    private static func mapped(_ error: any Error, host: String, limits: HTTPLimits) -> TwilioError {
        if let error = error as? TwilioError { return error }
        if error is WholeRequestTimeout { return .temporary(.timedOut(host: host)) }
        if error is BodyTooLarge {
            return .malformedResponse(
                host: host, reason: "the response is larger than \(limits.maxResponseBytes) bytes")
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .connectTimeout, .readTimeout, .writeTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout:
                return .temporary(.timedOut(host: host))
            case .remoteConnectionClosed:
                return .temporary(.network(host: host, reason: "the connection closed before a complete answer"))
            case .cancelled:
                return .temporary(.network(host: host, reason: "the request was cancelled"))
            default:
                break
            }
        }
        if error is CancellationError {
            return .temporary(.network(host: host, reason: "the request was cancelled"))
        }
        if let reason = systemReason(error) { return .temporary(.network(host: host, reason: reason)) }
        // Transport errors describe sockets and TLS, never bodies; keep them to one short line.
        return .temporary(.network(host: host, reason: TextSanitizer.oneLine(String(describing: error), limit: 160)))
    }

    /// The system's words for a socket failure ("Connection refused"), from the errno of the
    /// first connection attempt, rather than the client's nested error descriptions.
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

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
