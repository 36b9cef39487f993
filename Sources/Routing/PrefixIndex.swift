public import BGPWire
#if canImport(Glibc)
import Glibc
#endif

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
///
/// Paths are keyed by their canonical bytes (AS_PATH with 4-octet AS numbers, see
/// `RouteBatch`) in one arena with an open-addressing index, so the replay path
/// interns a path straight from the record's bytes: one hash of a few dozen bytes
/// and one compare, nothing decoded or allocated unless the path is new.
public struct PathTable {
    /// Every path's canonical bytes, back to back; path i ends at `ends[i]`.
    var arena: [UInt8] = []
    var ends: [Int] = []
    /// Power-of-two slots: 0 empty, else path id + 1. At most half full.
    var slots: [UInt32] = Array(repeating: 0, count: 1024)
    var scratch: [UInt8] = []
    /// Origin AS of each path (0 when the path ends in a set or is empty).
    public private(set) var origins: [UInt32] = []

    public init() {
        _ = id(ASPath([]))  // id 0: the empty path (iBGP-originated routes)
    }

    public var count: Int { ends.count }
    /// Bytes held: paths, index and origins (a decoded `ASPath` would take several times more).
    public var storageBytes: Int { arena.capacity + ends.capacity * 8 + slots.capacity * 4 + origins.capacity * 4 }

    @inline(__always)
    public mutating func id(_ p: ASPath) -> UInt32 {
        var s = scratch
        scratch = []
        s.removeAll(keepingCapacity: true)
        p.appendCanonical(to: &s)
        let i = s.withUnsafeBytes { id(canonical: $0) }
        scratch = s
        return i
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        // Hasher is seeded per process: paths come from peers, who must not pick collisions.
        var h = Hasher()
        h.combine(bytes: bytes)
        return h.finalize()
    }

    /// The id of a path given as canonical bytes (valid AS_PATH, 4-octet AS numbers).
    public mutating func id(canonical bytes: UnsafeRawBufferPointer) -> UInt32 {
        let mask = slots.count - 1
        var i = PathTable.hash(bytes) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            if equal(Int(s - 1), bytes) { return s - 1 }
            i = (i + 1) & mask
        }
        let id = UInt32(ends.count)
        arena.append(contentsOf: bytes)
        ends.append(arena.count)
        origins.append(ASPath.canonicalOrigin(bytes))
        slots[i] = id + 1
        if ends.count * 2 > slots.count { grow() }
        return id
    }

    /// Whether path `id` is `bytes` (canonical form).
    @inline(__always)
    public func holds(_ id: UInt32, _ bytes: UnsafeRawBufferPointer) -> Bool { equal(Int(id), bytes) }

    @inline(__always)
    func equal(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let start = id == 0 ? 0 : ends[id - 1]
        guard ends[id] - start == bytes.count else { return false }
        if bytes.isEmpty { return true }
        return arena.withUnsafeBytes { memcmp($0.baseAddress! + start, bytes.baseAddress!, bytes.count) == 0 }
    }

    mutating func grow() {
        var next = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = next.count - 1
        arena.withUnsafeBytes { a in
            for id in 0..<ends.count {
                let start = id == 0 ? 0 : ends[id - 1]
                var i = PathTable.hash(UnsafeRawBufferPointer(rebasing: a[start..<ends[id]])) & mask
                while next[i] != 0 { i = (i + 1) & mask }
                next[i] = UInt32(id + 1)
            }
        }
        slots = next
    }

    /// A path decoded from its bytes (for evidence and snapshots, not the hot path).
    public subscript(_ id: UInt32) -> ASPath {
        let start = id == 0 ? 0 : ends[Int(id) - 1], end = ends[Int(id)]
        return arena.withUnsafeBytes { ASPath.canonical(UnsafeRawBufferPointer(rebasing: $0[start..<end])) } ?? ASPath([])
    }
}
