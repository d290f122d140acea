import FoundationEssentials
import TwilioAuth
import Vault

/// A rotation (or ephemeral-key) step that failed: one line that says what state Twilio and
/// the vault are in, and the exit code of DESIGN §2.
public struct RotationFailure: Error, CustomStringConvertible {
    public let message: String
    public let status: ExitStatus
    public var description: String { message }

    public init(_ message: String, status: ExitStatus) {
        self.message = message
        self.status = status
    }

    /// The status for a failure caused by `error`: the cause's own, else 75 (something
    /// unexpected in the middle of a rotation: try again, `--resume` finishes it).
    public static func status(causedBy error: any Error) -> ExitStatus {
        let status = ExitStatus.status(of: error)
        return status == .failure ? .temporaryFailure : status
    }

    /// The one-line description of `error` without its trailing full stop, to quote it.
    public static func reason(_ error: any Error) -> String {
        var text = String(describing: error)
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

/// Base URLs of Twilio's REST APIs: `$TWVAULT_API_URL` and `$TWVAULT_ACCOUNTS_URL`, else Twilio's.
/// The first request to a redirected one warns (`EndpointOverride`).
public struct TwilioEndpoints {
    public var apiBaseURL: String
    public var accountsBaseURL: String

    public let http: HTTPClientProvider
    let context: Context

    public init(context: Context) {
        self.context = context
        http = context.http
        apiBaseURL = EndpointOverride.api.url(context)
        accountsBaseURL = EndpointOverride.accounts.url(context)
    }

    /// A REST client for `accountSID`, authenticated as `username:password` (the account SID
    /// with an auth token, or a key SID with its secret).
    public func api(accountSID: String, username: String, password: String) throws -> TwilioAPI {
        TwilioAPI(
            accountSID: accountSID, credentials: BasicCredentials(username: username, password: password),
            transport: EndpointOverride.watching(
                [.api, .accounts], context: context, transport: context.output.showingWaits(try http.transport())),
            apiBaseURL: apiBaseURL, accountsBaseURL: accountsBaseURL)
    }

    /// A client that may manage keys and tokens: standard API keys cannot, so the profile's
    /// auth token is required.
    public func admin(_ record: ProfileRecord, profile: String, purpose: String) throws -> TwilioAPI {
        guard let account = record.accountSID, let token = record.authToken else {
            throw OperationError.usage(
                "\(purpose) needs the profile's account SID and auth token (API keys cannot manage keys); add them with `twvault update \(profile) --account-sid AC…` (the auth token is asked for)"
            )
        }
        return try api(accountSID: account, username: account, password: token)
    }
}

/// Random identifiers for rotations and ephemeral keys (not secret: they appear in
/// FriendlyNames at Twilio).
public enum RotationID {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<8).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 0x0f, radix: 16)
        }.joined()
    }
}
