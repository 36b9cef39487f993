public import BGPWire

/// One origin of a prefix as the peers route it: MOAS (several origins for one prefix) is real
/// (anycast, multi-homing, a hijack), and "the" origin of a prefix is only its most common one.
public struct OriginShare: Hashable, Sendable {
    /// 0: the path ends in an AS_SET (or is empty), so no one AS originates it.
    public var origin: UInt32
    public var peers: Int
    public var fullFeedPeers: Int
    /// The most common path to this origin, for the evidence (through whom it spread).
    public var path: UInt32
}

extension PathTable {
    /// Path `id` decoded (for evidence: the hot path never needs it).
    public func path(_ id: UInt32) -> ASPath {
        guard Int(id) < ends.count else { return ASPath([]) }
        let start = id == 0 ? 0 : ends[Int(id) - 1]
        return arena[start..<ends[Int(id)]].withUnsafeBytes { ASPath.canonical($0) } ?? ASPath([])
    }
}

extension RoutingState {
    /// Each origin `prefix` is routed to, with how many peers (and full-feed peers) route it there,
    /// most full-feed peers first. Empty when no peer routes it. One table lookup per peer: for
    /// the prefixes under judgement, not for every prefix of every bin.
    public func origins(of prefix: Prefix) -> [OriginShare] {
        guard let id = prefixes.existingID(prefix.masked) else { return [] }
        var byOrigin: [UInt32: (peers: Int, full: Int, paths: [UInt32: Int])] = [:]
        let v6 = prefix.isIPv6
        for (peer, table) in tables.enumerated() {
            guard let path = table.path(id) else { continue }
            let origin = paths.origins[Int(path)]
            var o = byOrigin[origin, default: (0, 0, [:])]
            o.peers += 1
            if isFullFeed(peer, v6: v6) && !excluded[peer] { o.full += 1 }
            o.paths[path, default: 0] += 1
            byOrigin[origin] = o
        }
        return byOrigin.map { origin, o in
            OriginShare(origin: origin, peers: o.peers, fullFeedPeers: o.full, path: o.paths.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key)
        }.sorted { ($0.fullFeedPeers, $0.peers, $1.origin) > ($1.fullFeedPeers, $1.peers, $0.origin) }
    }
}
