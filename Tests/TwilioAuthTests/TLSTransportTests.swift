import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing
import TwilioAuth
import TwilioHTTP

/// The transport over TLS, against a real TLS server on 127.0.0.1 with a certificate made by
/// `openssl` for the test: the request arrives whole, the answer comes back, and a certificate
/// that is not trusted or not for the address is refused.
@Suite struct TLSTransportTests {
    /// A self-signed certificate and its key, in PEM files of a temporary directory.
    struct Certificate {
        let directory: URL
        var certificate: String { directory.appendingPathComponent("cert.pem").path }
        var key: String { directory.appendingPathComponent("key.pem").path }

        init(subjectAltName: String) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=twvault test", "-addext", "subjectAltName=\(subjectAltName)", "-days", "2",
                "-keyout", directory.appendingPathComponent("key.pem").path,
                "-out", directory.appendingPathComponent("cert.pem").path,
            ]
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            #expect(openssl.terminationStatus == 0)
        }
    }

    /// Answers `/redirect` with a 302 to `/elsewhere`, and every other request with 200 and a
    /// JSON body that repeats the method, target, host field and body it received. Counts the
    /// requests it has read.
    final class EchoHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        private let requests: NIOLockedValueBox<Int>
        private var head: HTTPRequestHead?
        private var body = ""

        init(requests: NIOLockedValueBox<Int>) { self.requests = requests }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body(var bytes): body += bytes.readString(length: bytes.readableBytes) ?? ""
            case .end:
                let head = self.head!
                requests.withLockedValue { $0 += 1 }
                if head.uri == "/redirect" {
                    var headers = HTTPHeaders()
                    headers.add(name: "Location", value: "/elsewhere")
                    headers.add(name: "Content-Length", value: "0")
                    let responseHead = HTTPResponseHead(version: .http1_1, status: .found, headers: headers)
                    context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                    return
                }
                let text = """
                    {"method":"\(head.method.rawValue)","uri":"\(head.uri)",\
                    "host":"\(head.headers["Host"].first ?? "")","body":"\(body)"}
                    """
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(text.utf8.count))
                let responseHead = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    /// Runs `body` with the port of a TLS server presenting `certificate`, and the count of
    /// requests it has read.
    static func withServer<T>(
        _ certificate: Certificate, _ body: (Int, NIOLockedValueBox<Int>) async throws -> T
    ) async throws -> T {
        let requests = NIOLockedValueBox(0)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(file: certificate.certificate, format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.key, format: .pem)))
        let context = try NIOSSLContext(configuration: configuration)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(EchoHandler(requests: requests))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        do {
            let result = try await body(server.localAddress!.port!, requests)
            try await server.close()
            try await group.shutdownGracefully()
            return result
        } catch {
            try? await server.close()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    @Test func aTrustedCertificateForTheAddressCarriesTheExchange() async throws {
        let certificate = try Certificate(subjectAltName: "IP:127.0.0.1")
        try await Self.withServer(certificate) { port, requests in
            let transport = NIOHTTPTransport(limits: Fixture.limits, trustedCertificates: certificate.certificate)
            let response = try await transport.send(
                HTTPRequest(
                    method: .post, url: "https://127.0.0.1:\(port)/v2/token?x=1#fragment",
                    headers: [HeaderField("Content-Type", "application/x-www-form-urlencoded")],
                    body: Array("grant_type=client_credentials".utf8)))
            await transport.shutdown()
            #expect(response.status == 200)
            #expect(
                String(decoding: response.body, as: UTF8.self)
                    == #"{"method":"POST","uri":"/v2/token?x=1","host":"127.0.0.1:\#(port)","body":"grant_type=client_credentials"}"#
            )
        }
    }

    /// A redirect is the answer, never followed: credentials must not travel to where a 3xx
    /// points.
    @Test func aRedirectIsReturnedNotFollowed() async throws {
        let certificate = try Certificate(subjectAltName: "IP:127.0.0.1")
        try await Self.withServer(certificate) { port, requests in
            let transport = NIOHTTPTransport(limits: Fixture.limits, trustedCertificates: certificate.certificate)
            let response = try await transport.send(
                HTTPRequest(method: .post, url: "https://127.0.0.1:\(port)/redirect", body: Array("secret=1".utf8)))
            await transport.shutdown()
            #expect(response.status == 302)
            #expect(response.headers.contains { $0.name.lowercased() == "location" && $0.value == "/elsewhere" })
            #expect(requests.withLockedValue { $0 } == 1)
        }
    }

    @Test func aCertificateOutsideTheTrustRootsIsRefused() async throws {
        let certificate = try Certificate(subjectAltName: "IP:127.0.0.1")
        try await Self.withServer(certificate) { port, requests in
            // The system's trust roots: a self-signed certificate is in none of them.
            let transport = NIOHTTPTransport(limits: Fixture.limits)
            await Self.expectRefused(transport, port: port)
        }
    }

    @Test func aTrustedCertificateForAnotherNameIsRefused() async throws {
        let certificate = try Certificate(subjectAltName: "DNS:api.example.invalid")
        try await Self.withServer(certificate) { port, requests in
            let transport = NIOHTTPTransport(limits: Fixture.limits, trustedCertificates: certificate.certificate)
            await Self.expectRefused(transport, port: port)
        }
    }

    static func expectRefused(_ transport: NIOHTTPTransport, port: Int) async {
        do {
            let response = try await transport.send(HTTPRequest(method: .get, url: "https://127.0.0.1:\(port)/"))
            Issue.record("answered \(response.status) over an untrusted connection")
        } catch {
            guard case .temporary(.network(let host, let reason)) = error else {
                Issue.record("unexpected error \(error)")
                await transport.shutdown()
                return
            }
            #expect(host == "127.0.0.1")
            #expect(!reason.isEmpty && !reason.contains("\n"))
        }
        await transport.shutdown()
    }
}
