
/// The kinds of per-prefix element a record turns into.
public enum ElementKind: String, Sendable, CaseIterable, Codable {
    /// A route announced in an UPDATE.
    case announcement = "A"
    /// A route withdrawn in an UPDATE.
    case withdrawal = "W"
    /// A route in a RIB dump.
    case rib = "B"
    /// A BGP session changing state.
    case state = "STATE"
}

/// One per-prefix fact from an archive or a live session: what everything
/// downstream (routing state, signals, JSON output) consumes.
public struct BGPElement: Hashable, Sendable {
    public var kind: ElementKind
    public var timestamp: UInt32
    public var microseconds: UInt32?
    public var peerAddress: IPAddress
    public var peerAS: UInt32
    /// Nil for state changes.
    public var prefix: Prefix?
    public var pathID: UInt32?
    /// The route's attributes (announcements and RIB entries); shared, not copied, between the prefixes of one update.
    public var attributes: [PathAttribute]
    /// The true AS path (AS4_PATH merged on 2-octet sessions).
    public var asPath: ASPath?
    public var nextHop: IPAddress?
    public var oldState: UInt16?
    public var newState: UInt16?
    /// The collector that heard it, when one stream carries several (RIS Live): the same router
    /// peering with two collectors is two peers. Nil for an archive's or a session's own peers.
    public var collector: String?

    public init(kind: ElementKind, timestamp: UInt32, microseconds: UInt32? = nil, peerAddress: IPAddress, peerAS: UInt32,
                prefix: Prefix? = nil, pathID: UInt32? = nil, attributes: [PathAttribute] = [], asPath: ASPath? = nil,
                nextHop: IPAddress? = nil, oldState: UInt16? = nil, newState: UInt16? = nil, collector: String? = nil) {
        self.kind = kind
        self.timestamp = timestamp
        self.microseconds = microseconds
        self.peerAddress = peerAddress
        self.peerAS = peerAS
        self.prefix = prefix
        self.pathID = pathID
        self.attributes = attributes
        self.asPath = asPath
        self.nextHop = nextHop
        self.oldState = oldState
        self.newState = newState
        self.collector = collector
    }

    public var originAS: UInt32? { asPath?.origin }
}

