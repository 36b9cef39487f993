public import BGPWire
public import Probing
public import Signals

/// Where an element source puts what it receives: the pipeline (thread-safe, never blocks the caller
/// for long; once stopped it takes nothing more, so sources need not detach from it).
public protocol ElementSink: Sendable {
    func submit(_ elements: [BGPElement])
    /// Flow control: false when the sink is full; it calls `resume` once it takes more,
    /// and until then the source stops reading (see `LivePipeline.admit`).
    func admit(resume: @escaping @Sendable () -> Void) -> Bool
}

extension ElementSink {
    public func admit(resume: @escaping @Sendable () -> Void) -> Bool { true }
}

/// Where a probe-round source puts its rounds: the pipeline, which looks the down blocks up in the routing state.
public protocol ProbeRoundSink: Sendable {
    func submitProbes(rows: [ProbeRow], verdicts: [BlockVerdict], blocks: [BlockRecord])
}

/// What every source says of itself at a look: whether it is connected (nil: nothing to
/// connect to), how much it has received so far (growing), the time of its newest data
/// if it knows it, and a line for people.
public struct SourceReading: Sendable {
    public var connected: Bool?
    public var count: Int
    public var dataTime: Int64?
    public var detail: String
    /// What is wrong with the data that does arrive (nil: nothing known).
    public var trouble: String?
    public init(connected: Bool?, count: Int, dataTime: Int64? = nil, detail: String, trouble: String? = nil) {
        self.connected = connected
        self.count = count
        self.dataTime = dataTime
        self.detail = detail
        self.trouble = trouble
    }
}

/// A source of `vigil serve`: started in order, stopped in reverse after the pipeline (so
/// the sessions it closes are not seen as withdrawals), looked at every second for its health.
public protocol Source: AnyObject, Sendable {
    /// Names it in logs, health and metrics: `bgp`, `bmp`, `probe`, `follow rrc00`.
    var name: String { get }
    /// How long without data before it is silent, and how far its data may lag.
    var limits: SourceHealthTracker.Limits { get }
    func reading() -> SourceReading
    /// Stops receiving and completes what it writes (archives); returns once done.
    func stop()
}

/// A source of BGP elements: the collector, the BMP station, an archive follower.
public protocol ElementSource: Source {
    func start(into sink: any ElementSink) throws
    /// When the process drops its privileges after starting its sources, they listen but
    /// accept nothing (and dial nothing) until this is called, so no peer's byte is read as root.
    func acceptConnections()
    /// Once a second, from the monitor: a source's own archives complete the files whose period is over.
    func flush(now: Int64)
}

extension ElementSource {
    public func acceptConnections() {}
    public func flush(now: Int64) {}
}

/// A source of probing rounds: the prober.
public protocol ProbeRoundSource: Source {
    func start(into sink: any ProbeRoundSink) throws
}
