public import BGPWire

/// Something Vigil watches: a country, an origin AS, or a prefix (and its more-specifics).
public enum Entity: Hashable, Sendable, Comparable, CustomStringConvertible {
    case country(String)
    case asn(UInt32)
    case prefix(Prefix)

    /// Parses `KP`, `AS131279` (or `131279`), `175.45.176.0/22`.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: " ")
        if let p = Prefix(t) { self = .prefix(p); return }
        let upper = t.uppercased()
        if upper.hasPrefix("AS"), let n = UInt32(upper.dropFirst(2)) { self = .asn(n); return }
        if let n = UInt32(t) { self = .asn(n); return }
        if t.count == 2, t.allSatisfy({ $0.isASCII && $0.isLetter }) { self = .country(upper); return }
        return nil
    }

    public var description: String {
        switch self {
        case let .country(c): c
        case let .asn(a): "AS\(a)"
        case let .prefix(p): p.description
        }
    }

    public static func < (a: Entity, b: Entity) -> Bool { a.description < b.description }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
