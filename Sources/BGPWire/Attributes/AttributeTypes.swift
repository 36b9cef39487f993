/// Path attribute type codes (IANA "BGP Path Attributes"), as an open set.
public struct AttributeType: RawRepresentable, Hashable, Sendable, Comparable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ v: UInt8) { rawValue = v }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public static let origin = Self(1)
    public static let asPath = Self(2)
    public static let nextHop = Self(3)
    public static let multiExitDisc = Self(4)
    public static let localPref = Self(5)
    public static let atomicAggregate = Self(6)
    public static let aggregator = Self(7)
    public static let communities = Self(8)
    public static let originatorID = Self(9)
    public static let clusterList = Self(10)
    public static let mpReachNLRI = Self(14)
    public static let mpUnreachNLRI = Self(15)
    public static let extendedCommunities = Self(16)
    public static let as4Path = Self(17)
    public static let as4Aggregator = Self(18)
    public static let largeCommunities = Self(32)
}

/// Attribute flag bits (RFC 4271 §4.3).
public enum AttributeFlags {
    public static let optional: UInt8 = 0x80
    public static let transitive: UInt8 = 0x40
    public static let partial: UInt8 = 0x20
    public static let extendedLength: UInt8 = 0x10
}

/// ORIGIN values (RFC 4271 §5.1.1); others are kept as sent.
public struct Origin: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let igp = Origin(rawValue: 0)
    public static let egp = Origin(rawValue: 1)
    public static let incomplete = Origin(rawValue: 2)
    public var name: String { rawValue == 0 ? "IGP" : rawValue == 1 ? "EGP" : "INCOMPLETE" }
}

/// AGGREGATOR and AS4_AGGREGATOR: the AS and router that aggregated the route.
public struct Aggregator: Hashable, Sendable {
    public var asn: UInt32
    public var address: UInt32
    public init(asn: UInt32, address: UInt32) {
        self.asn = asn
        self.address = address
    }
}

/// RFC 8092: a 12-byte community.
public struct LargeCommunity: Hashable, Sendable, CustomStringConvertible {
    public var global: UInt32
    public var local1: UInt32
    public var local2: UInt32
    public init(_ g: UInt32, _ l1: UInt32, _ l2: UInt32) {
        global = g
        local1 = l1
        local2 = l2
    }
    public var description: String { "\(global):\(local1):\(local2)" }
}

/// The next hop of MP_REACH_NLRI (RFC 4760 §3, RFC 2545 for the link-local form).
public enum MPNextHop: Hashable, Sendable {
    case v4(UInt32)
    case v6(IPAddress)
    case v6LinkLocal(IPAddress, IPAddress)
    /// Any other length (VPN route distinguishers, RFC 5549 oddities): kept as sent.
    case raw([UInt8])

    public var primary: IPAddress? {
        switch self {
        case let .v4(a): return .v4(a)
        case let .v6(a), let .v6LinkLocal(a, _): return a
        case .raw: return nil
        }
    }

    static func decode(_ r: inout ByteReader, length: Int) throws(WireError) -> MPNextHop {
        switch length {
        case 4: return .v4(try r.readU32("next hop"))
        case 16: return .v6(try IPAddress.read(&r, v6: true))
        case 32: return .v6LinkLocal(try IPAddress.read(&r, v6: true), try IPAddress.read(&r, v6: true))
        default: return .raw(try r.readBytes(length, "next hop"))
        }
    }

    func encode(_ w: inout ByteWriter) {
        switch self {
        case let .v4(a): w.u8(4); w.u32(a)
        case let .v6(a): w.u8(16); a.write(&w)
        case let .v6LinkLocal(a, b): w.u8(32); a.write(&w); b.write(&w)
        case let .raw(b): w.u8(UInt8(truncatingIfNeeded: b.count)); w.append(b)
        }
    }
}

/// MP_REACH_NLRI (RFC 4760 §3) for IPv4/IPv6 unicast and multicast.
public struct MPReach: Hashable, Sendable {
    public var family: AFISAFI
    public var nextHop: MPNextHop
    public var nlri: [NLRI]
    public init(family: AFISAFI, nextHop: MPNextHop, nlri: [NLRI]) {
        self.family = family
        self.nextHop = nextHop
        self.nlri = nlri
    }
}

/// MP_UNREACH_NLRI (RFC 4760 §4).
public struct MPUnreach: Hashable, Sendable {
    public var family: AFISAFI
    public var withdrawn: [NLRI]
    public init(family: AFISAFI, withdrawn: [NLRI]) {
        self.family = family
        self.withdrawn = withdrawn
    }
}

/// An attribute kept as its bytes: unknown types, families Vigil does not parse,
/// and malformed content (RFC 7606 asks to keep going, not to crash).
public struct RawAttribute: Hashable, Sendable {
    public var flags: UInt8
    public var type: AttributeType
    public var value: [UInt8]
    public init(flags: UInt8, type: AttributeType, value: [UInt8]) {
        self.flags = flags
        self.type = type
        self.value = value
    }
}
