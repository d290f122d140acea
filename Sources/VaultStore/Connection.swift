internal import CSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One open SQLite database. Owns the `sqlite3*` handle and closes it in `deinit`, also
/// when opening fails half-way. Not thread-safe: one connection belongs to one task.
public final class Connection {
    let handle: OpaquePointer
    /// The path it was opened with.
    public let path: String
    private var statementCache: [String: Statement] = [:]

    /// How the file is opened.
    public enum Mode: Sendable {
        /// Read and write; the file must exist.
        case readWrite
        /// Read and write; created when missing.
        case create
        /// Read only.
        case readOnly
    }

    /// Opens `path` without following symlinks, with the pragmas the vault relies on:
    /// WAL journal (unless read-only), `synchronous=FULL`, `secure_delete=ON`,
    /// `trusted_schema=OFF`, `temp_store=MEMORY`, and `busy_timeout`.
    ///
    /// WAL mode is not switched on here: switching writes to the file, and a file written by a
    /// newer version must stay untouched. Call `enableWAL()` once the file is known to be ours.
    public init(path: String, mode: Mode, busyTimeoutMilliseconds: Int32 = 5000) throws(StoreError) {
        var flags: Int32 = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var db: OpaquePointer?
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard let db else { throw .sqlite(code: status, message: "out of memory", sql: nil) }
        guard status == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(db))
            let systemErrno = sqlite3_system_errno(db)
            sqlite3_close_v2(db)
            throw Connection.openError(status, message: message, errno: systemErrno, path: path)
        }
        self.handle = db
        self.path = path
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(db, 1)
        // Connection-level settings; none of them writes to the file.
        try execute("PRAGMA trusted_schema = OFF")
        try execute("PRAGMA secure_delete = ON")
        try execute("PRAGMA temp_store = MEMORY")
        try execute("PRAGMA synchronous = FULL")
        try execute("PRAGMA foreign_keys = ON")
        // Reading the schema now turns a file that is no database into an error at open.
        _ = try scalarInt("PRAGMA schema_version")
    }

    /// Why `sqlite3_open_v2` failed, as a path problem where it is one (extended result codes
    /// are on, so "cannot open" arrives as 14 plus a reason in the upper byte).
    static func openError(_ status: Int32, message: String, errno code: Int32, path: String) -> StoreError {
        guard status & 0xff == SQLITE_CANTOPEN else { return .sqlite(code: status, message: message, sql: nil) }
        // SQLITE_CANTOPEN_SYMLINK and SQLITE_CANTOPEN_ISDIR (macros Swift does not import).
        if status == SQLITE_CANTOPEN | 6 << 8 {
            return .insecureFile(
                path: path, problem: "is reached through a symbolic link, which the vault is never opened through",
                fix: "point --vault at the real path")
        }
        if status == SQLITE_CANTOPEN | 2 << 8 {
            return .insecureFile(path: path, problem: "is a directory", fix: "point --vault at the vault file")
        }
        if code == 0 { return .missing(path: path) }
        return SecureFiles.pathError(call: "open", path: path, errno: code)
    }

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Switches the file to write-ahead logging (a no-op when it already is).
    public func enableWAL() throws(StoreError) {
        let mode = try prepare("PRAGMA journal_mode = WAL")
        guard try mode.step(), mode.columnText(0)?.lowercased() == "wal" else {
            throw .sqlite(code: SQLITE_ERROR, message: "could not switch to WAL mode", sql: "PRAGMA journal_mode = WAL")
        }
    }

    /// Runs one or more statements that return no rows of interest.
    public func execute(_ sql: String) throws(StoreError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        let message = errorMessage.map { String(cString: $0) }
        sqlite3_free(errorMessage)
        guard status == SQLITE_OK else { throw error(status, sql: sql, message: message) }
    }

    /// Compiles `sql`. Statements prepared through `cached` are kept for reuse.
    public func prepare(_ sql: String) throws(StoreError) -> Statement {
        try compile(sql, retainsConnection: true)
    }

    private func compile(_ sql: String, retainsConnection: Bool) throws(StoreError) -> Statement {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, 0, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw error(status, sql: sql) }
        return Statement(handle: statement, connection: self, sql: sql, retainsConnection: retainsConnection)
    }

    /// A prepared statement for `sql`, compiled once per connection and reset for each use.
    /// It belongs to the connection: use it only while the connection lives.
    public func cached(_ sql: String) throws(StoreError) -> Statement {
        if let statement = statementCache[sql] {
            statement.reset()
            return statement
        }
        let statement = try compile(sql, retainsConnection: false)
        statementCache[sql] = statement
        return statement
    }

    /// The first column of the first row as an integer (0 when there is no row).
    public func scalarInt(_ sql: String) throws(StoreError) -> Int64 {
        let statement = try prepare(sql)
        guard try statement.step() else { return 0 }
        return statement.columnInt(0)
    }

    /// Runs `body` in a write transaction begun with `BEGIN IMMEDIATE`, so the write lock is
    /// taken up front (waiting up to the busy timeout) instead of failing mid-transaction.
    /// Commits when `body` returns, rolls back when it throws.
    public func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            resetCachedStatements()
            try execute("COMMIT")
            return result
        } catch {
            resetCachedStatements()
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in a read transaction (`BEGIN DEFERRED`), so it sees one snapshot.
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN DEFERRED")
        defer {
            resetCachedStatements()
            try? execute("COMMIT")
        }
        return try body()
    }

    /// Rewinds every cached statement. A statement stopped on a row keeps its read snapshot
    /// open after the transaction ends, which makes checkpoints fail (SQLITE_LOCKED) and lets
    /// old pages, and the ciphertext in them, stay in the -wal.
    private func resetCachedStatements() {
        for statement in statementCache.values { statement.reset() }
    }

    /// Whether a transaction is open.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Copies the write-ahead log into the database and truncates the log to zero bytes,
    /// so that overwritten pages (old ciphertext) leave both files.
    public func checkpoint() throws(StoreError) {
        resetCachedStatements()
        var logFrames: Int32 = 0
        var checkpointed: Int32 = 0
        let status = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, &logFrames, &checkpointed)
        guard status == SQLITE_OK else { throw error(status, sql: "checkpoint") }
    }

    /// Writes a consistent copy of the database to `path`, which must be missing or an empty
    /// file (one created with the mode the copy should have): `VACUUM INTO`, which reads one
    /// snapshot while other connections go on writing, and leaves free pages behind. The copy
    /// is in rollback-journal mode and is not synced: the caller syncs it.
    public func copy(into path: String) throws(StoreError) {
        resetCachedStatements()
        try prepare("VACUUM INTO ?").bind(.text(path)).run()
    }

    /// The `application_id` in the file header.
    public func applicationID() throws(StoreError) -> Int32 {
        Int32(truncatingIfNeeded: try scalarInt("PRAGMA application_id"))
    }

    /// Whether the database holds no schema objects at all (a new, empty file).
    public func isEmpty() throws(StoreError) -> Bool {
        try scalarInt("SELECT count(*) FROM sqlite_schema") == 0
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    func error(_ status: Int32, sql: String?, message: String? = nil) -> StoreError {
        let text = message ?? String(cString: sqlite3_errmsg(handle))
        switch status & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy(sql: sql)
        case SQLITE_NOTADB, SQLITE_CORRUPT: return .notADatabase(text)
        default: return .sqlite(code: status, message: text, sql: sql)
        }
    }
}

@available(*, unavailable, message: "a connection belongs to one task")
extension Connection: Sendable {}
