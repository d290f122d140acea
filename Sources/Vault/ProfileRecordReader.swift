import VaultCrypto

/// A reader for exactly the JSON that `PayloadCoding.encode` writes for a `ProfileRecord`: one
/// object whose members are the record's `CodingKeys`, each a string (or null) except
/// `created_at`, an integer, and `credential_times`, an object of string to integer.
///
/// It exists because reading a profile is the whole work of a warm `export`, and `JSONDecoder`
/// costs far more than the answer needs (generic containers, protocol-conformance lookups at
/// first use). It never decides anything `JSONDecoder` would decide differently: whenever the
/// input holds something it does not fully understand (an unknown or escaped key, a duplicate
/// member, a number with a fraction, exponent or leading zero, `-0`, a nested value where none
/// is expected, an escape it does not know, a lone surrogate, invalid UTF-8, a missing
/// `created_at`, anything after the object) it returns nil, and the caller decodes with
/// `JSONDecoder` as before. So a record written by another version reads exactly as it did.
enum ProfileRecordReader {
    /// The record that `bytes` hold, or nil when `JSONDecoder` must decide.
    ///
    /// `bytes` are not copied, except the contents of strings with escapes, which pass
    /// through a scratch buffer that is wiped before returning.
    static func read(_ bytes: UnsafeRawBufferPointer) -> ProfileRecord? {
        RecordJSON.parse(bytes) { (parser: inout RecordJSON) throws(RecordJSON.Unsupported) in try record(&parser) }
    }

    static func record(_ parser: inout RecordJSON) throws(RecordJSON.Unsupported) -> ProfileRecord {
        var strings: [ProfileRecord.CodingKeys: String?] = [:]
        var createdAt: Int64?
        var credentialTimes: [String: Int64]?
        try parser.members { (parser: inout RecordJSON) throws(RecordJSON.Unsupported) in
            guard let key = ProfileRecord.CodingKeys(rawValue: try parser.key()) else { throw .init() }
            switch key {
            case .createdAt:
                guard createdAt == nil else { throw .init() }
                createdAt = try parser.integer()
            case .credentialTimes:
                guard credentialTimes == nil else { throw .init() }
                var times: [String: Int64] = [:]
                try parser.members { (parser: inout RecordJSON) throws(RecordJSON.Unsupported) in
                    let name = try parser.string()
                    try parser.colon()
                    // Keys are compared as Swift compares them (canonical equivalence).
                    guard times.updateValue(try parser.integer(), forKey: name) == nil else { throw .init() }
                }
                credentialTimes = times
            default:
                guard strings[key] == nil else { throw .init() }
                strings[key] = parser.literalNull() ? .some(nil) : .some(try parser.string())
            }
        }
        guard let createdAt else { throw .init() }
        var record = ProfileRecord(createdAt: createdAt)
        record.credentialTimes = credentialTimes ?? [:]
        record.accountSID = strings[.accountSID] ?? nil
        record.authToken = strings[.authToken] ?? nil
        record.apiKeySID = strings[.apiKeySID] ?? nil
        record.apiKeySecret = strings[.apiKeySecret] ?? nil
        record.clientID = strings[.clientID] ?? nil
        record.clientSecret = strings[.clientSecret] ?? nil
        record.refreshToken = strings[.refreshToken] ?? nil
        record.region = strings[.region] ?? nil
        record.edge = strings[.edge] ?? nil
        record.tokenURL = strings[.tokenURL] ?? nil
        record.scope = strings[.scope] ?? nil
        record.audience = strings[.audience] ?? nil
        record.previousClientSecret = strings[.previousClientSecret] ?? nil
        return record
    }
}

/// The same for a cached access token (the `token` record), which a warm `export` of a profile
/// with an OAuth client reads too: members `access_token` and `token_type` (strings),
/// `id_token` and `scope` (strings or null, or absent), `expires_at` and `obtained_at`
/// (integers). Anything else goes to `JSONDecoder`.
enum CachedTokenReader {
    static func read(_ bytes: UnsafeRawBufferPointer) -> CachedToken? {
        RecordJSON.parse(bytes) { (parser: inout RecordJSON) throws(RecordJSON.Unsupported) in try token(&parser) }
    }

    static func token(_ parser: inout RecordJSON) throws(RecordJSON.Unsupported) -> CachedToken {
        var strings: [CachedToken.CodingKeys: String?] = [:]
        var integers: [CachedToken.CodingKeys: Int64] = [:]
        try parser.members { (parser: inout RecordJSON) throws(RecordJSON.Unsupported) in
            guard let key = CachedToken.CodingKeys(rawValue: try parser.key()) else { throw .init() }
            switch key {
            case .expiresAt, .obtainedAt:
                guard integers.updateValue(try parser.integer(), forKey: key) == nil else { throw .init() }
            default:
                guard strings[key] == nil else { throw .init() }
                strings[key] = parser.literalNull() ? .some(nil) : .some(try parser.string())
            }
        }
        guard let expiresAt = integers[.expiresAt], let obtainedAt = integers[.obtainedAt],
            let accessToken = strings[.accessToken] ?? nil, let tokenType = strings[.tokenType] ?? nil
        else { throw .init() }
        return CachedToken(
            accessToken: accessToken, idToken: strings[.idToken] ?? nil, tokenType: tokenType,
            scope: strings[.scope] ?? nil, expiresAt: expiresAt, obtainedAt: obtainedAt)
    }
}

