import Foundation
import Testing
import VaultStore

@Suite("Connection")
struct ConnectionTests {
    static func open(_ directory: String, name: String = "store.db") throws -> Connection {
        let path = "\(directory)/\(name)"
        if !SecureFiles.exists(path) { try SecureFiles.createPrivateFile(path) }
        let connection = try Connection(path: path, mode: .readWrite)
        try connection.enableWAL()
        return connection
    }

    @Test("the pragmas the vault relies on are in effect")
    func pragmas() throws {
        try withTemporaryDirectory { directory in
            let connection = try Self.open(directory)
            let journal = try connection.prepare("PRAGMA journal_mode")
            #expect(try journal.step())
            #expect(journal.columnText(0) == "wal")
            #expect(try connection.scalarInt("PRAGMA synchronous") == 2) // FULL
            #expect(try connection.scalarInt("PRAGMA secure_delete") == 1)
            #expect(try connection.scalarInt("PRAGMA trusted_schema") == 0)
            #expect(try connection.scalarInt("PRAGMA temp_store") == 2) // MEMORY
            #expect(try connection.scalarInt("PRAGMA busy_timeout") == 5000)
            #expect(try connection.scalarInt("PRAGMA foreign_keys") == 1)
        }
    }

    @Test("a write transaction that throws rolls back everything it did")
    func rollback() throws {
        struct Boom: Error {}
        try withTemporaryDirectory { directory in
            let connection = try Self.open(directory)
            try connection.execute("CREATE TABLE t (x INTEGER) STRICT")
            var wasInTransaction = false
            do {
                try connection.writeTransaction { () throws -> Void in
                    try connection.execute("INSERT INTO t VALUES (1)")
                    wasInTransaction = connection.isInTransaction
                    throw Boom()
                }
                Issue.record("the error did not propagate")
            } catch is Boom {}
            #expect(wasInTransaction)
            #expect(!connection.isInTransaction)
            #expect(try connection.scalarInt("SELECT count(*) FROM t") == 0)
            try connection.writeTransaction { () throws -> Void in try connection.execute("INSERT INTO t VALUES (2)") }
            #expect(try connection.scalarInt("SELECT count(*) FROM t") == 1)
        }
    }

    @Test("write transactions take the write lock at BEGIN (IMMEDIATE), so a second writer is busy at once")
    func beginImmediate() throws {
        try withTemporaryDirectory { directory in
            let first = try Self.open(directory)
            try first.execute("CREATE TABLE t (x INTEGER) STRICT")
            let second = try Connection(path: "\(directory)/store.db", mode: .readWrite, busyTimeoutMilliseconds: 0)
            try first.writeTransaction { () -> Void in
                // No write has happened yet in this transaction: only BEGIN IMMEDIATE holds the lock.
                #expect(throws: StoreError.busy(sql: "BEGIN IMMEDIATE")) { try second.execute("BEGIN IMMEDIATE") }
            }
            try second.writeTransaction { try second.execute("INSERT INTO t VALUES (1)") }
        }
    }

    @Test("the statement cache returns one reset statement per SQL text")
    func statementCache() throws {
        try withTemporaryDirectory { directory in
            let connection = try Self.open(directory)
            try connection.execute("CREATE TABLE t (x INTEGER) STRICT; INSERT INTO t VALUES (1), (2), (3)")
            let sql = "SELECT x FROM t WHERE x >= ? ORDER BY x"
            let a = try connection.cached(sql)
            try a.bind(.integer(2))
            #expect(try a.step())
            #expect(a.columnInt(0) == 2)
            let b = try connection.cached(sql)
            #expect(a === b)
            try b.bind(.integer(1))
            #expect(try b.step())
            #expect(b.columnInt(0) == 1) // rewound, rebound
            #expect(try connection.prepare(sql) !== a)
        }
    }

    @Test("reading a column as the wrong type throws instead of crashing")
    func columnTypes() throws {
        try withTemporaryDirectory { directory in
            let connection = try Self.open(directory)
            try connection.execute("CREATE TABLE t (a ANY, b ANY, c ANY, d ANY) STRICT")
            try connection.prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
                .bind(.text("text"), .blob([1, 2]), .integer(7), .null).run()
            try connection.prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
                .bind(.text(""), .blob([]), .integer(0), .null).run()
            let row = try connection.prepare("SELECT a, b, c, d FROM t ORDER BY c DESC")
            #expect(try row.step())
            #expect(try row.requireText(0) == "text")
            #expect(try row.requireBlob(1) == [1, 2])
            #expect(try row.requireInt(2) == 7)
            #expect(throws: StoreError.unexpectedColumnType(column: "a", expected: "BLOB", actual: "TEXT")) {
                try row.requireBlob(0)
            }
            #expect(throws: StoreError.unexpectedColumnType(column: "b", expected: "TEXT", actual: "BLOB")) {
                try row.requireText(1)
            }
            #expect(throws: StoreError.unexpectedColumnType(column: "c", expected: "BLOB", actual: "INTEGER")) {
                try row.requireBlob(2)
            }
            #expect(throws: StoreError.unexpectedColumnType(column: "d", expected: "INTEGER", actual: "NULL")) {
                try row.requireInt(3)
            }
            // Empty values keep their types.
            #expect(try row.step())
            #expect(try row.requireText(0) == "")
            #expect(try row.requireBlob(1) == [])
        }
    }

    @Test("errors carry the SQL but never the bound values")
    func errorsOmitValues() throws {
        try withTemporaryDirectory { directory in
            let connection = try Self.open(directory)
            try connection.execute("CREATE TABLE t (x TEXT PRIMARY KEY) STRICT")
            try connection.prepare("INSERT INTO t VALUES (?)").bind(.text("secret-value-1")).run()
            do {
                try connection.prepare("INSERT INTO t VALUES (?)").bind(.text("secret-value-1")).run()
                Issue.record("duplicate key accepted")
            } catch {
                #expect("\(error)".contains("INSERT INTO t"))
                #expect(!"\(error)".contains("secret-value-1"))
            }
        }
    }

    @Test("a file of random bytes is not a database, reported at open")
    func notADatabase() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/random.db"
            try SecureFiles.writeNew(path, bytes: (0..<8192).map { _ in UInt8.random(in: 0...255) })
            #expect {
                _ = try Connection(path: path, mode: .readWrite)
            } throws: { error in
                if case .notADatabase = error as? StoreError { return true }
                return false
            }
        }
    }

    @Test("a symlink is never opened")
    func noFollow() throws {
        try withTemporaryDirectory { directory in
            _ = try Self.open(directory, name: "real.db")
            #expect(symlink("\(directory)/real.db", "\(directory)/link.db") == 0)
            #expect(throws: StoreError.self) { _ = try Connection(path: "\(directory)/link.db", mode: .readWrite) }
        }
    }

    @Test("checkpoint folds the log into the file and empties it")
    func checkpoint() throws {
        try withTemporaryDirectory { directory in
            let connection = try Self.open(directory)
            try connection.execute("CREATE TABLE t (x BLOB) STRICT")
            try connection.writeTransaction {
                try connection.prepare("INSERT INTO t VALUES (?)").bind(.blob(Array(repeating: 0x5a, count: 5000)))
                    .run()
            }
            #expect((fileBytes("\(directory)/store.db-wal")?.count ?? 0) > 0)
            try connection.checkpoint()
            #expect(fileBytes("\(directory)/store.db-wal")?.count == 0)
        }
    }
}
