/// One HTTP header line. Names compare case-insensitively where they are looked up.
public struct HeaderField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == HeaderField {
    /// The first value of the header `name` (case-insensitive), if any.
    public func value(for name: String) -> String? {
        let wanted = name.lowercased()
        return first { $0.name.lowercased() == wanted }?.value
    }
}

/// An HTTP request as the Twilio clients build it: nothing streams, everything is small.
public struct HTTPRequest: Sendable, Equatable {
    public enum Method: String, Sendable, Equatable {
        case get = "GET"
        case post = "POST"
        case delete = "DELETE"
    }

    public var method: Method
    /// Absolute URL; validated by the transport before any connection (see `EndpointURL`).
    public var url: String
    public var headers: [HeaderField]
    public var body: [UInt8]

    public init(method: Method, url: String, headers: [HeaderField] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A complete HTTP response; the body is already read and bounded by the transport.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [HeaderField]
    public var body: [UInt8]

    public init(status: Int, headers: [HeaderField] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The one way TwilioAuth talks to the network.
///
/// Implementations validate the URL (`EndpointURL.validate`) before connecting, bound the
/// response size and the time spent, and map every failure to a `TwilioError`: network
/// errors and timeouts to `.temporary`, an oversized body to `.malformedResponse`. They
/// return every HTTP status as a response; the callers classify it.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws(TwilioError) -> HTTPResponse
}
