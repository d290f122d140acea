import VaultCrypto
import VaultStore

/// The value of `TWVAULT_SESSION` (docs/FORMAT.md, "Unlock sessions"): the unlock tokens of
/// one or more vaults, separated by ":".
///
///     value = entry *( ":" entry )
///     entry = "twv2." || hex(vault_id) || "." || base64url(session_id (16) || session_key (32))
///
/// Each entry names its vault, so an unlock of one vault keeps the others' entries and a lock
/// removes only its own. A token of the first layout, "twv1." || base64url(…) (one vault, as
/// twvault 0.1 printed it), names no vault: it is tried for any vault after the entries that
/// name it. Anything else between separators is ignored.
public struct SessionVariable: Sendable, Equatable {
    public static let separator: Character = ":"
    /// The most entries `unlock` and `lock` print (the newest are kept), and the most a lookup
    /// tries for one vault.
    public static let maximumEntries = 16

    static let prefix = "twv2."
    static let firstLayoutPrefix = "twv1."
    /// base64url of session_id || session_key: 48 bytes, 64 characters, no padding.
    static let bodyLength = 64
    static let vaultIDHexLength = 32

    /// One unlock token. Its text holds the session key: it belongs in the variable only.
    public struct Entry: Sendable, Equatable {
        public let text: String
        /// The vault the entry names, in lowercase hex; nil for a token of the first layout.
        public let vaultIDHex: String?

        /// The entry `piece` spells, or nil when it is not well formed.
        init?(_ piece: Substring) {
            let bytes = Array(piece.utf8)
            if piece.hasPrefix(SessionVariable.prefix) {
                let idStart = SessionVariable.prefix.utf8.count
                let dot = idStart + SessionVariable.vaultIDHexLength
                guard bytes.count == dot + 1 + SessionVariable.bodyLength,
                    bytes[idStart..<dot].allSatisfy(Self.isLowerHex), bytes[dot] == UInt8(ascii: "."),
                    bytes[(dot + 1)...].allSatisfy(Self.isBase64URL)
                else { return nil }
                vaultIDHex = String(decoding: bytes[idStart..<dot], as: UTF8.self)
            } else if piece.hasPrefix(SessionVariable.firstLayoutPrefix) {
                let start = SessionVariable.firstLayoutPrefix.utf8.count
                guard bytes.count == start + SessionVariable.bodyLength, bytes[start...].allSatisfy(Self.isBase64URL)
                else { return nil }
                vaultIDHex = nil
            } else {
                return nil
            }
            text = String(piece)
        }

        /// The entry for a session of the vault with this id.
        init(vaultIDHex: String, body: some StringProtocol) {
            self.vaultIDHex = vaultIDHex
            text = SessionVariable.prefix + vaultIDHex + "." + body
        }

        /// The base64url of session_id || session_key.
        var body: Substring { text.suffix(SessionVariable.bodyLength) }

        /// The session id and key, or nil when the body does not decode (it always does once
        /// well formed: 64 base64url characters are 48 bytes).
        func decoded() -> (sessionID: [UInt8], sessionKey: SecretBytes)? {
            guard let bytes = try? ByteEncoding.secretFromBase64URL(String(body)), bytes.count == 48 else {
                return nil
            }
            return (bytes.withUnsafeBytes { Array($0[0..<16]) }, bytes.slice(16..<48))
        }

        static func isLowerHex(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        }

        static func isBase64URL(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_")
        }
    }

    /// The well-formed entries, oldest first, each once (where it last appears).
    public private(set) var entries: [Entry]

    /// Parses a value; nil or empty holds no entry.
    public init(_ value: String?) {
        var seen = Set<String>()
        var newestFirst: [Entry] = []
        for piece in (value ?? "").split(separator: Self.separator).reversed() {
            guard let entry = Entry(piece), seen.insert(entry.text).inserted else { continue }
            newestFirst.append(entry)
        }
        entries = newestFirst.reversed()
    }

    init(entries: [Entry]) {
        self.entries = entries
    }

    /// The text for the variable; nil when no entry is left (unset it).
    public var value: String? {
        entries.isEmpty ? nil : entries.map(\.text).joined(separator: String(Self.separator))
    }

    /// The entries that may open the vault with this id, the most likely first: the newest of
    /// those naming it, then the newest first-layout tokens; at most `maximumEntries`.
    public func candidates(forVaultIDHex vaultIDHex: String) -> [Entry] {
        let named = entries.reversed().filter { $0.vaultIDHex == vaultIDHex }
        let unnamed = entries.reversed().filter { $0.vaultIDHex == nil }
        return Array((named + unnamed).prefix(Self.maximumEntries))
    }
}

extension SessionStore {
    /// The value for `TWVAULT_SESSION` after `unlock`: `inherited` without the entries of the
    /// vault with this id, then `token` (just made by `create`); the oldest entries are dropped
    /// beyond `SessionVariable.maximumEntries`.
    public func adding(_ token: String, vaultIDHex: String, to inherited: String?) -> String {
        let others = othersThan(vaultIDHex: vaultIDHex, in: SessionVariable(inherited))
        let new = SessionVariable(token).entries
        let kept = others.suffix(SessionVariable.maximumEntries - new.count) + new
        return SessionVariable(entries: Array(kept)).value ?? token
    }

    /// The value for `TWVAULT_SESSION` after `lock`: `inherited` without the entries of the vault
    /// with this id; nil when none is left. Call it before the session files are removed.
    public func removing(vaultIDHex: String, from inherited: String?) -> String? {
        let others = othersThan(vaultIDHex: vaultIDHex, in: SessionVariable(inherited))
        return SessionVariable(entries: Array(others.suffix(SessionVariable.maximumEntries))).value
    }

    /// The entries of other vaults. A first-layout token names no vault: it is rewritten to name
    /// the vault whose session file here carries its session id, and dropped when that is this
    /// vault or there is no such file (its unlock is over, or it opens nothing from here).
    func othersThan(vaultIDHex: String, in variable: SessionVariable) -> [SessionVariable.Entry] {
        var owners: [String: String]?
        var others: [SessionVariable.Entry] = []
        var seen = Set<String>()
        // Newest first, so that an entry appearing twice keeps its newest place.
        for entry in variable.entries.reversed() {
            var kept = entry
            if entry.vaultIDHex == nil {
                if owners == nil { owners = sessionOwners() }
                guard let sessionID = entry.decoded()?.sessionID,
                    let owner = owners?[ByteEncoding.hex(sessionID)]
                else { continue }
                kept = SessionVariable.Entry(vaultIDHex: owner, body: entry.body)
            }
            guard kept.vaultIDHex != vaultIDHex else { continue }
            if seen.insert(kept.text).inserted { others.append(kept) }
        }
        return others.reversed()
    }

    /// The vault of each session file in this directory, by hex session id.
    func sessionOwners() -> [String: String] {
        var owners: [String: String] = [:]
        let idLength = SessionVariable.vaultIDHexLength
        for name in SecureFiles.list(directory) where name.hasSuffix(".session") {
            let stem = Array(name.utf8.dropLast(".session".utf8.count))
            guard stem.count == idLength + 1 + idLength, stem[idLength] == UInt8(ascii: "-"),
                stem.allSatisfy({ $0 == UInt8(ascii: "-") || SessionVariable.Entry.isLowerHex($0) })
            else { continue }
            owners[String(decoding: stem[(idLength + 1)...], as: UTF8.self)] = String(
                decoding: stem[..<idLength], as: UTF8.self)
        }
        return owners
    }
}
