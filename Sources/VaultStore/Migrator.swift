/// A schema change: plain SQL, applied once, in its own transaction.
public struct Migration: Sendable, Hashable {
    public let id: Int
    public let name: String
    public let sql: String

    public init(id: Int, name: String, sql: String) {
        self.id = id
        self.name = name
        self.sql = sql
    }
}

/// Applies migrations in order, each in one transaction together with the row that records
/// it, and refuses a database that lists a migration it does not know (written by a newer
/// version) before changing anything.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(_ migrations: [Migration]) {
        precondition(Set(migrations.map(\.id)).count == migrations.count, "duplicate migration ids")
        self.migrations = migrations.sorted { $0.id < $1.id }
    }

    /// The ids recorded in the database (empty for a new database).
    public func appliedIDs(in connection: Connection) throws(StoreError) -> [Int] {
        let exists = try connection.scalarInt(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'")
        guard exists == 1 else { return [] }
        let statement = try connection.prepare("SELECT id FROM schema_migrations ORDER BY id")
        var ids: [Int] = []
        while try statement.step() { ids.append(Int(try statement.requireInt(0))) }
        return ids
    }

    /// Throws `unknownMigrations` when the database knows migrations this binary does not.
    /// Reads only.
    public func checkCompatible(_ connection: Connection) throws(StoreError) -> [Int] {
        let applied = try appliedIDs(in: connection)
        let known = Set(migrations.map(\.id))
        let unknown = applied.filter { !known.contains($0) }
        guard unknown.isEmpty else { throw .unknownMigrations(unknown) }
        return applied
    }

    /// Whether some migration still has to run.
    public func hasPending(_ connection: Connection) throws(StoreError) -> Bool {
        let applied = Set(try checkCompatible(connection))
        return migrations.contains { !applied.contains($0.id) }
    }

    /// Applies what is missing. Returns the ids it applied.
    @discardableResult
    public func migrate(_ connection: Connection, now: Int64) throws -> [Int] {
        var done: [Int] = []
        for migration in migrations {
            try connection.writeTransaction {
                // Re-read inside the lock: another process may have migrated meanwhile.
                let applied = Set(try checkCompatible(connection))
                guard !applied.contains(migration.id) else { return }
                try connection.execute(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT
                    """)
                try connection.execute(migration.sql)
                try connection.prepare("INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)")
                    .bind(.integer(Int64(migration.id)), .text(migration.name), .integer(now))
                    .run()
                done.append(migration.id)
            }
        }
        return done
    }
}
