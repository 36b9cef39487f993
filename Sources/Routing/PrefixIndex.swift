public import BGPWire

/// Gives every prefix seen a dense `UInt32` id, so per-peer tables can be
/// flat arrays of 4-byte entries instead of dictionaries keyed by prefix.
///
/// IPv4 prefixes (most of any table) are keyed by one `UInt64` (address and
/// length): a third of the memory of a `Prefix` key, which is sized for IPv6,
/// and a cheaper hash.
public struct PrefixIndex {
    var ids4: [UInt64: UInt32] = [:]
    var ids6: [Prefix: UInt32] = [:]
    public private(set) var prefixes: [Prefix] = []

    public init() {}

    public var count: Int { prefixes.count }

    @inline(__always)
    public mutating func id(_ p: Prefix) -> UInt32 {
        let next = UInt32(prefixes.count)
        let i: UInt32
        if case let .v4(a) = p.address {
            i = ids4[UInt64(a) << 8 | UInt64(p.length), default: next]
            if i == next { ids4[UInt64(a) << 8 | UInt64(p.length)] = next }
        } else {
            i = ids6[p, default: next]
            if i == next { ids6[p] = next }
        }
        if i == next { prefixes.append(p) }
        return i
    }

    public func existingID(_ p: Prefix) -> UInt32? {
        if case let .v4(a) = p.address { return ids4[UInt64(a) << 8 | UInt64(p.length)] }
        return ids6[p]
    }

    public subscript(_ id: UInt32) -> Prefix { prefixes[Int(id)] }
}

/// Interns AS paths: each distinct path is stored once and routes refer to it
/// by a 4-byte id (a full table has ~1M routes per peer but far fewer paths).
public struct PathTable {
    var ids: [ASPath: UInt32] = [:]
    public private(set) var paths: [ASPath] = []
    /// Origin AS of each path (0 when the path ends in a set or is empty).
    public private(set) var origins: [UInt32] = []

    public init() {
        _ = id(ASPath([]))  // id 0: the empty path (iBGP-originated routes)
    }

    public var count: Int { paths.count }

    @inline(__always)
    public mutating func id(_ p: ASPath) -> UInt32 {
        if let i = ids[p] { return i }
        let i = UInt32(paths.count)
        ids[p] = i
        paths.append(p)
        origins.append(p.origin ?? 0)
        return i
    }

    public subscript(_ id: UInt32) -> ASPath { paths[Int(id)] }
}
