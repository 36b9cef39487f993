public import BGPWire

/// A validated ROA payload (RFC 6811 §2): `asn` may originate `prefix` and its more-specifics
/// down to `maxLength`. AS0 authorises nobody (RFC 7607): its VRPs only make routes invalid.
public struct VRP: Hashable, Sendable, CustomStringConvertible {
    public var prefix: Prefix
    public var maxLength: UInt8
    public var asn: UInt32
    /// The trust anchor it came from (`ripe`, `apnic` …), when the file says.
    public var trustAnchor: String?

    public init(prefix: Prefix, maxLength: UInt8, asn: UInt32, trustAnchor: String? = nil) {
        self.prefix = prefix.masked
        self.maxLength = maxLength
        self.asn = asn
        self.trustAnchor = trustAnchor
    }

    public var description: String { "\(prefix)-\(maxLength) AS\(asn)" }
}

/// Route origin validation's outcome (RFC 6811 §2).
public enum RPKIState: String, Sendable, Codable, CaseIterable {
    /// A VRP covers the route and matches its origin and length.
    case valid
    /// VRPs cover the route and none matches: another origin, or longer than their maxLength.
    case invalid
    /// No VRP covers the route.
    case notFound = "not-found"
}
