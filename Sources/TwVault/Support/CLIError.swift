import TwilioAuth
import Vault

/// Failures of the command layer that are not the vault's or Twilio's.
public enum CLIError: Error, Sendable, CustomStringConvertible {
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
    case cannotExecute(String, code: Int32)
    /// A failure with an explicit exit code and no message of its own.
    case exit(Int32)

    public var exitCode: Int32 {
        switch self {
        case .usage: 64
        case .malformedInput: 65
        case .accessDenied: 77
        case .exists: 73
        case .notFound: 66
        case .temporary: 75
        case let .cannotExecute(_, code): code
        case let .exit(code): code
        }
    }

    public var description: String {
        switch self {
        case let .usage(message), let .malformedInput(message), let .accessDenied(message), let .exists(message),
            let .notFound(message), let .temporary(message), let .cannotExecute(message, _):
            message
        case let .exit(code): "exit \(code)"
        }
    }
}

/// The exit code and the one-line message for any error a command throws, or `nil` when
/// the argument parser should report it (help, version, usage).
func exitCodeAndMessage(for error: any Error) -> (Int32, String?)? {
    switch error {
    case let error as CLIError:
        if case .exit = error { return (error.exitCode, nil) }
        return (error.exitCode, error.description)
    case let error as VaultError: return (error.exitCode, error.description)
    case let error as TwilioError: return (error.exitStatus, error.description)
    case let error as ProfileTwilioError: return (error.exitCode, error.description)
    case let error as RotationFailure: return (error.exitCode, error.description)
    default: return nil
    }
}
