import VaultCrypto
import VaultStore

/// Every way a vault operation can fail, each mapped to one exit code of the command line.
/// Descriptions are one line for a user: what happened and what to do. None contains a secret.
public enum VaultError: Error, Sendable, Equatable, CustomStringConvertible {
    case wrongPassphrase
    case noPassphraseSource
    case sessionExpired
    case sessionInvalid(String)
    /// `TWVAULT_SESSION` holds unlocks of other vaults only.
    case sessionNotForThisVault
    case vaultNotFound(path: String)
    case vaultExists(path: String)
    case profileNotFound(String)
    case profileExists(String)
    case slotNotFound(String)
    case slotExists(String)
    case lastSlot
    /// The vault already holds the most passphrase slots it may (64).
    case tooManySlots
    case invalidName(String)
    case invalidInput(String)
    /// The file is not a vault, or is damaged beyond one record.
    case corrupt(String)
    /// One record or the vault-wide integrity check failed: `what` names the record.
    case tampered(what: String)
    case newerFormat(String)
    case kdfOutsidePolicy(String)
    case busy
    case insecureFile(String)
    case system(String)
    /// No identity file (`twvault identity new` makes one).
    case identityNotFound(path: String)
    case identityExists(path: String)
    /// No member slot of that name.
    case memberNotFound(String)

    public var exitCode: Int32 {
        switch self {
        case .wrongPassphrase, .noPassphraseSource, .sessionExpired, .sessionInvalid, .sessionNotForThisVault,
            .insecureFile:
            77
        case .vaultNotFound, .profileNotFound, .slotNotFound, .identityNotFound, .memberNotFound: 66
        case .profileExists, .slotExists, .vaultExists, .identityExists: 73
        case .invalidName, .lastSlot, .tooManySlots: 64
        case .invalidInput, .corrupt, .tampered: 65
        case .newerFormat, .kdfOutsidePolicy: 78
        case .busy: 75
        case .system: 1
        }
    }

    public var description: String {
        switch self {
        case .wrongPassphrase: "wrong passphrase: no key slot of this vault opens with it"
        case .noPassphraseSource:
            "no passphrase: run `eval \"$(twvault unlock)\"` in a terminal, or set TWVAULT_PASSPHRASE_FILE or TWVAULT_PASSPHRASE_FD"
        case .sessionExpired: "the unlock has expired or was locked: run `eval \"$(twvault unlock)\"` again"
        case let .sessionInvalid(why):
            "TWVAULT_SESSION is not valid for this vault (\(why)): run `eval \"$(twvault unlock)\"` again"
        case .sessionNotForThisVault:
            "TWVAULT_SESSION holds no unlock of this vault (only of others): run `eval \"$(twvault unlock)\"` for it"
        case let .vaultNotFound(path): "no vault at \(path): create one with `twvault init` or `twvault add`"
        case let .vaultExists(path): "a vault already exists at \(path): use it, or choose another --vault path"
        case let .profileNotFound(name): "no profile named '\(Names.printable(name))': see `twvault list`"
        case let .profileExists(name):
            "profile '\(Names.printable(name))' already exists: change it with `twvault update \(Names.printable(name))`, or choose another name"
        case let .slotNotFound(label): "no passphrase slot labelled '\(Names.printable(label))'"
        case let .slotExists(label): "a passphrase slot labelled '\(Names.printable(label))' already exists"
        case .lastSlot: "cannot remove the last passphrase slot: the vault would be unreadable"
        case .tooManySlots:
            "the vault already has \(SlotTable.maximumCount) passphrase slots, the most it holds: remove one first with `twvault passwd --remove-slot LABEL`"
        case let .invalidName(message): message
        case let .invalidInput(message): message
        case let .corrupt(message): "the vault is corrupt: \(message)"
        case let .tampered(what): "the vault failed its integrity check: \(what); run `twvault verify`"
        case let .newerFormat(message): "\(message): upgrade twvault to open this vault"
        case let .kdfOutsidePolicy(message): "refusing the key slot: \(message)"
        case .busy: "the vault is busy: another twvault process holds its lock; try again"
        case let .insecureFile(message): message
        case let .system(message): message
        case let .identityNotFound(path): "no identity at \(path): create one with `twvault identity new`"
        case let .identityExists(path):
            "an identity already exists at \(path): `twvault identity show` prints its public key"
        case let .memberNotFound(name): "no member named '\(Names.printable(name))': see `twvault member list`"
        }
    }

    /// Translates a storage error. `path` is the vault's path, for messages.
    static func from(_ error: StoreError, path: String) -> VaultError {
        switch error {
        case .busy: .busy
        case let .notADatabase(message): .corrupt("\(path) is not a twvault vault (\(message))")
        case let .unexpectedColumnType(column, expected, actual):
            .corrupt("column \(column) holds \(actual) where \(expected) belongs")
        case let .unknownMigrations(ids):
            .newerFormat(
                "\(path) was written by a newer twvault (schema migrations \(ids.map(String.init).joined(separator: ", ")))"
            )
        case .insecureFile: .insecureFile(error.description)
        case .missing: .vaultNotFound(path: path)
        case let .sqlite(code, message, _):
            switch code & 0xff {
            // Extended codes whose primary code means the file is damaged.
            case 11, 26: .corrupt(message)
            // Cannot open, read-only, permission: SQLite could not create or write the vault,
            // its -wal or -shm. A path problem for the user to fix, not an internal error.
            case 14, 8, 3:
                .insecureFile(
                    "cannot write \(path) or its -wal/-shm (\(message)): the directory and the files must be yours and writable by you; run: chmod 700 '\(SecureFiles.directory(of: path))' and chmod 600 '\(path)'"
                )
            default: .system("SQLite error \(code): \(message)")
            }
        case let .system(call, failedPath, code):
            // Permission, read-only or link problems of any path are the user's to fix (77).
            if case let .insecureFile(reported, problem, fix) = SecureFiles.pathError(
                call: call, path: failedPath, errno: code)
            {
                .insecureFile("\(reported) \(problem); \(fix)")
            } else {
                .system(error.description)
            }
        }
    }
}

/// Runs `body`, translating storage and crypto errors into `VaultError`.
func translating<T>(path: String, _ body: () throws -> T) throws(VaultError) -> T {
    do {
        return try body()
    } catch let error as VaultError {
        throw error
    } catch let error as StoreError {
        throw VaultError.from(error, path: path)
    } catch let error as CryptoError {
        throw VaultError.corrupt(error.description)
    } catch {
        throw VaultError.system("\(error)")
    }
}
