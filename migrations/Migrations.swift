/// One schema migration as shipped in the binary.
///
/// Migrations are the files `migrations/NNNN_name.sql`, applied in order of `id`, each in
/// its own transaction. A shipped migration is never edited: a format change is a new file.
public struct EmbeddedMigration: Sendable, Hashable {
    /// The number in front of the file name (`0001_initial.sql` has id 1).
    public let id: Int
    /// The file name without number and extension (`initial`).
    public let name: String
    /// The file's exact SQL text.
    public let sql: String
}

public enum VaultMigrations {
    /// Every migration this binary knows, in the order they apply.
    public static let all: [EmbeddedMigration] = embeddedMigrationFiles.map { file in
        let stem = file.name.dropLast(".sql".count)
        guard let underscore = stem.firstIndex(of: "_"), let id = Int(stem[..<underscore]), id > 0 else {
            preconditionFailure("migration file \(file.name) is not named NNNN_name.sql")
        }
        return EmbeddedMigration(id: id, name: String(stem[stem.index(after: underscore)...]), sql: file.sql)
    }.sorted { $0.id < $1.id }
}
