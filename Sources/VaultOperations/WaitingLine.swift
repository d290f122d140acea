import FoundationEssentials
import TwilioAuth

/// A transport that shows `waiting for HOST…` on a terminal while a request has taken longer
/// than half a second (DESIGN §10), for every request a command sends: token exchanges,
/// rotation, temporary keys, credential checks, settling leftovers.
struct WaitingLine: HTTPTransport {
    let transport: any HTTPTransport
    let output: Output

    func send(_ request: HTTPRequest) async throws(TwilioError) -> HTTPResponse {
        let host = URLComponents(string: request.url)?.host ?? "Twilio"
        let result: Result<HTTPResponse, TwilioError> = await output.transient("waiting for \(host)") {
            do throws(TwilioError) {
                return .success(try await transport.send(request))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension Output {
    /// `transport`, showing a transient line while a request is slow.
    func showingWaits(_ transport: any HTTPTransport) -> any HTTPTransport {
        WaitingLine(transport: transport, output: self)
    }
}
