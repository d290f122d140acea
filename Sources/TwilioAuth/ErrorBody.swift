/// Turns a non-2xx response into a `TwilioError`, decoding the body in the order of
/// DESIGN §5: Twilio's `{code, message, more_info, status}`, RFC 9457 problem details,
/// RFC 6749 `{error, error_description}`, then raw text.
enum ResponseClassifier {
    /// `secrets` are the values sent in the request; they are scrubbed from any text the
    /// server returns, in case it echoes them.
    static func error(for response: HTTPResponse, host: String, secrets: [String]) -> TwilioError {
        let status = response.status
        switch status {
        case 429, 500...599:
            let retryAfter = RetryAfter.parse(response.headers.value(for: "Retry-After"))
            let details = decode(response.body, status: status, host: host, secrets: secrets)
            return .temporary(
                .unavailable(host: host, status: status, message: details.message, retryAfter: retryAfter))
        case 400...499:
            return .refused(decode(response.body, status: status, host: host, secrets: secrets))
        default:
            return .malformedResponse(host: host, reason: "unexpected HTTP status \(status)")
        }
    }

    static func decode(_ body: [UInt8], status: Int, host: String, secrets: [String]) -> TwilioRefusal {
        func clean(_ text: String?) -> String? {
            guard let text else { return nil }
            let line = TextSanitizer.oneLine(TextSanitizer.redacting(secrets, in: text))
            return line.isEmpty ? nil : line
        }
        if let json = JSONValue.parse(body), let object = json.objectValue {
            // Twilio's own shape.
            if object["message"]?.stringValue != nil || object["code"]?.numberValue != nil {
                return TwilioRefusal(
                    host: host, status: status,
                    code: object["code"]?.numberValue.flatMap { Int(exactly: $0) },
                    message: clean(object["message"]?.stringValue) ?? "",
                    moreInfo: clean(object["more_info"]?.stringValue),
                    oauthError: clean(object["error"]?.stringValue))
            }
            // RFC 9457 problem details.
            if object["title"]?.stringValue != nil || object["detail"]?.stringValue != nil {
                let parts = [object["title"]?.stringValue, object["detail"]?.stringValue].compactMap { $0 }
                let type = object["type"]?.stringValue
                return TwilioRefusal(
                    host: host, status: status,
                    message: clean(parts.joined(separator: ": ")) ?? "",
                    moreInfo: type == "about:blank" ? nil : clean(type),
                    oauthError: clean(object["error"]?.stringValue))
            }
            // RFC 6749 §5.2.
            if let error = object["error"]?.stringValue {
                return TwilioRefusal(
                    host: host, status: status,
                    message: clean(object["error_description"]?.stringValue) ?? "",
                    moreInfo: clean(object["error_uri"]?.stringValue),
                    oauthError: clean(error))
            }
        }
        let text = String(decoding: body, as: UTF8.self)
        return TwilioRefusal(host: host, status: status, message: clean(text) ?? "")
    }
}
