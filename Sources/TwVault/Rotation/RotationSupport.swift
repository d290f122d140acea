import Foundation
import TwilioAuth
import Vault

/// A rotation (or ephemeral-key) step that failed: one line that says what state Twilio and
/// the vault are in, and the exit code of DESIGN §2.
struct RotationFailure: Error, CustomStringConvertible {
    let message: String
    let exitCode: Int32
    var description: String { message }

    init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    /// Exit code for a failure caused by `error` (75 for anything unexpected: try again).
    static func exitCode(of error: any Error) -> Int32 {
        switch error {
        case let error as TwilioError: error.exitStatus
        case let error as ProfileTwilioError: error.exitCode
        case let error as VaultError: error.exitCode
        case let error as CLIError: error.exitCode
        case let error as RotationFailure: error.exitCode
        default: 1
        }
    }

    /// The one-line description of `error` without its trailing full stop, to quote it.
    static func reason(_ error: any Error) -> String {
        var text = String(describing: error)
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

/// Base URLs of Twilio's REST APIs: `$TWVAULT_API_URL` and `$TWVAULT_ACCOUNTS_URL`, else Twilio's.
struct TwilioEndpoints {
    var apiBaseURL: String
    var accountsBaseURL: String

    init(context: CommandContext) {
        apiBaseURL = context.env("TWVAULT_API_URL") ?? TwilioAPI.defaultAPIBaseURL
        accountsBaseURL = context.env("TWVAULT_ACCOUNTS_URL") ?? TwilioAPI.defaultAccountsBaseURL
    }

    /// A REST client for `accountSID`, authenticated as `username:password` (the account SID
    /// with an auth token, or a key SID with its secret).
    func api(accountSID: String, username: String, password: String) throws -> TwilioAPI {
        TwilioAPI(
            accountSID: accountSID, credentials: BasicCredentials(username: username, password: password),
            transport: try Transport.shared(), apiBaseURL: apiBaseURL, accountsBaseURL: accountsBaseURL)
    }

    /// A client that may manage keys and tokens: standard API keys cannot, so the profile's
    /// auth token is required.
    func admin(_ record: ProfileRecord, profile: String, purpose: String) throws -> TwilioAPI {
        guard let account = record.accountSID, let token = record.authToken else {
            throw CLIError.usage(
                "\(purpose) needs the profile's account SID and auth token (API keys cannot manage keys); add them with `twvault add \(profile) --force`"
            )
        }
        return try api(accountSID: account, username: account, password: token)
    }
}

/// Random identifiers for rotations and ephemeral keys (not secret: they appear in
/// FriendlyNames at Twilio).
enum RotationID {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<8).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 0x0f, radix: 16)
        }.joined()
    }
}

/// Named crash points for the crash tests. Compiled into debug builds only: a release
/// binary has no way to stop itself half-way through a rotation.
enum CrashPoint {
    /// Ends the process at once (like kill -9: no clean-up, no buffered output) when
    /// `TWVAULT_TEST_CRASH_AFTER` names `step`.
    static func reached(_ step: String, context: CommandContext = .current) {
        #if DEBUG
            if context.environment["TWVAULT_TEST_CRASH_AFTER"] == step { _exit(137) }
        #endif
    }
}
