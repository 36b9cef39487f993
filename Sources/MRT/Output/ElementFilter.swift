public import BGPWire

/// Which elements to keep: the filters bgpdump and BGPStream users reach for.
/// Each set left empty matches everything.
public struct ElementFilter: Sendable {
    public var peerAddresses: Set<IPAddress> = []
    public var peerASNs: Set<UInt32> = []
    public var prefixes: [Prefix] = []
    /// With `prefixes`: also keep more-specifics of them.
    public var moreSpecifics = false
    public var originASNs: Set<UInt32> = []
    public var kinds: Set<ElementKind> = []
    /// Records stamped before `from`, or at or after `until`, are skipped (BGPStream's time window;
    /// a RIB's peer table is always read, since its entries cannot be decoded without it).
    public var from: UInt32?
    public var until: UInt32?
    /// Keep routes whose AS path, as printed ("3356 1299 {64500,64501}"), matches.
    public var path: ASPathPattern?
    /// Keep routes carrying any of these communities.
    public var communities: [CommunityPattern] = []
    /// Keep routes this says yes to, given their prefix and origin (nil: an AS_SET or no path).
    /// `vigil dump --rpki` passes route origin validation here.
    public var route: (@Sendable (Prefix, UInt32?) -> Bool)?

    public init() {}

    public var isEmpty: Bool {
        peerAddresses.isEmpty && peerASNs.isEmpty && prefixes.isEmpty && kinds.isEmpty && !routeOnly
    }

    /// Filters only a route (an announcement or a RIB entry) can pass: withdrawals and states have no path.
    public var routeOnly: Bool { !originASNs.isEmpty || path != nil || !communities.isEmpty || route != nil }

    @inlinable
    public func matchesTime(_ t: UInt32) -> Bool { (from.map { t >= $0 } ?? true) && (until.map { t < $0 } ?? true) }

    /// The path and community filters, on a route's printed path and its communities.
    public func matchesRoute(pathText: @autoclosure () -> String, communities standard: [UInt32], large: [LargeCommunity] = []) -> Bool {
        if !communities.isEmpty, !communities.contains(where: { c in standard.contains { c.matches($0) } || large.contains { c.matches($0) } }) {
            return false
        }
        if let path, !path.matches(pathText()) { return false }
        return true
    }

    @inlinable
    public func matchesPeer(_ address: IPAddress, _ asn: UInt32) -> Bool {
        (peerAddresses.isEmpty || peerAddresses.contains(address)) && (peerASNs.isEmpty || peerASNs.contains(asn))
    }

    public func matchesPrefix(_ p: Prefix) -> Bool {
        if prefixes.isEmpty { return true }
        let m = p.masked
        for f in prefixes {
            if moreSpecifics ? f.contains(m) : (f == m) { return true }
        }
        return false
    }

    /// Origin filters keep only announcements and RIB entries whose path ends in a listed AS.
    @inlinable
    public func matchesOrigin(_ origin: UInt32?) -> Bool {
        originASNs.isEmpty || origin.map { originASNs.contains($0) } ?? false
    }

    @inlinable
    public func matchesKind(_ k: ElementKind) -> Bool { kinds.isEmpty || kinds.contains(k) }
}
