import BGPWire

/// What Vigil concludes from signals: an outage, instability or degradation of
/// an entity, with a start, an end (nil while open), a scope and a cause with its evidence.
///
/// Stored events are read back by later versions: decoding takes every field as
/// optional with the default a version without it meant, and ignores unknown ones.
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
    /// Start of the first bin back to normal; nil while open. When `observationStopped`,
    /// the time Vigil stopped observing with the event still open instead.
    public var end: Int64?
    /// The event did not end: Vigil stopped observing (collector stopped, archive over) at `end`.
    /// Its own downtime is a gap with no data, not a recovery and not an outage.
    public var observationStopped: Bool
    /// Share of the entity's normal space affected at the worst point (0–1).
    public var scope: Double
    /// Depth × duration: scope summed over the event's bins, in bin-hours.
    public var severity: Double
    public var level: String
    public var precededByInstability: Bool
    public var evidence: Evidence
    /// The vantage point that saw it ("" when there is one); set by the store it is written to.
    public var vantage: String
    /// An event several vantage points agree on (`Agreement`): the ones that saw it, in name order.
    public var seenBy: [String]

    public var id: String { "\(entity)|\(kind.rawValue)|\(start)" }

    public init(entity: String, kind: Kind, cause: Cause, start: Int64, end: Int64?, scope: Double, severity: Double,
                level: String, precededByInstability: Bool, evidence: Evidence, observationStopped: Bool = false,
                vantage: String = "", seenBy: [String] = []) {
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
        self.observationStopped = observationStopped
        self.vantage = vantage
        self.seenBy = seenBy
    }

    /// The order stores return events in: by start, entity, then vantage point.
    public static func storedOrder(_ a: Event, _ b: Event) -> Bool { (a.start, a.entity, a.vantage) < (b.start, b.entity, b.vantage) }

    /// The event as it stands when Vigil stops observing at `t` with it still open.
    public func stoppedObserving(at t: Int64) -> Event {
        var e = self
        e.end = max(t, start)
        e.observationStopped = true
        // Events whose severity is only set when they close count it up to here.
        if e.severity == 0 { e.severity = e.scope * Double(e.end! - start) / 3600 }
        return e
    }

    // One JSON form everywhere (README, "Event JSON"): snake_case keys, times in RFC 3339 UTC,
    // a `version`. Decoding also takes what older stores and status files hold (camelCase
    // keys, Unix seconds), so nothing written before is lost.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.encode(EventFormat.jsonVersion, forKey: "version")
        try c.encode(entity, forKey: "entity")
        try c.encode(kind, forKey: "kind")
        try c.encode(cause, forKey: "cause")
        try c.encode(UTCTime.format(start), forKey: "start")
        try c.encode(end.map { UTCTime.format($0) }, forKey: "end")
        try c.encode(observationStopped, forKey: "observation_stopped")
        try c.encode(scope, forKey: "scope")
        try c.encode(severity, forKey: "severity")
        try c.encode(level, forKey: "level")
        try c.encode(precededByInstability, forKey: "preceded_by_instability")
        try c.encode(evidence, forKey: "evidence")
        // Only with several vantage points: a single observatory's JSON is as before.
        if !vantage.isEmpty { try c.encode(vantage, forKey: "vantage") }
        if !seenBy.isEmpty { try c.encode(seenBy, forKey: "seen_by") }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONKey.self)
        entity = try c.decode(String.self, forKey: "entity")
        kind = try c.decode(Kind.self, forKey: "kind")
        cause = (try? c.decodeIfPresent(Cause.self, forKey: "cause")) ?? .unknown
        start = try c.time("start") ?? { throw DecodingError.keyNotFound(JSONKey("start"), .init(codingPath: c.codingPath, debugDescription: "no start")) }()
        end = try c.time("end")
        observationStopped = try c.either(Bool.self, "observation_stopped", "observationStopped") ?? false
        scope = try c.decodeIfPresent(Double.self, forKey: "scope") ?? 0
        severity = try c.decodeIfPresent(Double.self, forKey: "severity") ?? 0
        level = try c.decodeIfPresent(String.self, forKey: "level") ?? "warning"
        precededByInstability = try c.either(Bool.self, "preceded_by_instability", "precededByInstability") ?? false
        evidence = try c.decodeIfPresent(Evidence.self, forKey: "evidence") ?? Evidence(signal: "")
        vantage = try c.decodeIfPresent(String.self, forKey: "vantage") ?? ""
        seenBy = try c.decodeIfPresent([String].self, forKey: "seen_by") ?? []
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
        /// Instability: prefix flaps during the episode (see `SeriesRow.flaps`), the total
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

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: JSONKey.self)
            try c.encode(signal, forKey: "signal")
            try c.encode(baseline, forKey: "baseline")
            try c.encode(before, forKey: "before")
            try c.encode(worst, forKey: "worst")
            try c.encode(visibilityBefore, forKey: "visibility_before")
            try c.encode(visibilityWorst, forKey: "visibility_worst")
            try c.encode(peersInOrder, forKey: "peers_in_order")
            try c.encode(prefixes, forKey: "prefixes")
            try c.encode(commonUpstream.map { "AS\($0)" }, forKey: "common_upstream")
            try c.encode(churnBaseline, forKey: "churn_baseline")
            try c.encode(churnPeak, forKey: "churn_peak")
            try c.encode(note, forKey: "note")
            try c.encode(flaps, forKey: "flaps")
            try c.encode(totalLosses, forKey: "total_losses")
            try c.encode(longestLoss, forKey: "longest_loss_s")
            try c.encode(instabilitySince.map { UTCTime.format($0) }, forKey: "instability_since")
        }

        /// Evidence written by any version: a field it did not have takes its default, one it does not know is ignored.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: JSONKey.self)
            signal = try c.decodeIfPresent(String.self, forKey: "signal") ?? ""
            baseline = try c.decodeIfPresent(Double.self, forKey: "baseline") ?? 0
            before = try c.decodeIfPresent(Double.self, forKey: "before") ?? 0
            worst = try c.decodeIfPresent(Double.self, forKey: "worst") ?? 0
            visibilityBefore = try c.either(Double.self, "visibility_before", "visibilityBefore") ?? 0
            visibilityWorst = try c.either(Double.self, "visibility_worst", "visibilityWorst") ?? 0
            peersInOrder = try c.either([String].self, "peers_in_order", "peersInOrder") ?? []
            prefixes = try c.decodeIfPresent([String].self, forKey: "prefixes") ?? []
            if let s = try? c.decodeIfPresent(String.self, forKey: "common_upstream") {
                commonUpstream = UInt32(s.dropFirst(2))
            } else {
                commonUpstream = try c.decodeIfPresent(UInt32.self, forKey: "commonUpstream")
            }
            churnBaseline = try c.either(Double.self, "churn_baseline", "churnBaseline") ?? 0
            churnPeak = try c.either(Double.self, "churn_peak", "churnPeak") ?? 0
            note = try c.decodeIfPresent(String.self, forKey: "note") ?? ""
            flaps = try c.decodeIfPresent(Int.self, forKey: "flaps") ?? 0
            totalLosses = try c.either(Int.self, "total_losses", "totalLosses") ?? 0
            longestLoss = try c.either(Int64.self, "longest_loss_s", "longestLoss") ?? 0
            instabilitySince = try c.time("instability_since", "instabilitySince")
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

/// Keys by name: the event's JSON form and the older camelCase one are both read.
struct JSONKey: CodingKey, ExpressibleByStringLiteral {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init(stringLiteral s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == JSONKey {
    /// The value under the first of `names` present.
    func either<T: Decodable>(_ type: T.Type, _ names: String...) throws -> T? {
        for n in names where contains(JSONKey(n)) { return try decodeIfPresent(T.self, forKey: JSONKey(n)) }
        return nil
    }

    /// A time as RFC 3339 text (the JSON form) or Unix seconds (older stores), under the first of `names` present.
    func time(_ names: String...) throws -> Int64? {
        for n in names where contains(JSONKey(n)) {
            if try decodeNil(forKey: JSONKey(n)) { return nil }
            if let t = try? decode(Int64.self, forKey: JSONKey(n)) { return t }
            let text = try decode(String.self, forKey: JSONKey(n))
            guard let t = UTCTime.parse(text) else {
                throw DecodingError.dataCorruptedError(forKey: JSONKey(n), in: self, debugDescription: "'\(text)' is not a time")
            }
            return t
        }
        return nil
    }
}
