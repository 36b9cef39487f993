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

    public init() {}

    public var isEmpty: Bool {
        peerAddresses.isEmpty && peerASNs.isEmpty && prefixes.isEmpty && originASNs.isEmpty && kinds.isEmpty
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
