/// One entity's BGP signals for one time bin (definitions in README.md, "Signals").
public struct SeriesRow: Hashable, Sendable, Codable {
    public var entity: String
    /// Start of the bin, seconds since 1970 (UTC).
    public var bin: Int64
    /// Routed IPv4 space visible to more than half of the full-feed peers, in /24s.
    public var routedV4: Double
    /// Routed IPv6 space visible to more than half of the full-feed peers, in /48s.
    public var routedV6: Double
    /// Prefixes visible to more than half of the full-feed peers.
    public var visiblePrefixes: Int
    /// Mean share of full-feed peers that see each of the entity's known prefixes (0–1).
    public var meanVisibility: Double
    public var announcements: Int
    public var withdrawals: Int
    public var pathChanges: Int
    public var originChanges: Int
    /// Full-feed peers (IPv4, IPv6) at the end of the bin.
    public var fullFeedPeers4: Int
    public var fullFeedPeers6: Int
    /// Routed space (/24s, /48s) still carried by at least a quarter of the full-feed
    /// peers: what leaves it was withdrawn by nearly every peer, which is what an
    /// outage is (a prefix dropped by a few peers is still reachable from most of
    /// the Internet). Not stored: the detector's view of the bin.
    public var presentV4: Double = 0
    public var presentV6: Double = 0
    /// Prefixes that fell from more than two thirds of the full-feed peers to two
    /// thirds or fewer during the bin, each time it happened: reachability churn
    /// seen by several peers, unlike a path or community change at one peer.
    public var flaps = 0
    /// Of those, prefixes that had already fallen within the engine's flap memory (2 h).
    public var repeatFlaps = 0

    public init(entity: String, bin: Int64, routedV4: Double = 0, routedV6: Double = 0, visiblePrefixes: Int = 0,
                meanVisibility: Double = 0, announcements: Int = 0, withdrawals: Int = 0, pathChanges: Int = 0,
                originChanges: Int = 0, fullFeedPeers4: Int = 0, fullFeedPeers6: Int = 0) {
        self.entity = entity
        self.bin = bin
        self.routedV4 = routedV4
        self.routedV6 = routedV6
        self.visiblePrefixes = visiblePrefixes
        self.meanVisibility = meanVisibility
        self.announcements = announcements
        self.withdrawals = withdrawals
        self.pathChanges = pathChanges
        self.originChanges = originChanges
        self.fullFeedPeers4 = fullFeedPeers4
        self.fullFeedPeers6 = fullFeedPeers6
    }

    /// The signals by name, as `vigil series --signal` knows them.
    public static let signalNames = ["routed_v4", "routed_v6", "visible_prefixes", "mean_visibility", "announcements",
                                     "withdrawals", "path_changes", "origin_changes", "full_feed_peers_v4", "full_feed_peers_v6"]

    public func value(_ signal: String) -> Double? {
        switch signal {
        case "routed_v4": routedV4
        case "routed_v6": routedV6
        case "visible_prefixes": Double(visiblePrefixes)
        case "mean_visibility": meanVisibility
        case "announcements": Double(announcements)
        case "withdrawals": Double(withdrawals)
        case "path_changes": Double(pathChanges)
        case "origin_changes": Double(originChanges)
        case "full_feed_peers_v4": Double(fullFeedPeers4)
        case "full_feed_peers_v6": Double(fullFeedPeers6)
        default: nil
        }
    }
}
