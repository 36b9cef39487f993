import BGPWire
public import MRT
public import Routing

/// A TABLE_DUMP_V2 RIB dump of the routing state, as RIS writes its bview files:
/// a PEER_INDEX_TABLE, then one RIB record per prefix (IPv4 then IPv6, in
/// address order) with an entry per peer holding a route. Needs the state's
/// `attributeStore`.
public enum RIBSnapshot {
    /// A PEER_INDEX_TABLE numbers peers in 16 bits; a collector with more cannot be dumped in this format.
    public struct TooManyPeers: Error, CustomStringConvertible {
        public var peers: Int
        public var description: String { "\(peers) peers: a TABLE_DUMP_V2 RIB holds at most 65535" }
    }

    @discardableResult
    public static func write(_ state: RoutingState, collectorID: UInt32, view: String, at t: UInt32, into w: MRTWriter) throws -> Int {
        guard let attrs = state.attributeStore else { return 0 }
        guard state.peers.count <= 65535 else { throw TooManyPeers(peers: state.peers.count) }
        let peers = state.peers.map { p -> PeerIndexTable.Peer in
            let id: UInt32 = if case let .v4(a) = p.address { a } else { 0 }
            return PeerIndexTable.Peer(bgpID: id, address: p.address, asn: p.asn)
        }
        try w.write(MRTRecord(timestamp: t, body: .peerIndexTable(PeerIndexTable(collectorID: collectorID, viewName: Array(view.utf8), peers: peers))))
        let order = (0..<UInt32(state.prefixes.count)).sorted { state.prefixes[$0] < state.prefixes[$1] }
        var sequence: UInt32 = 0
        for id in order {
            let prefix = state.prefixes[id]
            var entries: [RIBRecord.Entry] = []
            for peer in state.peers.indices {
                guard let a = attrs.attributes(peer: peer, prefix: id) else { continue }
                entries.append(RIBRecord.Entry(peerIndex: UInt16(peer), originated: t, attributes: a))
            }
            guard !entries.isEmpty else { continue }
            try w.write(MRTRecord(timestamp: t, body: .rib(RIBRecord(family: prefix.isIPv6 ? .ipv6Unicast : .ipv4Unicast, sequence: sequence,
                                                                      prefix: prefix, entries: entries))))
            sequence &+= 1
        }
        return Int(sequence)
    }
}
