/// How one source of data is doing: a BGP collector, a BMP station, a prober, an archive
/// follower. A silent or lagging source is a gap in what Vigil sees, never an outage of
/// what it watches, so its state travels beside the events (bus, status, metrics).
public struct SourceHealth: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Codable {
        /// Started, no data yet (and not for long enough to call it silent).
        case starting
        /// Data arrives.
        case up
        /// Data arrives, but its time falls behind the wall clock (archives published late).
        case lagging
        /// Connected (or polling) but nothing has arrived for longer than the source's silence limit.
        case silent
        /// Data arrives but misses what it must carry (RIS Live: the RIS beacons' scheduled changes).
        case incomplete
        /// Not connected: no session, no router, the mirror unreachable.
        case down
    }

    public var source: String
    public var state: State
    /// Since when in this state (Unix seconds).
    public var since: Int64
    /// When data last arrived (Unix seconds), if ever.
    public var lastData: Int64?
    /// The time of the newest data (followers: the end of the newest file fed), if the source knows it.
    public var dataTime: Int64?
    /// What the source says of itself ("2 of 3 sessions established").
    public var detail: String
    /// The vantage point whose source it is ("" when there is one); set by the store it is written to.
    public var vantage: String = ""

    public init(source: String, state: State, since: Int64, lastData: Int64? = nil, dataTime: Int64? = nil, detail: String = "") {
        self.source = source
        self.state = state
        self.since = since
        self.lastData = lastData
        self.dataTime = dataTime
        self.detail = detail
    }

    /// By vantage point, then source.
    public static func storedOrder(_ a: SourceHealth, _ b: SourceHealth) -> Bool { (a.vantage, a.source) < (b.vantage, b.source) }

    enum CodingKeys: String, CodingKey {
        case source, state, since, detail, vantage
        case lastData = "last_data"
        case dataTime = "data_time"
    }

    /// Status files and stores written before vantage points were named have no `vantage`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decode(String.self, forKey: .source)
        state = try c.decode(State.self, forKey: .state)
        since = try c.decode(Int64.self, forKey: .since)
        lastData = try c.decodeIfPresent(Int64.self, forKey: .lastData)
        dataTime = try c.decodeIfPresent(Int64.self, forKey: .dataTime)
        detail = try c.decodeIfPresent(String.self, forKey: .detail) ?? ""
        vantage = try c.decodeIfPresent(String.self, forKey: .vantage) ?? ""
    }
}

/// Turns what a source reports of itself at each look (connected or not, a count of what
/// it received, the time of its newest data) into its health, and says when that changed.
public struct SourceHealthTracker: Sendable {
    public struct Limits: Sendable {
        /// Nothing received for this long: silent.
        public var silentAfter: Int64
        /// Newest data older than this: lagging (nil: the source's data is as of now).
        public var lagAfter: Int64?
        public init(silentAfter: Int64, lagAfter: Int64? = nil) {
            self.silentAfter = silentAfter
            self.lagAfter = lagAfter
        }
    }

    public let source: String
    public let limits: Limits
    public private(set) var health: SourceHealth
    var lastCount = 0
    let started: Int64

    public init(source: String, limits: Limits, now: Int64) {
        self.source = source
        self.limits = limits
        started = now
        health = SourceHealth(source: source, state: .starting, since: now)
    }

    /// One look at the source. `connected`: nil when the source has no connection to speak of.
    /// `count`: anything received so far (messages, files, rounds), growing. Returns the new
    /// health when the state changed.
    /// `trouble`: what the source found wrong with data that does arrive (incomplete).
    public mutating func observe(now: Int64, connected: Bool?, count: Int, dataTime: Int64?, detail: String, trouble: String? = nil) -> SourceHealth? {
        if count > lastCount {
            health.lastData = now
            lastCount = count
        }
        if let dataTime { health.dataTime = dataTime }
        health.detail = trouble.map { "\($0); \(detail)" } ?? detail
        let state: SourceHealth.State
        if connected == false {
            state = .down
        } else if let last = health.lastData {
            if now - last > limits.silentAfter {
                state = .silent
            } else if trouble != nil {
                state = .incomplete
            } else if let lag = limits.lagAfter, let t = health.dataTime, now - t > lag {
                state = .lagging
            } else {
                state = .up
            }
        } else {
            state = now - started > limits.silentAfter ? .silent : .starting
        }
        guard state != health.state else { return nil }
        health.state = state
        health.since = now
        return health
    }
}
