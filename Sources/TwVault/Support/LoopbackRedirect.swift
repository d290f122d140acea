import Foundation
import VaultOperations

#if canImport(Glibc)
    import Glibc
#endif

/// A one-shot HTTP listener on 127.0.0.1 that receives the OAuth redirect
/// (`GET /callback?code=…&state=…`), answers with a small page, and hands back the query.
final class LoopbackRedirect {
    private let socket: Int32
    let port: Int

    /// Binds 127.0.0.1:`port` (0 = any free port).
    init(port: Int) throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw OperationError.usage("cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 4) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw OperationError.usage("cannot listen on 127.0.0.1:\(port): \(message); choose another --port")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socket = fd
        self.port = Int(UInt16(bigEndian: actual.sin_port))
    }

    deinit { close(socket) }

    var redirectURI: String { "http://127.0.0.1:\(port)/callback" }

    /// Waits up to `timeout` seconds for a request to /callback and returns its query items.
    /// Other paths (a browser's /favicon.ico) get 404 and the wait goes on.
    func waitForCallback(timeout: Int) throws -> [String: String] {
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        while true {
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, remaining)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else {
                throw OperationError.temporary(
                    "no redirect arrived within \(timeout) seconds: run `twvault login` again")
            }
            let client = accept(socket, nil, nil)
            guard client >= 0 else { continue }
            defer { close(client) }
            var timeoutValue = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeoutValue, socklen_t(MemoryLayout<timeval>.size))
            guard let target = readRequestTarget(client) else { continue }
            guard let components = URLComponents(string: "http://127.0.0.1" + target), components.path == "/callback"
            else {
                respond(client, status: "404 Not Found", body: "Not found.")
                continue
            }
            var query: [String: String] = [:]
            for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
            let failed = query["error"] != nil || query["code"] == nil
            respond(
                client, status: failed ? "400 Bad Request" : "200 OK",
                body: failed
                    ? "twvault: the authorization did not succeed. You can close this tab."
                    : "twvault: signed in. You can close this tab and return to the terminal.")
            return query
        }
    }

    /// The request target of the first line, `GET <target> HTTP/1.1`.
    private func readRequestTarget(_ client: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 8192)
        var count = 0
        while count < buffer.count {
            let got = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress! + count, $0.count - count, 0) }
            if got <= 0 { break }
            count += got
            if buffer[0..<count].contains(UInt8(ascii: "\n")) { break }
        }
        guard let line = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\r\n").first else {
            return nil
        }
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0] == "GET" else { return nil }
        return String(parts[1])
    }

    private func respond(_ client: Int32, status: String, body: String) {
        let html = "<!doctype html><meta charset=utf-8><title>twvault</title><p>\(body)</p>\n"
        let response =
            "HTTP/1.1 \(status)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(html.utf8.count)\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\n\r\n" + html
        _ = response.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }
}
