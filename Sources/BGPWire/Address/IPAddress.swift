/// An IPv4 or IPv6 address held by value: no allocation, cheap to hash and compare.
public enum IPAddress: Hashable, Sendable, Comparable {
    case v4(UInt32)
    case v6(UInt64, UInt64)

    public var isIPv6: Bool { if case .v6 = self { true } else { false } }
    public var bitWidth: Int { isIPv6 ? 128 : 32 }

    public static let v4None = IPAddress.v4(0xFFFF_FFFF)
    public static let v4Zero = IPAddress.v4(0)
    public static let v6Zero = IPAddress.v6(0, 0)

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case let (.v4(x), .v4(y)): return x < y
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        case let (.v6(ah, al), .v6(bh, bl)): return ah < bh || (ah == bh && al < bl)
        }
    }

    /// Reads 4 or 16 bytes in network order.
    @inlinable
    public static func read(_ r: inout ByteReader, v6: Bool) throws(WireError) -> IPAddress {
        if v6 {
            let hi = try r.readU64("IPv6 address"), lo = try r.readU64("IPv6 address")
            return .v6(hi, lo)
        }
        return .v4(try r.readU32("IPv4 address"))
    }

    public func write(_ w: inout ByteWriter) {
        switch self {
        case let .v4(a): w.u32(a)
        case let .v6(h, l): w.u64(h); w.u64(l)
        }
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text.
    public init?(_ text: some StringProtocol) {
        if text.contains(":") {
            guard let v = IPAddress.parseV6(String(text)) else { return nil }
            self = v
        } else {
            guard let v = IPAddress.parseV4(Substring(text)) else { return nil }
            self = .v4(v)
        }
    }

    static func parseV4(_ s: Substring) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, let o = UInt32(p), o <= 255 else { return nil }
            v = v << 8 | o
        }
        return v
    }

    static func parseV6(_ s: String) -> IPAddress? {
        var groups: [UInt16] = []
        var tailV4: UInt32? = nil
        let u = Array(s.utf8)
        var halves: [String] = []
        var cut: Int? = nil
        for i in 0..<max(0, u.count - 1) where u[i] == UInt8(ascii: ":") && u[i + 1] == UInt8(ascii: ":") {
            if cut != nil { return nil }
            cut = i
        }
        if let c = cut {
            halves = [String(decoding: u[..<c], as: UTF8.self), String(decoding: u[(c + 2)...], as: UTF8.self)]
        } else {
            halves = [s]
        }
        guard halves.count <= 2 else { return nil }
        func parseSide(_ side: String, allowV4: Bool) -> [UInt16]? {
            if side.isEmpty { return [] }
            var out: [UInt16] = []
            let items = side.split(separator: ":", omittingEmptySubsequences: false)
            for (i, item) in items.enumerated() {
                if allowV4, i == items.count - 1, item.contains(".") {
                    guard let v4 = parseV4(item) else { return nil }
                    tailV4 = v4
                    out.append(UInt16(v4 >> 16)); out.append(UInt16(v4 & 0xFFFF))
                } else {
                    guard !item.isEmpty, item.count <= 4, let g = UInt16(item, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        _ = tailV4
        if halves.count == 2 {
            guard let a = parseSide(halves[0], allowV4: false), let b = parseSide(halves[1], allowV4: true),
                  a.count + b.count <= 7 else { return nil }
            groups = a + Array(repeating: 0, count: 8 - a.count - b.count) + b
        } else {
            guard let a = parseSide(halves[0], allowV4: true), a.count == 8 else { return nil }
            groups = a
        }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(groups[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(groups[i]) }
        return .v6(hi, lo)
    }
}

extension IPAddress: CustomStringConvertible {
    /// Text as bgpdump prints it (so `vigil dump` output matches it byte for byte).
    public var description: String {
        var out: [UInt8] = []
        out.appendAddress(self)
        return String(decoding: out, as: UTF8.self)
    }
}
