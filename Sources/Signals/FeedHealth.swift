import Routing

/// A vantage point whose feed broke: its session went down, or it withdrew most
/// of its table at once. That is news about the feed, not about the networks
/// it carried, so entities are judged without the peer while it lasts.
public struct FeedEvent: Hashable, Sendable {
    public enum Kind: String, Sendable { case sessionDown = "session-down", tableWithdrawn = "table-withdrawn" }
    public var peer: String
    public var kind: Kind
    public var start: Int64
    /// When the peer's table was back to most of its usual size; nil while it lasts.
    public var end: Int64?
    /// The peer's usual table size (prefixes) and what it held when the event began.
    public var usualRoutes: Int
    public var routesLeft: Int

    /// As an event of the store: kind `feed`, an annotation (never an alert).
    public var event: Event {
        Event(entity: "peer:\(peer)", kind: .feed, cause: .feedLoss, start: start, end: end, scope: 0, severity: 0, level: "info",
              precededByInstability: false, evidence: .init(signal: "peer_routes", note: sentence))
    }

    public var sentence: String {
        switch kind {
        case .sessionDown: "peer \(peer) lost its session with \(usualRoutes) prefixes; entities judged without it"
        case .tableWithdrawn: "peer \(peer) withdrew \(usualRoutes - routesLeft) of its \(usualRoutes) prefixes at once; entities judged without it"
        }
    }
}

/// Per-peer feed health for the signal engine: each peer's usual table size, and
/// which peers are out. A peer is out when its session drops or its table falls
/// below half of its usual size; it is back once it holds `backShare` of it again.
/// Only peers with at least `minimumRoutes` prefixes are watched: below that a
/// peer's withdrawals are ordinary routing.
public struct FeedHealth: Sendable {
    public var minimumRoutes = 100
    public var lostShare = 0.5
    public var backShare = 0.8
    /// Per peer: the table size it usually holds (a peak that decays 1% per bin).
    var usual: [Int] = []
    var open: [Int: FeedEvent] = [:]
    var lastBin: Int64 = .min
    /// Every feed event that began or ended since the last `take()`.
    var changed: [FeedEvent] = []

    public init() {}

    func usualRoutes(_ peer: Int) -> Int { peer < usual.count ? usual[peer] : 0 }

    /// Whether a peer's feed is big enough to be watched (and not already out).
    func matters(peer: Int, state: RoutingState) -> Bool {
        open[peer] == nil && max(usualRoutes(peer), state.tables[peer].count) >= minimumRoutes
    }

    /// After a withdrawal: has the peer just fallen below half of its usual table?
    @inline(__always)
    func tableShrank(peer: Int, state: RoutingState) -> Bool {
        let u = usualRoutes(peer)
        return u >= minimumRoutes && Double(state.tables[peer].count) < Double(u) * lostShare && open[peer] == nil
    }

    mutating func lost(peer: Int, key: PeerKey, at t: Int64, kind: FeedEvent.Kind, routes: Int) {
        let e = FeedEvent(peer: key.description, kind: kind, start: t, end: nil,
                          usualRoutes: max(usualRoutes(peer), routes), routesLeft: kind == .sessionDown ? 0 : routes)
        open[peer] = e
        changed.append(e)
    }

    /// Peers that are out and hold most of their usual table again.
    func recovered(state: RoutingState) -> [Int] {
        open.keys.filter { Double(state.tables[$0].count) >= Double(usualRoutes($0)) * backShare }.sorted()
    }

    mutating func back(peer: Int, at t: Int64) {
        guard var e = open.removeValue(forKey: peer) else { return }
        e.end = t
        changed.append(e)
    }

    /// At a bin's close: learn the usual table size of every healthy peer.
    mutating func remember(state: RoutingState, bin: Int64) {
        guard bin > lastBin else { return }
        lastBin = bin
        while usual.count < state.tables.count { usual.append(0) }
        for i in state.tables.indices where open[i] == nil {
            usual[i] = max(state.tables[i].count, usual[i] - usual[i] / 100)
        }
    }

    /// Feed events still open.
    public var ongoing: [FeedEvent] { open.values.sorted { $0.start < $1.start } }

    /// The feed events that began or ended since the last call.
    public mutating func take() -> [FeedEvent] {
        defer { changed.removeAll() }
        return changed
    }
}
