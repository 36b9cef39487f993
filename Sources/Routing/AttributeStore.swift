public import BGPWire

/// The full attributes of every route, kept only where RIB snapshots are
/// written (`vigil collect`): signals need just the AS path, a bview needs
/// everything. Attribute sets are interned with reference counts — a full table
/// has far fewer distinct sets than routes — as their encoded bytes (4-octet AS,
/// MP_REACH without its NLRI), several times smaller than decoded arrays and
/// cheaper to hash; they are decoded again only to write a snapshot. Each peer
/// holds a 4-byte set id per prefix in a `PeerTable`, keyed by the routing
/// state's prefix ids. With ADD-PATH the last path announced for a prefix is the one kept.
public final class AttributeStore {
    var ids: [[UInt8]: UInt32] = [:]
    var sets: [[UInt8]] = []
    static let context = AttributeContext(options: SessionOptions(fourOctetAS: true, extendedMessages: true))
    var refs: [UInt32] = []
    var free: [UInt32] = []
    var tables: [PeerTable] = []
    var last: (attrs: [PathAttribute], id: UInt32)?

    /// The bytes a set is interned as: the prefixes of an update are not part of it.
    static func encode(_ attrs: [PathAttribute]) -> [UInt8] {
        let kept = attrs.compactMap { a -> PathAttribute? in
            switch a {
            case var .mpReach(m):
                m.nlri = []
                return .mpReach(m)
            case .mpUnreach:
                return nil
            default:
                return a
            }
        }
        return PathAttribute.encodeAll(kept, context)
    }

    public init() {}

    public var distinctSets: Int { ids.count }

    func intern(_ a: [PathAttribute]) -> UInt32 {
        // The prefixes of one update share their array: Array == returns at once for the same storage.
        if let l = last, l.attrs == a { refs[Int(l.id)] += 1; return l.id }
        let bytes = Self.encode(a)
        let id: UInt32
        if let existing = ids[bytes] {
            id = existing
        } else if let f = free.popLast() {
            id = f
            sets[Int(f)] = bytes
            ids[bytes] = f
        } else {
            id = UInt32(sets.count)
            sets.append(bytes)
            refs.append(0)
            ids[bytes] = id
        }
        refs[Int(id)] += 1
        last = (a, id)
        return id
    }

    func release(_ id: UInt32) {
        refs[Int(id)] -= 1
        guard refs[Int(id)] == 0 else { return }
        ids.removeValue(forKey: sets[Int(id)])
        sets[Int(id)] = []
        free.append(id)
        if last?.id == id { last = nil }
    }

    func set(peer: Int, prefix: UInt32, v6: Bool, universe: Int, _ attrs: [PathAttribute]) {
        while tables.count <= peer { tables.append(PeerTable()) }
        let id = intern(attrs)
        if let old = tables[peer].set(prefix, id, v6: v6, universe: universe) { release(old) }
    }

    func remove(peer: Int, prefix: UInt32, v6: Bool) {
        guard peer < tables.count, let old = tables[peer].remove(prefix, v6: v6) else { return }
        release(old)
    }

    func removeAll(peer: Int) {
        guard peer < tables.count else { return }
        tables[peer].forEach { _, id in release(id) }
        tables[peer].removeAll()
    }

    /// The attributes a peer holds for a prefix id.
    public func attributes(peer: Int, prefix: UInt32) -> [PathAttribute]? {
        guard peer < tables.count, let id = tables[peer].path(prefix) else { return nil }
        // They were encoded by this store, so they decode.
        return try? withReader(sets[Int(id)]) { (r) throws(WireError) in try PathAttribute.decodeAll(&r, Self.context) }
    }

    public var storageBytes: Int {
        tables.reduce(0) { $0 + $1.storageBytes } + sets.reduce(0) { $0 + 32 + $1.count } + refs.count * 4
    }
}
