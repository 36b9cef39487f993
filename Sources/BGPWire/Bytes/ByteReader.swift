/// A bounds-checked big-endian cursor over borrowed bytes.
///
/// Decoders take one of these rather than `Data` or `[UInt8]` slices: reading
/// an integer is a single unaligned load, and nothing is copied or allocated
/// while framing. The checks cost nothing measurable and make truncated input
/// a thrown error instead of a crash.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    /// Offset of the next unread byte, relative to `bytes`.
    public var offset: Int
    /// Absolute offset of `bytes[0]` in the enclosing input, used in error reports.
    public let base: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, base: Int = 0) {
        self.bytes = bytes
        self.offset = 0
        self.base = base
    }

    @inlinable public var remaining: Int { bytes.count - offset }
    @inlinable public var isAtEnd: Bool { offset >= bytes.count }
    /// Absolute position in the enclosing input.
    @inlinable public var position: Int { base + offset }

    @inlinable
    public mutating func need(_ n: Int, _ what: StaticString) throws(WireError) {
        if n > bytes.count - offset {
            throw WireError(.truncated(needed: n, available: bytes.count - offset), what, at: base + offset)
        }
    }

    @inlinable
    public mutating func readU8(_ what: StaticString = "byte") throws(WireError) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    @inlinable
    public mutating func readU16(_ what: StaticString = "u16") throws(WireError) -> UInt16 {
        try need(2, what)
        defer { offset += 2 }
        return UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable
    public mutating func readU32(_ what: StaticString = "u32") throws(WireError) -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable
    public mutating func readU64(_ what: StaticString = "u64") throws(WireError) -> UInt64 {
        try need(8, what)
        defer { offset += 8 }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Splits off the next `count` bytes as their own reader and skips them here.
    /// Framing then payload: the payload decoder can never read past its frame.
    @inlinable
    public mutating func readSlice(_ count: Int, _ what: StaticString = "slice") throws(WireError) -> ByteReader {
        try need(count, what)
        let slice = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]), base: base + offset)
        offset += count
        return slice
    }

    @inlinable
    public mutating func readBytes(_ count: Int, _ what: StaticString = "bytes") throws(WireError) -> [UInt8] {
        try need(count, what)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    @inlinable
    public mutating func skip(_ count: Int, _ what: StaticString = "bytes") throws(WireError) {
        try need(count, what)
        offset += count
    }

    /// The unread bytes, without consuming them.
    @inlinable public var rest: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[offset...])
    }

    /// A payload decoder calls this last: leftover bytes mean the frame and the
    /// payload disagree, which is malformed input, never silently ignored.
    @inlinable
    public func expectEnd(_ what: StaticString) throws(WireError) {
        if offset != bytes.count {
            throw WireError(.trailingBytes(bytes.count - offset), what, at: base + offset)
        }
    }
}

/// Runs `body` over the bytes of an array with a reader.
@inlinable
public func withReader<R>(_ bytes: [UInt8], _ body: (inout ByteReader) throws(WireError) -> R) throws(WireError) -> R {
    let result: Result<R, WireError> = bytes.withUnsafeBytes { raw in
        var reader = ByteReader(raw)
        do throws(WireError) { return .success(try body(&reader)) } catch { return .failure(error) }
    }
    return try result.get()
}
