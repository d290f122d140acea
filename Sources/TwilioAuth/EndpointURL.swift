#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The parts of an endpoint URL that decide whether twvault may send credentials to it.
///
/// Only `https://` is accepted, except `http://` to a loopback host (127.0.0.0/8, ::1,
/// localhost), which tests and local proxies use: credentials sent in clear text to
/// any other host could be read on the way.
public struct EndpointURL: Sendable, Equatable {
    public var scheme: String
    /// The host without IPv6 brackets, lowercased.
    public var host: String
    public var port: Int?
    /// Everything from the first `/`, `?` or `#` after the authority (may be empty).
    public var pathAndQuery: String

    /// Parses and checks `url`; throws `.invalidURL` (exit 64) when it is not an absolute
    /// http(s) URL, carries user information, or uses http:// for a non-loopback host.
    public static func validate(_ url: String) throws(TwilioError) -> EndpointURL {
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw .invalidURL(url: Self.redacted(url), reason: "it is not an absolute http(s) URL")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw .invalidURL(url: Self.redacted(url), reason: "only https:// URLs are supported")
        }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let pathAndQuery = String(rest[authorityEnd...])
        guard !authority.contains("@") else {
            // user:password@host would put a credential into logs and error messages.
            throw .invalidURL(url: Self.redacted(url), reason: "credentials inside a URL are not accepted")
        }
        guard !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw .invalidURL(url: Self.redacted(url), reason: "it contains spaces or control characters")
        }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw .invalidURL(url: Self.redacted(url), reason: "its IPv6 address has no closing bracket")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw .invalidURL(url: Self.redacted(url), reason: "its host is not valid")
                }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else {
            throw .invalidURL(url: Self.redacted(url), reason: "it has no host")
        }
        var port: Int?
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy(\.isASCII) else {
                throw .invalidURL(url: Self.redacted(url), reason: "its port is not a number from 1 to 65535")
            }
            port = value
        }
        let endpoint = EndpointURL(
            scheme: scheme, host: host.lowercased(), port: port, pathAndQuery: pathAndQuery)
        if scheme == "http" && !endpoint.isLoopback {
            throw .invalidURL(
                url: Self.redacted(url),
                reason: "http:// is allowed only for loopback hosts (127.0.0.1, ::1, localhost); use https://")
        }
        return endpoint
    }

    /// True for localhost, 127.0.0.0/8 and ::1 (in any spelling inet_pton accepts).
    public var isLoopback: Bool {
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        var v4 = in_addr()
        // inet_pton accepts only the strict dotted-quad form, so "127.1" or octal tricks do not pass.
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in
                bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
            }
        }
        return false
    }

    /// The URL as safe to show: scheme, host and path, without query or user information.
    static func redacted(_ url: String) -> String {
        var shown = url
        if let cut = shown.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            shown = String(shown[..<cut])
        }
        if let schemeEnd = shown.firstRange(of: "://") {
            let rest = shown[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                shown = String(shown[..<schemeEnd.upperBound]) + "…@" + shown[shown.index(after: at)...]
            }
        }
        return TextSanitizer.oneLine(shown, limit: 200)
    }
}
