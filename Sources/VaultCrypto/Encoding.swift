/// Hex and base64url for non-secret bytes (ids, salts, test vectors).
public enum ByteEncoding {
    /// Inlinable, so that each caller gets a version for its own sequence type: called
    /// through the generic entry point from another module, the run time looks up the
    /// sequence's associated types by mangled name at first use, a conformance scan on the
    /// path of every warm `export`.
    @inlinable
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func fromHex(_ text: String) throws(CryptoError) -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { throw .malformedEncoding }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        func value(_ c: UInt8) throws(CryptoError) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw .malformedEncoding
            }
        }
        var index = 0
        while index < chars.count {
            out.append(try value(chars[index]) << 4 | value(chars[index + 1]))
            index += 2
        }
        return out
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// base64url without padding (RFC 4648 §5).
    public static func base64URL(_ bytes: UnsafeRawBufferPointer) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [
                alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)],
                alphabet[Int(n & 63)],
            ]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func base64URL(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { base64URL($0) }
    }

    /// Decodes base64url (padding optional; `+` and `/` also accepted) into secret memory.
    public static func secretFromBase64URL(_ text: String) throws(CryptoError) -> SecretBytes {
        var values = [UInt8]()
        values.reserveCapacity(text.utf8.count)
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(c - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(c - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "-"), UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "_"), UInt8(ascii: "/"): values.append(63)
            case UInt8(ascii: "="): continue
            default: throw .malformedEncoding
            }
        }
        guard values.count % 4 != 1 else { throw .malformedEncoding }
        let count = values.count / 4 * 3 + max(0, values.count % 4 - 1)
        let result = SecretBytes(count: count) { out in
            var o = 0
            var i = 0
            while i < values.count {
                let chunk = values[i..<min(i + 4, values.count)]
                var n: UInt32 = 0
                for (k, v) in chunk.enumerated() { n |= UInt32(v) << (18 - 6 * k) }
                let produced = chunk.count - 1
                for k in 0..<produced { out[o + k] = UInt8(n >> (16 - 8 * k) & 0xff) }
                o += produced
                i += 4
            }
        }
        for index in values.indices { values[index] = 0 }
        return result
    }
}
