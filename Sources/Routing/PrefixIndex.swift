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
    /// Every id's prefix (a released id keeps its last prefix until it is handed out again).
    public private(set) var prefixes: [Prefix] = []
    /// Released ids, handed out again before new ones (so ids, and every array indexed by them, stay dense).
    var free: [UInt32] = []
    /// Per id: released and not handed out again.
    public private(set) var isFree: [Bool] = []
    /// Ids handed out again since `takeReused` (their per-prefix caches elsewhere are stale).
    var reused: [UInt32] = []

    public init() {}

    /// Ids handed out so far: every per-prefix array is this long.
    public var count: Int { prefixes.count }
    /// Prefixes known now (ids not released).
    public var live: Int { prefixes.count - free.count }

    @inline(__always)
    public mutating func id(_ p: Prefix) -> UInt32 {
        let next = free.last ?? UInt32(prefixes.count)
        let i: UInt32
        if case let .v4(a) = p.address {
            i = ids4[UInt64(a) << 8 | UInt64(p.length), default: next]
            if i == next { ids4[UInt64(a) << 8 | UInt64(p.length)] = next }
        } else {
            i = ids6[p, default: next]
            if i == next { ids6[p] = next }
        }
        if i == next {
            if Int(next) == prefixes.count {
                prefixes.append(p)
                isFree.append(false)
            } else {
                free.removeLast()
                prefixes[Int(next)] = p
                isFree[Int(next)] = false
                reused.append(next)
            }
        }
        return i
    }

    /// Forgets a prefix: its id is handed out again for the next new prefix.
    mutating func release(_ id: UInt32) {
        let p = prefixes[Int(id)]
        if case let .v4(a) = p.address { ids4[UInt64(a) << 8 | UInt64(p.length)] = nil } else { ids6[p] = nil }
        free.append(id)
        isFree[Int(id)] = true
    }

    /// The ids handed out again since the last call (each once, only those still in use).
    public mutating func takeReused() -> [UInt32] {
        guard !reused.isEmpty else { return [] }
        var seen = Set<UInt32>()
        let out = reused.filter { !isFree[Int($0)] && seen.insert($0).inserted }
        reused.removeAll(keepingCapacity: true)
        return out
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
    /// Per path: routes referring to it (counted by the routing state only when it releases
    /// paths), and how many paths no route refers to.
    var refs: [UInt32] = []
    public private(set) var unused = 0

    public init() {
        _ = id(ASPath([]))  // id 0: the empty path (iBGP-originated routes), never released
        refs[0] = 1
        unused = 0
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
        refs.append(0)
        unused += 1
        slots[i] = id + 1
        if ends.count * 2 > slots.count { grow() }
        return id
    }

    /// Whether path `id` is `bytes` (canonical form).
    @inline(__always)
    public func holds(_ id: UInt32, _ bytes: UnsafeRawBufferPointer) -> Bool { Int(id) < ends.count && equal(Int(id), bytes) }

    @inline(__always)
    mutating func retain(_ id: UInt32) {
        if refs[Int(id)] == 0 { unused -= 1 }
        refs[Int(id)] += 1
    }

    @inline(__always)
    mutating func release(_ id: UInt32) {
        refs[Int(id)] -= 1
        if refs[Int(id)] == 0 { unused += 1 }
    }

    /// A table of only the paths some route refers to, and each old id's new one
    /// (`UInt32.max` for a path dropped). Ids change: every holder must be renumbered.
    func compacted() -> (PathTable, [UInt32]) {
        var out = PathTable()
        var map = [UInt32](repeating: .max, count: ends.count)
        map[0] = 0
        arena.withUnsafeBytes { a in
            for id in 1..<ends.count where refs[id] > 0 {
                let start = ends[id - 1]
                let new = out.id(canonical: UnsafeRawBufferPointer(rebasing: a[start..<ends[id]]))
                out.refs[Int(new)] = refs[id]
                out.unused -= 1
                map[id] = new
            }
        }
        return (out, map)
    }

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