/// The JSON reading under both readers: exactly the forms `PayloadCoding.encode` writes, and
/// `Unsupported` for anything else.
struct RecordJSON {
    /// Anything the readers leave to `JSONDecoder`.
    struct Unsupported: Error {}

    let bytes: UnsafeRawBufferPointer
    var index = 0
    /// The decoded contents of a string with escapes. Its capacity is the input's size, so
    /// it never moves and leaves no copy behind once wiped.
    var scratch: [UInt8] = []

    /// `body`'s value for the whole of `bytes` (space around it allowed), or nil.
    static func parse<T>(
        _ bytes: UnsafeRawBufferPointer, _ body: (inout RecordJSON) throws(Unsupported) -> T
    ) -> T? {
        var parser = RecordJSON(bytes: bytes)
        defer { parser.wipeScratch() }
        do {
            parser.skipSpace()
            let value = try body(&parser)
            parser.skipSpace()
            return parser.index == bytes.count ? value : nil
        } catch {
            return nil
        }
    }

    mutating func wipeScratch() {
        _ = scratch.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) }
        scratch.removeAll(keepingCapacity: true)
    }

    /// An object: `{`, then `member` for each member (it reads the key, `:` and value), `}`.
    mutating func members(_ member: (inout RecordJSON) throws(Unsupported) -> Void) throws(Unsupported) {
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipSpace()
            try member(&self)
            skipSpace()
            guard let next = peek() else { throw Unsupported() }
            index += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Unsupported() }
        }
    }

    /// A member's key and the `:` after it. Only plain ASCII keys are read here: an escaped or
    /// non-ASCII key could still equal a known one, which `JSONDecoder` decides.
    mutating func key() throws(Unsupported) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        while let byte = peek(), byte != UInt8(ascii: "\"") {
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { throw Unsupported() }
            index += 1
        }
        guard index < bytes.count else { throw Unsupported() }
        let key = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        index += 1
        try colon()
        return key
    }

    /// The `:` between a member's key and its value.
    mutating func colon() throws(Unsupported) {
        skipSpace()
        try expect(UInt8(ascii: ":"))
        skipSpace()
    }

    /// A JSON string, decoded exactly: every escape of RFC 8259, surrogate pairs joined.
    mutating func string() throws(Unsupported) -> String {
        try expect(UInt8(ascii: "\""))
        var start = index
        var escaped = false
        wipeScratch()
        while true {
            guard let byte = peek() else { throw Unsupported() }
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20 else { throw Unsupported() }
            guard byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            if !escaped { scratch.reserveCapacity(bytes.count) }
            escaped = true
            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            index += 1
            try escape()
            start = index
        }
        let tail = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        index += 1
        let value: String?
        if escaped {
            scratch.append(contentsOf: tail)
            value = String(validating: scratch, as: UTF8.self)
        } else {
            value = String(validating: tail, as: UTF8.self)
        }
        guard let value else { throw Unsupported() }
        return value
    }

    /// The escape after a backslash, appended to `scratch` as UTF-8.
    mutating func escape() throws(Unsupported) {
        guard let byte = peek() else { throw Unsupported() }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(byte)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var value = try hex4()
            if (0xD800..<0xDC00).contains(value) {
                try expect(UInt8(ascii: "\\"))
                try expect(UInt8(ascii: "u"))
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw Unsupported() }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else { throw Unsupported() }
            UTF8.encode(scalar) { scratch.append($0) }
        default: throw Unsupported()
        }
    }

    /// Four hexadecimal digits after `\u`.
    mutating func hex4() throws(Unsupported) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw Unsupported() }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Unsupported()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// An integer that fits an `Int64`, with no leading zero, fraction or exponent, and not `-0`.
    mutating func integer() throws(Unsupported) -> Int64 {
        let negative = peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        let start = index
        // Accumulated as a negative number, so that Int64.min fits.
        var value: Int64 = 0
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw Unsupported() }
            value = next
            index += 1
        }
        let digits = index - start
        guard digits > 0, bytes[start] != UInt8(ascii: "0") || (digits == 1 && !negative) else {
            throw Unsupported()
        }
        if let byte = peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            throw Unsupported()
        }
        if negative { return value }
        guard value != .min else { throw Unsupported() }
        return -value
    }

    /// Whether a `null` literal comes next (and is consumed).
    mutating func literalNull() -> Bool {
        guard bytes.count - index >= 4, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
            bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    mutating func expect(_ byte: UInt8) throws(Unsupported) {
        guard peek() == byte else { throw Unsupported() }
        index += 1
    }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }
}

extension PayloadCoding {
    /// A profile record's payload, read by `ProfileRecordReader` when it can and otherwise by
    /// `JSONDecoder`, so the result and any error are those of `decode`.
    static func decodeProfile(_ payload: SecretBytes, what: () -> String) throws(VaultError) -> ProfileRecord {
        if let record = payload.withUnsafeBytes({ ProfileRecordReader.read($0) }) { return record }
        return try decode(ProfileRecord.self, from: payload, what: what())
    }

    /// A cached token's payload, the same way through `CachedTokenReader`.
    static func decodeToken(_ payload: SecretBytes, what: () -> String) throws(VaultError) -> CachedToken {
        if let token = payload.withUnsafeBytes({ CachedTokenReader.read($0) }) { return token }
        return try decode(CachedToken.self, from: payload, what: what())
    }
}
