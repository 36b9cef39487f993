public import BGPWire

/// One peer of one RIS collector (the same router peering with two collectors is two feeds).
public struct RISPeer: Hashable, Sendable {
    public var collector: String
    public var address: IPAddress
    public var asn: UInt32

    public init(collector: String, address: IPAddress, asn: UInt32) {
        self.collector = collector
        self.address = address
        self.asn = asn
    }
}

/// A RIS Live stream's rates: each collector's and each of its peers' against their own usual.
/// A collector at a trickle makes the source incomplete. One quiet peer is ordinary (routers
/// restart, sessions go quiet; the session itself is RIS_PEER_STATE's), so peers are named in the
/// status, and only a collector with `quietShare` of its judged peers quiet at once is a problem:
/// then the collector lost part of its feed while still sending the rest.
public struct FeedRates: Sendable {
    public var collectors = StreamRates<String>()
    public var peers = StreamRates<RISPeer>()
    public var quietShare = 0.25

    public init() {}

    public mutating func message(_ peer: RISPeer) {
        collectors.message(from: peer.collector)
        peers.message(from: peer)
    }

    /// A peer's session went down: reported as such by RIS_PEER_STATE, so not a quiet peer as well.
    public mutating func sessionDown(_ peer: RISPeer) { peers.forget(peer) }

    public mutating func setConnected(_ c: Bool) {
        collectors.setConnected(c)
        peers.setConnected(c)
    }

    public mutating func roll(now: Int64) {
        collectors.roll(now: now)
        peers.roll(now: now)
    }

    /// What makes the source incomplete, in a sentence; nil when nothing does.
    public func problem(now: Int64) -> String? {
        let share = Int(collectors.lowShare * 100)
        var out = collectors.low(now: now).sorted { $0.key < $1.key }.map {
            "\($0.key) fell below \(share)% of its usual \(Int($0.usual.rounded())) messages a minute"
        }
        let quiet = Dictionary(grouping: peers.low(now: now), by: \.key.collector)
        for (collector, list) in quiet.sorted(by: { $0.key < $1.key }) {
            let judged = peers.judged { $0.collector == collector }
            guard judged > 0, Double(list.count) >= quietShare * Double(judged) else { continue }
            out.append("\(list.count) of \(judged) peers of \(collector) fell below \(share)% of their usual rate")
        }
        return out.isEmpty ? nil : out.joined(separator: "; ")
    }

    /// Peers below their usual rate, for the source's status (the first few named); nil when none.
    public func quietPeers(now: Int64, naming: Int = 3) -> String? {
        let low = peers.low(now: now).sorted { ($0.key.collector, $0.key.asn) < ($1.key.collector, $1.key.asn) }
        guard !low.isEmpty else { return nil }
        let named = low.prefix(naming).map { "AS\($0.key.asn) \($0.key.address) at \($0.key.collector) (usually \(Int($0.usual.rounded()))/min)" }
        return "\(low.count) peer\(low.count == 1 ? "" : "s") quiet: " + named.joined(separator: ", ") + (low.count > naming ? ", …" : "")
    }
}
