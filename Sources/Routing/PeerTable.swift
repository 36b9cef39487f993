/// One peer's routes: prefix id → path id.
///
/// Small peers keep a dictionary; once a peer holds more than an eighth of all
/// known prefixes its table becomes a flat array of 4-byte slots (0 = no
/// route, else path id + 1), which is what makes a 100-peer collector with
/// full tables fit: ~4 bytes per (peer, prefix) route. ADD-PATH peers keep their
/// extra paths (path identifier ≠ the first seen) in a side table.
public struct PeerTable {
    var dense: [UInt32] = []
    var sparse: [UInt32: UInt32] = [:]
    var isDense = false
    /// ADD-PATH: (prefix id << 32 | path identifier) → path id, and paths per prefix.
    var addPaths: [UInt64: UInt32] = [:]
    var addPathCount: [UInt32: UInt16] = [:]
    /// Most paths one peer may hold for one prefix. A path identifier is 32 bits
    /// on the wire, so one peer could otherwise fill memory with a single prefix.
    /// Real ADD-PATH senders advertise a few paths per prefix, a route server with
    /// "add paths tx" at most one per member peer (the largest IXPs have ~1,000),
    /// so 4,096 leaves room for any real session and refuses the rest.
    public static let maxPathsPerPrefix = 4096
    public private(set) var count = 0
    public private(set) var v4Count = 0
    public private(set) var v6Count = 0

    public init() {}

    @inline(__always)
    public func path(_ prefix: UInt32) -> UInt32? {
        if isDense {
            let i = Int(prefix)
            guard i < dense.count, dense[i] != 0 else { return nil }
            return dense[i] - 1
        }
        return sparse[prefix]
    }

    /// Sets the route; returns the previous path id.
    @inline(__always)
    mutating func set(_ prefix: UInt32, _ path: UInt32, v6: Bool, universe: Int) -> UInt32? {
        if isDense {
            let i = Int(prefix)
            if i >= dense.count { dense.append(contentsOf: repeatElement(0, count: max(i + 1, universe) - dense.count)) }
            let old = dense[i]
            dense[i] = path + 1
            if old != 0 { return old - 1 }
        } else {
            if let old = sparse.updateValue(path, forKey: prefix) { return old }
        }
        count += 1
        if v6 { v6Count += 1 } else { v4Count += 1 }
        if !isDense && count > 1024 && count > universe / 8 { densify(universe) }
        return nil
    }

    @inline(__always)
    mutating func remove(_ prefix: UInt32, v6: Bool) -> UInt32? {
        let old: UInt32?
        if isDense {
            let i = Int(prefix)
            guard i < dense.count, dense[i] != 0 else { return nil }
            old = dense[i] - 1
            dense[i] = 0
        } else {
            old = sparse.removeValue(forKey: prefix)
        }
        if old != nil {
            count -= 1
            if v6 { v6Count -= 1 } else { v4Count -= 1 }
        }
        return old
    }

    /// ADD-PATH announcement: returns the previous path for this path identifier,
    /// or nil when it is a new identifier beyond `maxPathsPerPrefix` (nothing is stored).
    /// The main slot holds the newest path, so `path(_:)` answers "has a route" for the prefix.
    mutating func setAddPath(_ prefix: UInt32, _ pid: UInt32, _ path: UInt32, v6: Bool, universe: Int) -> (old: UInt32?, newPrefix: Bool)? {
        let key = UInt64(prefix) << 32 | UInt64(pid)
        let old: UInt32?
        if let i = addPaths.index(forKey: key) {
            old = addPaths.values[i]
            addPaths.values[i] = path
        } else {
            let n = addPathCount[prefix, default: 0]
            guard n < PeerTable.maxPathsPerPrefix else { return nil }
            addPaths[key] = path
            addPathCount[prefix] = n + 1
            old = nil
        }
        let previous = set(prefix, path, v6: v6, universe: universe)
        return (old, previous == nil)
    }

    /// ADD-PATH withdrawal: returns the withdrawn path and whether the prefix has no path left.
    mutating func removeAddPath(_ prefix: UInt32, _ pid: UInt32, v6: Bool) -> (old: UInt32?, prefixGone: Bool) {
        let key = UInt64(prefix) << 32 | UInt64(pid)
        guard let old = addPaths.removeValue(forKey: key) else { return (nil, false) }
        let left = (addPathCount[prefix] ?? 1) - 1
        if left == 0 {
            addPathCount[prefix] = nil
            _ = remove(prefix, v6: v6)
            return (old, true)
        }
        addPathCount[prefix] = left
        return (old, false)
    }

    mutating func densify(_ universe: Int) {
        dense = [UInt32](repeating: 0, count: universe)
        for (p, path) in sparse { dense[Int(p)] = path + 1 }
        sparse = [:]
        isDense = true
    }

    /// Every route: (prefix id, path id).
    public func forEach(_ body: (UInt32, UInt32) -> Void) {
        if isDense {
            for (i, v) in dense.enumerated() where v != 0 { body(UInt32(i), v - 1) }
        } else {
            for (p, path) in sparse { body(p, path) }
        }
    }

    mutating func removeAll() {
        dense = []
        sparse = [:]
        isDense = false
        addPaths = [:]
        addPathCount = [:]
        count = 0
        v4Count = 0
        v6Count = 0
    }

    /// Bytes held by this table's storage (capacity, not just use).
    public var storageBytes: Int {
        isDense ? dense.capacity * 4 : sparse.capacity * 12 + addPaths.capacity * 16
    }
}
