/// One `NAME=value` line read by `EnvFileParser`.
///
/// The value is raw UTF-8 bytes so the caller can copy it into its secret storage and
/// then zero this array (`value.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) }`
/// or the vault's own wipe); a `String` could not be wiped.
public struct EnvAssignment: Equatable, Sendable {
    /// The variable name, `[A-Za-z_][A-Za-z0-9_]*`.
    public let name: String
    /// The value's bytes, valid UTF-8, without NUL or line breaks.
    public var value: [UInt8]
    /// The 1-based line the assignment came from, for the caller's own messages.
    public let line: Int

    init(name: String, value: [UInt8], line: Int) {
        self.name = name
        self.value = value
        self.line = line
    }

    /// The value as a `String`, for non-secret fields (account SID, region) and tests.
    public var stringValue: String { String(decoding: value, as: UTF8.self) }
}
