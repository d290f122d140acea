extension RecordKind {
    /// A profile's extra variables (`VariablesRecord`).
    public static let variables = RecordKind(rawValue: "vars")
}

/// A profile's extra variables (DESIGN §11): the payload of its `vars` record, sealed like
/// every record. A record of its own, beside the `profile` record, so that a binary that
/// does not know it keeps it untouched when it rewrites the profile (rotate, update).
///
/// Names are checked when they are stored and again when they are exported: a record may
/// come from another binary with other rules.
public struct VariablesRecord: Codable, Sendable, Equatable {
    /// Value by name.
    public var variables: [String: String]

    public init(_ variables: [String: String] = [:]) { self.variables = variables }

    /// The names, sorted: the order `export` prints them in.
    public var names: [String] { variables.keys.sorted() }
}
