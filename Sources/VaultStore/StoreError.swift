/// A failure of the storage layer. Carries the SQLite result code and the SQL text, never
/// bound values: those may be secrets.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// SQLite reported an error (`code` is the extended result code).
    case sqlite(code: Int32, message: String, sql: String?)
    /// The file is locked by another process past the busy timeout.
    case busy(sql: String?)
    /// The file is not a database at all, or is damaged.
    case notADatabase(String)
    /// A column had another type than the schema promises (the file was altered).
    case unexpectedColumnType(column: String, expected: String, actual: String)
    /// The database lists a migration this binary does not know: it was written by a newer version.
    case unknownMigrations([Int])
    /// The file or one of its companions is unsafe to use (permissions, owner, symlink).
    case insecureFile(path: String, problem: String, fix: String)
    /// A file system call failed.
    case system(call: String, path: String, errno: Int32)
    /// The path does not exist.
    case missing(path: String)

    public var description: String {
        switch self {
        case let .sqlite(code, message, sql):
            "SQLite error \(code): \(message)" + (sql.map { " (in: \($0.prefix(80)))" } ?? "")
        case .busy: "the vault is busy: another twvault process holds its lock"
        case let .notADatabase(message): "not a database: \(message)"
        case let .unexpectedColumnType(column, expected, actual):
            "column \(column) holds \(actual) where \(expected) was expected"
        case let .unknownMigrations(ids):
            "the file has schema migrations this version does not know (\(ids.map(String.init).joined(separator: ", ")))"
        case let .insecureFile(path, problem, fix): "\(path) \(problem); \(fix)"
        case let .system(call, path, errno): "\(call)(\(path)) failed: \(SystemErrno.describe(errno))"
        case let .missing(path): "\(path) does not exist"
        }
    }
}

enum SystemErrno {
    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
