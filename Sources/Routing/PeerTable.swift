/// One peer's routes: prefix id → path id.
///
/// Small peers keep a dictionary; once a peer holds more than an eighth of all
/// known prefixes its table becomes pages of 4-byte slots indexed by prefix id,
/// which is what makes a 100-peer collector with full tables fit: ~4 bytes per
/// (peer, prefix) route. ADD-PATH peers keep their
/// extra paths (path identifier ≠ the first seen) in a side table.
public struct PeerTable {
    /// Dense storage: pages of `pageSize` 4-byte slots (0 = no route, else path id + 1),
    /// allocated only where the peer has a route, so a peer costs nothing for the prefix ids
    /// of routes it never sent (another peer's junk), and an emptied page is reused.
    static let pageShift = 10
    static let pageSize = 1 << pageShift
    var slots: [UInt32] = []
    /// Page number (prefix id >> pageShift) → index of its page in `slots` (-1: none).
    var pageAt: [Int32] = []
    /// Routes in each allocated page, and pages emptied for reuse.
    var pageUse: [UInt16] = []
    var freePages: [Int32] = []
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
            let pg = Int(prefix) >> PeerTable.pageShift
            guard pg < pageAt.count else { return nil }
            let page = pageAt[pg]
            guard page >= 0 else { return nil }
            let v = slots[Int(page) << PeerTable.pageShift | Int(prefix) & (PeerTable.pageSize - 1)]
            return v == 0 ? nil : v - 1
        }
        return sparse[prefix]
    }

    /// The slot of `prefix` in `slots`, its page allocated if need be.
    @inline(__always)
    mutating func slot(_ prefix: UInt32) -> Int {
        let pg = Int(prefix) >> PeerTable.pageShift
        if pg >= pageAt.count { pageAt.append(contentsOf: repeatElement(-1, count: pg + 1 - pageAt.count)) }
        var page = pageAt[pg]
        if page < 0 {
            if let f = freePages.popLast() {
                page = f
            } else {
                page = Int32(pageUse.count)
                pageUse.append(0)
                slots.append(contentsOf: repeatElement(0, count: PeerTable.pageSize))
            }
            pageAt[pg] = page
        }
        return Int(page) << PeerTable.pageShift | Int(prefix) & (PeerTable.pageSize - 1)
    }

    /// Sets the route; returns the previous path id.
    @inline(__always)
    mutating func set(_ prefix: UInt32, _ path: UInt32, v6: Bool, universe: Int) -> UInt32? {
        if isDense {
            let i = slot(prefix)
            let old = slots[i]
            slots[i] = path + 1
            if old != 0 { return old - 1 }
            pageUse[i >> PeerTable.pageShift] += 1
        } else {
            if let old = sparse.updateValue(path, forKey: prefix) { return old }
        }
        count += 1
        if v6 { v6Count += 1 } else { v4Count += 1 }
        if !isDense && count > 1024 && count > universe / 8 { densify() }
        return nil
    }

    @inline(__always)
    mutating func remove(_ prefix: UInt32, v6: Bool) -> UInt32? {
        let old: UInt32?
        if isDense {
            let pg = Int(prefix) >> PeerTable.pageShift
            guard pg < pageAt.count, pageAt[pg] >= 0 else { return nil }
            let page = Int(pageAt[pg])
            let i = page << PeerTable.pageShift | Int(prefix) & (PeerTable.pageSize - 1)
            guard slots[i] != 0 else { return nil }
            old = slots[i] - 1
            slots[i] = 0
            pageUse[page] -= 1
            if pageUse[page] == 0 {
                pageAt[pg] = -1
                freePages.append(Int32(page))
            }
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
    /// `main` is what the main slot held before (nil: the prefix is new to this peer).
    mutating func setAddPath(_ prefix: UInt32, _ pid: UInt32, _ path: UInt32, v6: Bool, universe: Int) -> (old: UInt32?, main: UInt32?)? {
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
        return (old, set(prefix, path, v6: v6, universe: universe))
    }

    /// ADD-PATH withdrawal: returns the withdrawn path and, when the prefix has no path left,
    /// what its main slot held.
    mutating func removeAddPath(_ prefix: UInt32, _ pid: UInt32, v6: Bool) -> (old: UInt32?, main: UInt32?) {
        let key = UInt64(prefix) << 32 | UInt64(pid)
        guard let old = addPaths.removeValue(forKey: key) else { return (nil, nil) }
        let left = (addPathCount[prefix] ?? 1) - 1
        if left == 0 {
            addPathCount[prefix] = nil
            return (old, remove(prefix, v6: v6))
        }
        addPathCount[prefix] = left
        return (old, nil)
    }

    mutating func densify() {
        isDense = true
        for (p, path) in sparse {
            let i = slot(p)
            slots[i] = path + 1
            pageUse[i >> PeerTable.pageShift] += 1
        }
        sparse = [:]
    }

    /// Every route: (prefix id, path id).
    public func forEach(_ body: (UInt32, UInt32) -> Void) {
        if isDense {
            for (pg, page) in pageAt.enumerated() where page >= 0 {
                let base = Int(page) << PeerTable.pageShift
                for j in 0..<PeerTable.pageSize where slots[base + j] != 0 {
                    body(UInt32(pg << PeerTable.pageShift | j), slots[base + j] - 1)
                }
            }
        } else {
            for (p, path) in sparse { body(p, path) }
        }
    }

    /// Renumbers the paths every route refers to (after the path table was compacted).
    mutating func remapPaths(_ map: [UInt32]) {
        if isDense {
            for i in slots.indices where slots[i] != 0 { slots[i] = map[Int(slots[i] - 1)] + 1 }
        } else {
            for k in Array(sparse.keys) { sparse[k] = map[Int(sparse[k]!)] }
        }
        for k in Array(addPaths.keys) { addPaths[k] = map[Int(addPaths[k]!)] }
    }

    mutating func removeAll() {
        slots = []
        pageAt = []
        pageUse = []
        freePages = []
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
        slots.capacity * 4 + pageAt.capacity * 4 + pageUse.capacity * 2 + sparse.capacity * 12 + addPaths.capacity * 16
    }
}
