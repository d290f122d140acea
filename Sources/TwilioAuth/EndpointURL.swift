#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The parts of an endpoint URL that decide whether twvault may send credentials to it.
///
/// Only `https://` is accepted, except `http://` to a loopback host, which tests and local
/// proxies use: credentials sent in clear text to any other host could be read on the way.
/// A loopback host is one that needs no name lookup to be known as loopback:
///
/// - an IPv4 address in 127.0.0.0/8 written as a dotted quad: four decimal parts, each
///   0–255 without leading zeros (`127.1`, `0x7f.0.0.1` or `0177.0.0.1` are refused,
///   because resolvers read such forms in more than one way);
/// - the IPv6 loopback address in brackets (`[::1]`, or another spelling of it);
/// - exactly `localhost`, in any letter case. Not `*.localhost` and not `localhost.`:
///   those are names, and the resolver here may send them to DNS.
///
/// Every URL that passes is checked by this one type: the transports before connecting,
/// and the command line when a profile names an endpoint.
public struct EndpointURL: Sendable, Equatable {
    public var scheme: String
    /// The host without IPv6 brackets, lowercased.
    public var host: String
    public var port: Int?
    /// Everything from the first `/`, `?` or `#` after the authority (may be empty).
    public var pathAndQuery: String

    /// Parses and checks `url`; throws `.invalidURL` when it is not an absolute http(s) URL,
    /// carries user information, has a host with characters outside letters, digits, `.`,
    /// `-` and `_` (or a bracketed IPv6 address), or uses http:// for a non-loopback host.
    public static func validate(_ url: String) throws(TwilioError) -> EndpointURL {
        func refuse(_ reason: String) -> TwilioError { .invalidURL(url: Self.redacted(url), reason: reason) }
        guard !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw refuse("it contains spaces or control characters")
        }
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw refuse("it is not an absolute http(s) URL")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw refuse("only https:// URLs are supported")
        }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let pathAndQuery = String(rest[authorityEnd...])
        guard !authority.contains("@") else {
            // user:password@host would put a credential into logs and error messages, and
            // http://127.0.0.1@evil.example goes to evil.example.
            throw refuse("credentials inside a URL are not accepted")
        }

        let host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw refuse("its IPv6 address has no closing bracket")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw refuse("its host is not valid") }
                portText = after.dropFirst()
            }
            guard Self.isIPv6Literal(host) else { throw refuse("its IPv6 address is not valid") }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard host.utf8.allSatisfy(Self.isHostNameByte) else {
                // Backslashes, percent escapes and non-ASCII letters are read differently by
                // different URL parsers; the host checked here must be the host connected to.
                throw refuse("its host may contain only letters, digits, '.', '-' and '_'")
            }
        }
        guard !host.isEmpty else { throw refuse("it has no host") }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.utf8.count <= 5,
                portText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                let value = Int(portText), (1...65535).contains(value)
            else {
                throw refuse("its port is not a number from 1 to 65535")
            }
            port = value
        }
        let endpoint = EndpointURL(
            scheme: scheme, host: host.lowercased(), port: port, pathAndQuery: pathAndQuery)
        if scheme == "http" && !endpoint.isLoopback {
            throw refuse(
                "http:// is allowed only for loopback hosts (127.0.0.0/8 as a dotted quad, [::1], localhost); use https://"
            )
        }
        return endpoint
    }

    /// True for exactly `localhost`, a dotted-quad address in 127.0.0.0/8, and ::1.
    public var isLoopback: Bool {
        if host == "localhost" { return true }
        if let octets = Self.dottedQuad(host) { return octets[0] == 127 }
        if host.contains(":"), Self.isIPv6Literal(host[...]) {
            var address = in6_addr()
            guard inet_pton(AF_INET6, host, &address) == 1 else { return false }
            return withUnsafeBytes(of: &address) { bytes in
                bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
            }
        }
        return false
    }

    /// True when the host is an IP address literal (dotted quad or IPv6) rather than a name.
    public var isIPAddress: Bool {
        Self.dottedQuad(host) != nil || (host.contains(":") && Self.isIPv6Literal(host[...]))
    }

    /// The four octets of `text` when it is exactly four decimal numbers 0–255 separated by
    /// dots, none with a leading zero; nil for every other form.
    static func dottedQuad(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.utf8.count),
                part.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                part == "0" || !part.hasPrefix("0"),
                let value = UInt8(part)
            else { return nil }
            octets.append(value)
        }
        return octets
    }

    /// An IPv6 address as inet_pton reads it (no zone identifier, no brackets).
    private static func isIPv6Literal(_ text: Substring) -> Bool {
        guard
            text.utf8.allSatisfy({ byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                    UInt8(ascii: "A")...UInt8(ascii: "F"), UInt8(ascii: ":"), UInt8(ascii: "."):
                    true
                default: false
                }
            })
        else { return false }
        var address = in6_addr()
        return inet_pton(AF_INET6, String(text), &address) == 1
    }

    private static func isHostNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
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
