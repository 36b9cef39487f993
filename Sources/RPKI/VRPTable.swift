public import BGPWire

/// The VRPs indexed for route origin validation: per family and prefix length, the covering
/// prefix looked up directly, so a validation costs one hash lookup per length that holds VRPs
/// (a dozen or so in real data), whatever the table's size.
public struct VRPTable: Sendable {
    struct Authorisation: Hashable, Sendable {
        var asn: UInt32
        var maxLength: UInt8
        var trustAnchor: String?
    }
    /// [v4, v6][length]: masked prefix → its authorisations.
    private var byLength: [[[Prefix: [Authorisation]]]] = [Array(repeating: [:], count: 33), Array(repeating: [:], count: 129)]
    /// The lengths that hold VRPs, per family, ascending.
    private var lengths: [[Int]] = [[], []]
    public private(set) var count = 0

    public init(_ vrps: some Sequence<VRP> = []) {
        for v in vrps { insert(v) }
    }

    public mutating func insert(_ v: VRP) {
        let f = v.prefix.isIPv6 ? 1 : 0, l = Int(v.prefix.length)
        let a = Authorisation(asn: v.asn, maxLength: v.maxLength, trustAnchor: v.trustAnchor)
        if byLength[f][l].isEmpty {
            lengths[f].append(l)
            lengths[f].sort()
        }
        if byLength[f][l][v.prefix, default: []].contains(a) { return }  // the same VRP from two files or ROAs
        byLength[f][l][v.prefix, default: []].append(a)
        count += 1
    }

    /// The VRPs whose prefix covers `route` (RFC 6811's "Covered"), least specific first.
    public func covering(_ route: Prefix) -> [VRP] {
        let f = route.isIPv6 ? 1 : 0
        var out: [VRP] = []
        for l in lengths[f] {
            guard l <= Int(route.length) else { break }
            let key = Prefix(address: route.address, length: UInt8(l)).masked
            for a in byLength[f][l][key] ?? [] { out.append(VRP(prefix: key, maxLength: a.maxLength, asn: a.asn, trustAnchor: a.trustAnchor)) }
        }
        return out
    }

    /// RFC 6811 §2: valid if a covering VRP has the route's origin and a maxLength at least its
    /// length; invalid if VRPs cover it and none does; not-found if none covers it. A route whose
    /// origin is not one AS (an AS_SET last, or no path) matches no VRP.
    public func validate(_ route: Prefix, origin: UInt32?) -> RPKIState {
        let covering = covering(route)
        if covering.isEmpty { return .notFound }
        guard let origin, origin != 0 else { return .invalid }
        return covering.contains { $0.asn == origin && route.length <= $0.maxLength } ? .valid : .invalid
    }
}
