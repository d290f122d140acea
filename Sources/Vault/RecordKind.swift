/// What a sealed record holds. The kind is part of the record's key and of its plaintext,
/// so a record cannot be moved to another kind.
public struct RecordKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The profile's credentials and settings (`ProfileRecord`).
    public static let profile = RecordKind(rawValue: "profile")
    /// The cached OAuth access token (`CachedToken`).
    public static let token = RecordKind(rawValue: "token")
    /// An unfinished or finished credential rotation.
    public static let rotation = RecordKind(rawValue: "rotation")

    public var description: String { rawValue }
}
