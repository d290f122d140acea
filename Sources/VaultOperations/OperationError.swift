import TwilioAuth
import Vault

/// The process exit statuses of DESIGN §2, with the names of BSD's sysexits.h.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// An unexpected internal error.
    case failure = 1
    /// A bad flag, name or identifier; conflicting passphrase sources.
    case usage = 64
    /// Vault data corrupt or tampered, or malformed input data.
    case dataError = 65
    /// Vault or profile not found.
    case noInput = 66
    /// Twilio refused (4xx).
    case unavailable = 69
    /// Something already exists.
    case cannotCreate = 73
    /// Worth trying again: busy vault, network error, timeout, 5xx, 429.
    case temporaryFailure = 75
    /// Twilio's answer could not be understood.
    case protocolError = 76
    /// Wrong passphrase, no passphrase source, expired unlock, insecure file.
    case noPermission = 77
    /// A newer vault format, or KDF limits outside policy.
    case configuration = 78
    /// A command that exists but cannot be executed (as a shell reports it).
    case cannotExecute = 126
    /// A command that was not found (as a shell reports it).
    case commandNotFound = 127

    /// The one mapping from every error an operation can throw to its exit status and its
    /// one-line message (nil when there is nothing to say, e.g. a child's own status).
    /// Errors not listed here are not twvault's: the caller reports them otherwise.
    public static func of(_ error: any Error) -> (status: Int32, message: String?)? {
        switch error {
        case let error as ProcessEnded: (error.status, nil)
        case let error as ContextPartMissing: (ExitStatus.failure.rawValue, error.description)
        case is OperationError, is VaultError, is TwilioError, is ProfileTwilioError, is RotationFailure:
            (status(of: error).rawValue, String(describing: error))
        default: nil
        }
    }

    /// The status of any error: `failure` for one that is not twvault's own.
    public static func status(of error: any Error) -> ExitStatus {
        switch error {
        case let error as OperationError: error.status
        case let error as VaultError: ExitStatus(error)
        case let error as TwilioError: ExitStatus(error)
        case let error as ProfileTwilioError: ExitStatus(error.error)
        case let error as RotationFailure: error.status
        default: .failure
        }
    }

    public init(_ error: VaultError) {
        switch error {
        case .wrongPassphrase, .noPassphraseSource, .sessionExpired, .sessionInvalid, .sessionNotForThisVault,
            .insecureFile:
            self = .noPermission
        case .vaultNotFound, .profileNotFound, .slotNotFound, .identityNotFound, .memberNotFound: self = .noInput
        case .profileExists, .slotExists, .vaultExists, .identityExists: self = .cannotCreate
        case .invalidName, .lastSlot, .tooManySlots: self = .usage
        case .invalidInput, .corrupt, .tampered: self = .dataError
        case .newerFormat, .kdfOutsidePolicy: self = .configuration
        case .busy: self = .temporaryFailure
        case .system: self = .failure
        }
    }

    public init(_ error: TwilioError) {
        switch error {
        case .refused: self = .unavailable
        case .temporary: self = .temporaryFailure
        case .malformedResponse: self = .protocolError
        case .invalidURL: self = .usage
        }
    }
}

/// Failures of an operation that are not the vault's or Twilio's.
public enum OperationError: Error, Sendable, CustomStringConvertible {
    /// A bad flag combination, name or identifier (64).
    case usage(String)
    /// Malformed input data, e.g. on stdin (65).
    case malformedInput(String)
    /// No access: no passphrase source, no terminal (77).
    case accessDenied(String)
    /// Something already exists (73).
    case exists(String)
    /// Not found (66).
    case notFound(String)
    /// A temporary failure: time limit, busy (75).
    case temporary(String)
    /// A command could not be run (126 cannot execute, 127 not found).
    case cannotExecute(String, notFound: Bool)

    public var status: ExitStatus {
        switch self {
        case .usage: .usage
        case .malformedInput: .dataError
        case .accessDenied: .noPermission
        case .exists: .cannotCreate
        case .notFound: .noInput
        case .temporary: .temporaryFailure
        case .cannotExecute(_, let notFound): notFound ? .commandNotFound : .cannotExecute
        }
    }

    public var description: String {
        switch self {
        case .usage(let message), .malformedInput(let message), .accessDenied(let message), .exists(let message),
            .notFound(let message), .temporary(let message), .cannotExecute(let message, _):
            message
        }
    }
}

/// The process should end with `status` and say nothing more: a child's own exit status, or
/// a refusal already explained on stderr.
public struct ProcessEnded: Error, Sendable {
    public let status: Int32
    public init(status: Int32) { self.status = status }
}
