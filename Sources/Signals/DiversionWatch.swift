public import BGPWire
public import Routing
public import RPKI

/// A watched network's address space announced by another origin: the routes are not withdrawn,
/// they are taken (YouTube, 24 Feb 2008: AS17557 announced 208.65.153.0/24 inside AS36561's
/// 208.65.152.0/22, and the world's traffic followed the longer prefix).
public struct Diversion: Hashable, Sendable {
    public enum Kind: String, Sendable, Codable {
        /// A more-specific of the victim's prefix: wherever it is routed, it wins (longest match).
        case moreSpecific = "more-specific"
        /// The victim's own prefix from another origin (MOAS): peers split between the two.
        case samePrefix = "same-prefix"
    }
    public var kind: Kind
    public var victim: UInt32
    public var victimPrefix: Prefix
    public var prefix: Prefix
    public var offender: UInt32
    /// The most common path to the offender: through whom it spread (the AS before it is its upstream).
    public var path: ASPath
    public var peers: Int
    public var fullFeedPeers: Int
    /// Of the full-feed peers that route this space at all, the share that sends it to the offender.
    public var share: Double
    public var since: UInt32
    /// RFC 6811's verdict on the offending route, when VRPs are loaded.
    public var rpki: RPKIState?
    /// The victim's own more-specifics cover the offending prefix and are carried as widely: its traffic is back.
    public var wonBack: Bool

    public var upstream: UInt32? {
        let seq = path.segments.flatMap { $0.kind == .sequence ? $0.asns : [] }
        return seq.count >= 2 ? seq[seq.count - 2] : nil
    }
}

/// Which announcements take a watched network's space. Cheap per announcement (a lookup per
/// prefix length that holds a watched prefix); the shares are measured only for the suspects, at
/// judgement time. Not alarms: the victim's siblings, an origin RPKI says is valid, and an origin
/// seen beside the victim's for `settledAfter` (anycast, multi-homing, a move done for good).
public final class DiversionWatch {
    public struct Config: Sendable {
        /// Fewer full-feed peers than this routing the offender's route: not judged yet (one peer's leak stays local).
        public var minimumFullFeedPeers = 2
        /// A diversion that has lasted this long is how the network is routed now.
        public var settledAfter: UInt32 = 14 * 86_400
        public init() {}
    }

    public var config: Config
    public var vrps: VRPTable?
    /// Per watched AS: ASes that may originate its space (its siblings, configured).
    public var siblings: [UInt32: Set<UInt32>] = [:]
    /// Watched prefixes by family and length (a lookup per length that holds one).
    private var owned: [[[Prefix: UInt32]]] = [Array(repeating: [:], count: 33), Array(repeating: [:], count: 129)]
    private var lengths: [[Int]] = [[], []]
    struct Key: Hashable { var prefix: Prefix; var origin: UInt32 }
    /// Announcements by another origin inside watched space, since when (first seen).
    private var suspects: [Key: (victim: UInt32, victimPrefix: Prefix, since: UInt32)] = [:]
    /// The victims' own announcements inside their space (more-specifics that can win traffic back).
    private var ownMoreSpecifics: [Prefix: UInt32] = [:]

    public init(config: Config = Config()) { self.config = config }

    /// A prefix of a watched network (from the routing state once warm, or configured).
    public func own(_ prefix: Prefix, by asn: UInt32) {
        let p = prefix.masked, f = p.isIPv6 ? 1 : 0, l = Int(p.length)
        if owned[f][l].isEmpty { lengths[f].append(l); lengths[f].sort() }
        owned[f][l][p] = asn
    }

    /// The watched prefix holding `prefix` (it or a less specific), and its owner.
    public func owner(of prefix: Prefix) -> (prefix: Prefix, asn: UInt32)? {
        let f = prefix.isIPv6 ? 1 : 0
        for l in lengths[f].reversed() where l <= Int(prefix.length) {
            let key = Prefix(address: prefix.address, length: UInt8(l)).masked
            if let asn = owned[f][l][key] { return (key, asn) }
        }
        return nil
    }

    /// Every announcement (origin nil: an AS_SET): remembered if it puts watched space elsewhere.
    public func announced(_ prefix: Prefix, origin: UInt32?, at t: UInt32) {
        guard !lengths[prefix.isIPv6 ? 1 : 0].isEmpty, let (vp, victim) = owner(of: prefix) else { return }
        let o = origin ?? 0
        if o == victim || siblings[victim]?.contains(o) == true {
            if prefix.length > vp.length { ownMoreSpecifics[prefix.masked] = victim }
            return
        }
        let key = Key(prefix: prefix.masked, origin: o)
        if suspects[key] == nil { suspects[key] = (victim, vp, t) }
    }

    /// The diversions now: each suspect measured in the routing state. Suspects no peer routes to
    /// the offender any more are forgotten (the diversion ended: withdrawn).
    public func assess(_ state: RoutingState, now: UInt32) -> [Diversion] {
        var out: [Diversion] = []
        for (key, s) in suspects {
            let origins = state.origins(of: key.prefix)
            guard let mine = origins.first(where: { $0.origin == key.origin }) else {
                suspects[key] = nil
                continue
            }
            if now > s.since && now - s.since >= config.settledAfter { continue }
            let rpki = vrps?.validate(key.prefix, origin: key.origin == 0 ? nil : key.origin)
            if rpki == .valid { continue }
            guard mine.fullFeedPeers >= config.minimumFullFeedPeers else { continue }
            let v6 = key.prefix.isIPv6
            let kind: Diversion.Kind = key.prefix.length > s.victimPrefix.length ? .moreSpecific : .samePrefix
            // A more-specific wins wherever it is routed: its share is of every full-feed peer; the same
            // prefix from two origins splits the peers that carry it.
            let judged = kind == .moreSpecific ? (v6 ? state.fullFeedPeers6 : state.fullFeedPeers4) : origins.reduce(0) { $0 + $1.fullFeedPeers }
            var d = Diversion(kind: kind, victim: s.victim, victimPrefix: s.victimPrefix, prefix: key.prefix, offender: key.origin,
                              path: state.paths.path(mine.path), peers: mine.peers, fullFeedPeers: mine.fullFeedPeers,
                              share: judged > 0 ? Double(mine.fullFeedPeers) / Double(judged) : 0, since: s.since, rpki: rpki, wonBack: false)
            d.wonBack = wonBack(d, state)
            out.append(d)
        }
        return out.sorted { ($0.victim, $0.prefix, $0.offender) < ($1.victim, $1.prefix, $1.offender) }
    }

    /// The victim's more-specifics inside the offending prefix cover all of it, each carried by at
    /// least as many full-feed peers as the offender's route: the longest match is the victim's again.
    func wonBack(_ d: Diversion, _ state: RoutingState) -> Bool {
        let inside = ownMoreSpecifics.filter { $0.value == d.victim && $0.key.length > d.prefix.length && d.prefix.contains($0.key) }
        guard !inside.isEmpty else { return false }
        let width = d.prefix.isIPv6 ? 128 : 32
        guard width - Int(d.prefix.length) < 64 else { return false }
        var covered = 0.0, counted: [Prefix] = []
        for p in inside.keys.sorted(by: { $0.length < $1.length }) where !counted.contains(where: { $0.contains(p) }) {
            let carriers = state.origins(of: p).first { $0.origin == d.victim }?.fullFeedPeers ?? 0
            guard carriers >= d.fullFeedPeers else { continue }
            covered += 1 / Double(1 << min(62, Int(p.length) - Int(d.prefix.length)))
            counted.append(p)
        }
        return covered >= 1
    }
}
