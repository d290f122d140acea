/// Every way a request to Twilio can fail, as what happened; the command line decides
/// which exit status each case becomes.
///
/// `description` is one line for a user: what happened and what to do. It never contains a
/// request body, a token or a secret: server-provided text is cut to one short line and
/// scrubbed of the secrets that were sent.
public enum TwilioError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Twilio answered 4xx (other than 429): invalid client, invalid grant, forbidden.
    case refused(TwilioRefusal)
    /// Worth trying again later: network error, timeout, 5xx or 429.
    case temporary(TemporaryFailure)
    /// The answer could not be understood (bad JSON, missing fields, too large).
    case malformedResponse(host: String, reason: String)
    /// The endpoint URL is unusable or insecure; nothing was sent.
    case invalidURL(url: String, reason: String)

    /// True when the token endpoint rejected a refresh token or authorization code
    /// (`invalid_grant`): the user must sign in again with `twvault login PROFILE`.
    public var isInvalidGrant: Bool {
        if case .refused(let refusal) = self { return refusal.isInvalidGrant }
        return false
    }

    public var description: String { message(profile: nil) }

    /// The one-line message, naming `profile` in the hint to sign in again when known.
    public func message(profile: String?) -> String {
        switch self {
        case .refused(let refusal):
            return refusal.message(profile: profile)
        case .temporary(let failure):
            return failure.description
        case .malformedResponse(let host, let reason):
            return "\(host) sent a response twvault cannot use (\(reason)); check the endpoint URL, or try again later."
        case .invalidURL(let url, let reason):
            return "refusing to use \(url): \(reason)."
        }
    }
}

/// A 4xx answer, decoded from whichever error format the server used.
public struct TwilioRefusal: Sendable, Equatable {
    public var host: String
    public var status: Int
    /// Twilio's numeric error code (e.g. 20003), when given.
    public var code: Int?
    /// The server's explanation, sanitised to one short line (may be empty).
    public var message: String
    /// Twilio's `more_info` link or the RFC 9457 `type`, when given.
    public var moreInfo: String?
    /// The RFC 6749 error code (e.g. `invalid_grant`), when given.
    public var oauthError: String?

    public init(
        host: String, status: Int, code: Int? = nil, message: String,
        moreInfo: String? = nil, oauthError: String? = nil
    ) {
        self.host = host
        self.status = status
        self.code = code
        self.message = message
        self.moreInfo = moreInfo
        self.oauthError = oauthError
    }

    /// `invalid_grant` as an RFC 6749 error code, or named in Twilio's message for a 400/401.
    public var isInvalidGrant: Bool {
        if oauthError?.lowercased() == "invalid_grant" { return true }
        return (400...401).contains(status) && message.lowercased().contains("invalid_grant")
    }

    func message(profile: String?) -> String {
        var what = "HTTP \(status)"
        if let code { what += ", Twilio error \(code)" }
        if let oauthError, !message.lowercased().contains(oauthError.lowercased()) {
            what += ", \(oauthError)"
        }
        if !message.isEmpty { what += ": \(message)" }
        if let moreInfo, !moreInfo.isEmpty { what += "; see \(moreInfo)" }
        let advice: String
        if isInvalidGrant {
            advice =
                "the refresh token or authorization code is no longer valid; run `twvault login \(profile ?? "PROFILE")` to sign in again"
        } else {
            switch status {
            case 401: advice = "check the profile's credentials (a rotated or revoked secret?)"
            case 403: advice = "the credential lacks permission for this; check its scope or the account's settings"
            case 404: advice = "check the account SID and the endpoint URL"
            default: advice = "check the profile's settings and credentials"
            }
        }
        return "\(host) refused the request (\(what)); \(advice)."
    }
}

/// A failure that may go away by itself.
public enum TemporaryFailure: Sendable, Equatable, CustomStringConvertible {
    /// The connection could not be made or broke before a complete answer.
    case network(host: String, reason: String)
    /// No complete answer within the configured time.
    case timedOut(host: String)
    /// 5xx or 429, with the server's `Retry-After` when it sent one.
    case unavailable(host: String, status: Int, message: String, retryAfter: Duration?)

    public var retryAfter: Duration? {
        if case .unavailable(_, _, _, let retryAfter) = self { return retryAfter }
        return nil
    }

    public var description: String {
        switch self {
        case .network(let host, let reason):
            return "could not get an answer from \(host) (\(reason)); check the network connection and try again."
        case .timedOut(let host):
            return "\(host) did not answer in time; try again later."
        case .unavailable(let host, let status, let message, let retryAfter):
            var what = "HTTP \(status)"
            if !message.isEmpty { what += ": \(message)" }
            let when = retryAfter.map { "in \(Self.seconds($0)) s" } ?? "later"
            if status == 429 {
                return "\(host) is limiting the request rate (\(what)); try again \(when)."
            }
            return "\(host) is unavailable (\(what)); try again \(when)."
        }
    }

    private static func seconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return attoseconds > 0 ? seconds + 1 : seconds
    }
}
