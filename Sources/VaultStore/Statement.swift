internal import CSQLite
import FoundationEssentials

/// A compiled SQL statement, finalized in `deinit`.
public final class Statement {
    let handle: OpaquePointer
    /// Keeps the connection open while a statement from `prepare` lives. Statements in the
    /// connection's cache leave this nil: the connection owns them, and a reference back would
    /// be a cycle that never closes the file (so its -wal is never folded in and removed).
    private let retainedConnection: Connection?
    private unowned let connection: Connection
    /// The SQL text (never the bound values).
    public let sql: String

    init(handle: OpaquePointer, connection: Connection, sql: String, retainsConnection: Bool) {
        self.handle = handle
        self.retainedConnection = retainsConnection ? connection : nil
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears bindings and rewinds, ready for another execution.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// A value that can be bound to a parameter.
    public enum Value {
        case integer(Int64)
        case text(String)
        case blob([UInt8])
        case null
    }

    /// Binds values to parameters 1, 2, … in order.
    @discardableResult
    public func bind(_ values: Value...) throws(StoreError) -> Statement {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case let .integer(number): status = sqlite3_bind_int64(handle, index, number)
            case let .text(text): status = sqlite3_bind_text(handle, index, text, -1, transient)
            case let .blob(bytes):
                status = bytes.withUnsafeBytes { buffer in
                    // A zero-length blob still binds as a blob, not NULL.
                    sqlite3_bind_blob(
                        handle, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(buffer.count),
                        transient)
                }
            case .null: status = sqlite3_bind_null(handle, index)
            }
            guard status == SQLITE_OK else { throw connection.error(status, sql: sql) }
        }
        return self
    }

    /// Advances to the next row; `false` when done.
    public func step() throws(StoreError) -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(status, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Runs a statement that returns no rows.
    public func run() throws(StoreError) {
        while try step() {}
    }

    public func columnInt(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    public func columnText(_ index: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, index) else { return nil }
        return String(cString: text)
    }

    /// The column's storage type, for checks against a tampered schema.
    public func columnType(_ index: Int32) -> String {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: "INTEGER"
        case SQLITE_FLOAT: "REAL"
        case SQLITE_TEXT: "TEXT"
        case SQLITE_BLOB: "BLOB"
        default: "NULL"
        }
    }

    private func require(_ index: Int32, _ expected: Int32, _ name: String) throws(StoreError) {
        let actual = sqlite3_column_type(handle, index)
        guard actual == expected else {
            let columnName = sqlite3_column_name(handle, index).map { String(cString: $0) } ?? "#\(index)"
            throw .unexpectedColumnType(column: columnName, expected: name, actual: columnType(index))
        }
    }

    /// The column as bytes; throws when it is not a BLOB.
    public func requireBlob(_ index: Int32) throws(StoreError) -> [UInt8] {
        try require(index, SQLITE_BLOB, "BLOB")
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// The column as text; throws when it is not TEXT.
    public func requireText(_ index: Int32) throws(StoreError) -> String {
        try require(index, SQLITE_TEXT, "TEXT")
        return columnText(index) ?? ""
    }

    /// The column as an integer; throws when it is not INTEGER.
    public func requireInt(_ index: Int32) throws(StoreError) -> Int64 {
        try require(index, SQLITE_INTEGER, "INTEGER")
        return columnInt(index)
    }
}

@available(*, unavailable, message: "a statement belongs to its connection's task")
extension Statement: Sendable {}

/// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
