/// Appends big-endian integers to a growable byte array; the encoders' output side.
public struct ByteWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v)) }
    public mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(v >> 24)); bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v))
    }
    public mutating func u64(_ v: UInt64) { u32(UInt32(v >> 32)); u32(UInt32(truncatingIfNeeded: v)) }
    public mutating func append(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    /// Reserves a 1- or 2-byte length field, runs `body`, then patches the length in.
    public mutating func lengthPrefixed(width: Int, _ body: (inout ByteWriter) -> Void) {
        let at = bytes.count
        for _ in 0..<width { bytes.append(0) }
        body(&self)
        let n = bytes.count - at - width
        if width == 1 {
            bytes[at] = UInt8(truncatingIfNeeded: n)
        } else if width == 2 {
            bytes[at] = UInt8(truncatingIfNeeded: n >> 8); bytes[at + 1] = UInt8(truncatingIfNeeded: n)
        } else {
            bytes[at] = UInt8(truncatingIfNeeded: n >> 24); bytes[at + 1] = UInt8(truncatingIfNeeded: n >> 16)
            bytes[at + 2] = UInt8(truncatingIfNeeded: n >> 8); bytes[at + 3] = UInt8(truncatingIfNeeded: n)
        }
    }
}
