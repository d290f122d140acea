/// Big-endian, length-prefixed encoding used by every derivation in docs/FORMAT.md.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func append(_ other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }
    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xff)] }
    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(value >> UInt32(shift) & 0xff)) }
    }
    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(value >> UInt64(shift) & 0xff)) }
    }
    /// `u32be(length) || bytes`
    mutating func lengthPrefixed(_ value: some Collection<UInt8>) {
        u32(UInt32(value.count))
        append(value)
    }
}

/// Reads what `ByteWriter` wrote; every read is bounds-checked.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func u16() -> UInt16? {
        guard let b = take(2) else { return nil }
        return UInt16(b[0]) << 8 | UInt16(b[1])
    }

    mutating func u64() -> UInt64? {
        guard let b = take(8) else { return nil }
        return b.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
