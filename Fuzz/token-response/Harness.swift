import Foundation

@testable import TwilioAuth

// libFuzzer harness: the token endpoint's body decoders (TokenResponse.decode and the error
// decoder ResponseClassifier.decode) in Sources/TwilioAuth.
//
// Properties checked on every input:
// - neither decoder traps (any body from the network, truncated or hostile);
// - an accepted response re-encoded as plain JSON decodes to the same tokens and expiry;
// - an error message is one line, at most 201 characters, and never contains the secret
//   that was sent, whatever the body echoes.

private let host = "fuzz.invalid"
private let now = Date(timeIntervalSince1970: 1_700_000_000)
private let secret = "s3cr3t-fuzz-client-secret"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    checkSuccessBody(body)
    checkErrorBody(body)
    return 0
}

private func checkSuccessBody(_ body: [UInt8]) {
    guard let response = try? TokenResponse.decode(body, host: host, now: now, policy: ExpiryPolicy()) else { return }
    precondition(!response.accessToken.isEmpty, "accepted an empty access token")
    precondition(response.tokenType == "Bearer")
    precondition(
        response.expiresAt <= now.addingTimeInterval(ExpiryPolicy().maximumLifetime.timeInterval),
        "accepted an expiry past the policy maximum")
    // The description must never show a token.
    // (Short tokens may occur in the fixed text by chance, so only longer ones are checked.)
    let description = response.description
    if response.accessToken.count >= 8 {
        precondition(!description.contains(response.accessToken), "description shows the access token")
    }
    if let refresh = response.refreshToken, refresh.count >= 8 {
        precondition(!description.contains(refresh), "description shows the refresh token")
    }

    // Re-encode what was understood and decode again: the same values come back.
    var object: [String: JSONValue] = [
        "access_token": .string(response.accessToken),
        "token_type": .string("bearer"),
        "expires_in": .number(response.expiresAt.timeIntervalSince(now)),
    ]
    if let value = response.refreshToken { object["refresh_token"] = .string(value) }
    if let value = response.idToken { object["id_token"] = .string(value) }
    if let value = response.scope { object["scope"] = .string(value) }
    let again: TokenResponse
    do {
        again = try TokenResponse.decode(
            JSONValue.object(object).serialized(), host: host, now: now, policy: ExpiryPolicy())
    } catch {
        preconditionFailure("a re-encoded accepted response was refused: \(error)")
    }
    precondition(
        again.accessToken == response.accessToken && again.refreshToken == response.refreshToken
            && again.idToken == response.idToken && again.scope == response.scope, "round trip changed a value")
    precondition(abs(again.expiresAt.timeIntervalSince(response.expiresAt)) < 0.001, "round trip changed the expiry")
}

private func checkErrorBody(_ body: [UInt8]) {
    for status in [400, 401, 429, 503] {
        let error = ResponseClassifier.error(
            for: HTTPResponse(status: status, headers: [HeaderField("Retry-After", "5")], body: body),
            host: host, secrets: [secret])
        let message = error.message(profile: "p")
        precondition(!message.contains("\n") && !message.contains("\r"), "error message spans lines")
        // Compared as bytes: String.contains matches whole characters, which a combining mark
        // after the secret would defeat while the secret's bytes are still there.
        precondition(!containsBytes(Array(message.utf8), secretBytes), "error message shows the secret that was sent")
    }
}

private let secretBytes = Array(secret.utf8)

private func containsBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
}
