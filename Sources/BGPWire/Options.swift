/// An address family and subsequent address family (RFC 4760 §3).
public struct AFISAFI: Hashable, Sendable, CustomStringConvertible {
    public var afi: UInt16
    public var safi: UInt8

    public init(afi: UInt16, safi: UInt8) {
        self.afi = afi
        self.safi = safi
    }

    public static let ipv4Unicast = AFISAFI(afi: 1, safi: 1)
    public static let ipv4Multicast = AFISAFI(afi: 1, safi: 2)
    public static let ipv6Unicast = AFISAFI(afi: 2, safi: 1)
    public static let ipv6Multicast = AFISAFI(afi: 2, safi: 2)

    public var isIPv6: Bool { afi == 2 }
    public var description: String {
        let a = afi == 1 ? "ipv4" : afi == 2 ? "ipv6" : "afi\(afi)"
        let s = safi == 1 ? "unicast" : safi == 2 ? "multicast" : "safi\(safi)"
        return "\(a)-\(s)"
    }
}

/// What a session negotiated, passed explicitly to every decoder and encoder:
/// the same bytes mean different things under different OPEN capabilities.
public struct SessionOptions: Hashable, Sendable {
    /// RFC 6793: AS numbers in AS_PATH and AGGREGATOR are four octets.
    public var fourOctetAS: Bool
    /// RFC 7911: the families whose NLRI carry a path identifier.
    public var addPath: Set<AFISAFI>
    /// RFC 8654: messages may be up to 65535 bytes.
    public var extendedMessages: Bool

    public init(fourOctetAS: Bool = true, addPath: Set<AFISAFI> = [], extendedMessages: Bool = true) {
        self.fourOctetAS = fourOctetAS
        self.addPath = addPath
        self.extendedMessages = extendedMessages
    }

    public static let fourOctet = SessionOptions(fourOctetAS: true)
    public static let twoOctet = SessionOptions(fourOctetAS: false)

    @inlinable
    public func hasAddPath(_ f: AFISAFI) -> Bool { !addPath.isEmpty && addPath.contains(f) }

    public var asnWidth: Int { fourOctetAS ? 4 : 2 }
}
