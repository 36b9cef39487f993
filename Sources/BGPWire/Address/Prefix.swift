/// An IP prefix: an address with its host bits cleared, and a length.
public struct Prefix: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var length: UInt8

    /// Keeps the address as given; NLRI decoding already zero-fills the bytes
    /// after the prefix, and bits inside the last byte are kept as sent (as bgpdump does).
    @inlinable
    public init(address: IPAddress, length: UInt8) {
        self.address = address
        self.length = length
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let a = IPAddress(parts[0]), let l = UInt8(parts[1]), Int(l) <= a.bitWidth
        else { return nil }
        self.init(address: a, length: l)
        self = self.masked
    }

    public var isIPv6: Bool { address.isIPv6 }

    /// The prefix with host bits cleared.
    public var masked: Prefix {
        switch address {
        case let .v4(a):
            let m: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - UInt32(length))
            return Prefix(address: .v4(a & m), length: length)
        case let .v6(h, l):
            let len = Int(length)
            let mh: UInt64 = len == 0 ? 0 : (len >= 64 ? ~0 : ~UInt64(0) << (64 - UInt64(len)))
            let ml: UInt64 = len <= 64 ? 0 : (len >= 128 ? ~0 : ~UInt64(0) << (128 - UInt64(len)))
            return Prefix(address: .v6(h & mh, l & ml), length: length)
        }
    }

    /// True when `other` is this prefix or a more-specific inside it.
    public func contains(_ other: Prefix) -> Bool {
        guard other.isIPv6 == isIPv6, other.length >= length else { return false }
        return Prefix(address: other.address, length: length).masked == self.masked
    }

    public static func < (a: Prefix, b: Prefix) -> Bool {
        a.address != b.address ? a.address < b.address : a.length < b.length
    }

    public var description: String {
        var out: [UInt8] = []
        out.appendAddress(address)
        out.append(UInt8(ascii: "/"))
        out.appendDecimal(UInt32(length))
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads one NLRI prefix (RFC 4271 §4.3): a bit length then just enough bytes.
    @inlinable
    public static func readNLRI(_ r: inout ByteReader, v6: Bool) throws(WireError) -> Prefix {
        let at = r.position
        let bits = try r.readU8("prefix length")
        let maxBits: UInt8 = v6 ? 128 : 32
        guard bits <= maxBits else {
            throw WireError(invalid: "prefix length \(bits) exceeds \(maxBits)", field: "NLRI", at: at)
        }
        let n = (Int(bits) + 7) / 8
        try r.need(n, "prefix bytes")
        var hi: UInt64 = 0, lo: UInt64 = 0
        let b = r.bytes, o = r.offset
        for i in 0..<n {
            let byte = UInt64(b[o + i])
            if v6 {
                if i < 8 { hi |= byte << (56 - 8 * UInt64(i)) } else { lo |= byte << (56 - 8 * UInt64(i - 8)) }
            } else {
                hi |= byte << (24 - 8 * UInt64(i))
            }
        }
        try r.skip(n)
        return Prefix(address: v6 ? .v6(hi, lo) : .v4(UInt32(truncatingIfNeeded: hi)), length: bits)
    }

    public func writeNLRI(_ w: inout ByteWriter) {
        w.u8(length)
        let n = (Int(length) + 7) / 8
        switch address {
        case let .v4(a):
            for i in 0..<n { w.u8(UInt8(truncatingIfNeeded: a >> (24 - 8 * UInt32(i)))) }
        case let .v6(h, l):
            for i in 0..<n {
                w.u8(i < 8 ? UInt8(truncatingIfNeeded: h >> (56 - 8 * UInt64(i)))
                           : UInt8(truncatingIfNeeded: l >> (56 - 8 * UInt64(i - 8))))
            }
        }
    }
}

/// One NLRI entry: a prefix, with its ADD-PATH path identifier when the session negotiated one (RFC 7911).
public struct NLRI: Hashable, Sendable {
    public var prefix: Prefix
    public var pathID: UInt32?

    @inlinable
    public init(_ prefix: Prefix, pathID: UInt32? = nil) {
        self.prefix = prefix
        self.pathID = pathID
    }

    @inlinable
    public static func readList(_ r: inout ByteReader, v6: Bool, addPath: Bool) throws(WireError) -> [NLRI] {
        var out: [NLRI] = []
        while !r.isAtEnd {
            let id: UInt32? = addPath ? try r.readU32("path identifier") : nil
            out.append(NLRI(try Prefix.readNLRI(&r, v6: v6), pathID: id))
        }
        return out
    }

    public static func writeList(_ list: [NLRI], _ w: inout ByteWriter) {
        for n in list {
            if let id = n.pathID { w.u32(id) }
            n.prefix.writeNLRI(&w)
        }
    }
}
