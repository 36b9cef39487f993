/// What Vigil concludes from signals: an outage, instability or degradation of
/// an entity, with a start, an end (nil while open), a scope and a cause with its evidence.
public struct Event: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable {
        case outage, instability, degradation
        /// A loss too short to be an outage (under the minimum duration): kept as an annotation.
        case blip
        /// A vantage point's feed broke (session down, table withdrawn): not about any network.
        case feed
        /// Whether people are alerted: blips and feed events are annotations.
        public var isAlert: Bool { self == .outage || self == .instability || self == .degradation }
    }
    public enum Cause: String, Sendable, Codable {
        case bgpWithdrawal = "bgp-withdrawal"
        case unreachableWhileRouted = "unreachable-while-routed"
        case routeInstability = "route-instability"
        case latencyDegradation = "latency-degradation"
        case feedLoss = "feed-loss"
        case unknown
    }

    public var entity: String
    public var kind: Kind
    public var cause: Cause
    /// Start of the first bin that showed it (Unix seconds, UTC).
    public var start: Int64
    /// Start of the first bin back to normal; nil while open.
    public var end: Int64?
    /// Share of the entity's normal space affected at the worst point (0–1).
    public var scope: Double
    /// Depth × duration: scope summed over the event's bins, in bin-hours.
    public var severity: Double
    public var level: String
    public var precededByInstability: Bool
    public var evidence: Evidence

    public var id: String { "\(entity)|\(kind.rawValue)|\(start)" }

    public init(entity: String, kind: Kind, cause: Cause, start: Int64, end: Int64?, scope: Double, severity: Double,
                level: String, precededByInstability: Bool, evidence: Evidence) {
        self.entity = entity
        self.kind = kind
        self.cause = cause
        self.start = start
        self.end = end
        self.scope = scope
        self.severity = severity
        self.level = level
        self.precededByInstability = precededByInstability
        self.evidence = evidence
    }

    public struct Evidence: Hashable, Sendable, Codable {
        /// The signal that moved, its baseline (trailing median), its value just before, and its worst value.
        public var signal: String
        public var baseline: Double
        public var before: Double
        public var worst: Double
        /// Mean share of full-feed peers seeing the entity's prefixes, before and at the worst point.
        public var visibilityBefore: Double
        public var visibilityWorst: Double
        /// Peers in the order they lost the routes (first ones), and the prefixes lost.
        public var peersInOrder: [String]
        public var prefixes: [String]
        /// The AS next to the origin on every lost path, when they all agree.
        public var commonUpstream: UInt32?
        /// Churn (announcements + withdrawals per bin): baseline and peak, for instability.
        public var churnBaseline: Double
        public var churnPeak: Double
        public var note: String
        /// Instability: prefixes that fell below visibility during the episode, the total
        /// losses inside it (too short to be outages) and the longest of them, in seconds.
        public var flaps: Int
        public var totalLosses: Int
        public var longestLoss: Int64
        /// Outage: when the route instability before it began (nil: none).
        public var instabilitySince: Int64?

        public init(signal: String, baseline: Double = 0, before: Double = 0, worst: Double = 0, visibilityBefore: Double = 0,
                    visibilityWorst: Double = 0, peersInOrder: [String] = [], prefixes: [String] = [], commonUpstream: UInt32? = nil,
                    churnBaseline: Double = 0, churnPeak: Double = 0, note: String = "", flaps: Int = 0, totalLosses: Int = 0,
                    longestLoss: Int64 = 0, instabilitySince: Int64? = nil) {
            self.signal = signal
            self.baseline = baseline
            self.before = before
            self.worst = worst
            self.visibilityBefore = visibilityBefore
            self.visibilityWorst = visibilityWorst
            self.peersInOrder = peersInOrder
            self.prefixes = prefixes
            self.commonUpstream = commonUpstream
            self.churnBaseline = churnBaseline
            self.churnPeak = churnPeak
            self.note = note
            self.flaps = flaps
            self.totalLosses = totalLosses
            self.longestLoss = longestLoss
            self.instabilitySince = instabilitySince
        }
    }
}

/// One withdrawal seen for an entity during a bin: who, when, what, and the path that was lost.
public struct WithdrawalNote: Hashable, Sendable {
    public var time: UInt32
    public var peer: String
    public var prefix: String
    public var lostPath: [UInt32]
    public init(time: UInt32, peer: String, prefix: String, lostPath: [UInt32]) {
        self.time = time
        self.peer = peer
        self.prefix = prefix
        self.lostPath = lostPath
    }
}
