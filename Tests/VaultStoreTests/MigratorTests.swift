import Testing
import VaultStore

@Suite("Migrator")
struct MigratorTests {
    static let first = Migration(
        id: 1, name: "first", sql: "CREATE TABLE a (x INTEGER) STRICT; INSERT INTO a VALUES (1);")
    static let second = Migration(id: 2, name: "second", sql: "CREATE TABLE b (y INTEGER) STRICT;")

    @Test("migrations apply in order, once, and record their ids")
    func appliesInOrder() throws {
        try withTemporaryDirectory { directory in
            let connection = try ConnectionTests.open(directory)
            let migrator = Migrator([Self.second, Self.first])
            #expect(try migrator.hasPending(connection))
            #expect(try migrator.migrate(connection, now: 100) == [1, 2])
            #expect(try migrator.appliedIDs(in: connection) == [1, 2])
            #expect(try !migrator.hasPending(connection))
            #expect(try migrator.migrate(connection, now: 200) == [])
            #expect(try connection.scalarInt("SELECT count(*) FROM a") == 1)
            #expect(try connection.scalarInt("SELECT applied_at FROM schema_migrations WHERE id = 2") == 100)
        }
    }

    @Test("a failing migration leaves neither its changes nor its id; earlier ones stay")
    func sameTransaction() throws {
        try withTemporaryDirectory { directory in
            let connection = try ConnectionTests.open(directory)
            let broken = Migration(
                id: 2, name: "broken", sql: "CREATE TABLE b (y INTEGER) STRICT; INSERT INTO nowhere VALUES (1);")
            #expect(throws: StoreError.self) { try Migrator([Self.first, broken]).migrate(connection, now: 1) }
            #expect(try Migrator([Self.first]).appliedIDs(in: connection) == [1])
            #expect(try connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name = 'b'") == 0)
            #expect(!connection.isInTransaction)
            // The fixed migration then applies normally.
            #expect(try Migrator([Self.first, Self.second]).migrate(connection, now: 2) == [2])
        }
    }

    @Test("a database listing an unknown (newer) migration is refused and left byte-identical")
    func refusesNewer() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/store.db"
            do {
                let connection = try ConnectionTests.open(directory)
                try Migrator([Self.first]).migrate(connection, now: 1)
                try connection.execute(
                    "INSERT INTO schema_migrations (id, name, applied_at) VALUES (9999, 'future', 3)")
            }
            // Every connection is closed: the log has been folded in and removed.
            #expect(fileBytes(path + "-wal") == nil)
            let before = try #require(fileBytes(path))
            do {
                let connection = try Connection(path: path, mode: .readWrite)
                let migrator = Migrator([Self.first, Self.second])
                #expect(throws: StoreError.unknownMigrations([9999])) { try migrator.checkCompatible(connection) }
                #expect(throws: StoreError.unknownMigrations([9999])) { try migrator.hasPending(connection) }
                #expect(throws: StoreError.unknownMigrations([9999])) { try migrator.migrate(connection, now: 4) }
            }
            let identical = fileBytes(path) == before
            #expect(identical)
            #expect((fileBytes(path + "-wal")?.count ?? 0) == 0)
        }
    }
}
