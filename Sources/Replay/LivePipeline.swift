public import BGPWire
import MRT
public import Signals
public import Probing
public import Store
public import Entities
public import Routing
import Foundation
public import Logging

/// The live path of `vigil collect`: elements from any number of sessions
/// (event-loop threads) are queued and applied on one thread to the same
/// routing state, signal engine and bin detector as `vigil replay`. Bins close
/// on the wall clock, so a quiet feed still produces rows; every `tick`
/// the watched entities are measured and judged by the `LiveDetector`, which
/// opens an outage within a tick of the last withdrawal.
///
/// Vigil's own downtime is a gap, not an outage: bins that closed before this run
/// held any route are not stored (no zeros before the sessions come up), and when
/// it stops, events still open end as "observation stopped", not as recoveries.
public final class LivePipeline: @unchecked Sendable {
    public struct Options: Sendable {
        public var binSeconds: Int64 = 300
        public var watch: [Entity] = []
        public var fullFeed = FullFeedPolicy()
        public var detector = Detector.Config()
        public var live = LiveDetector.Config()
        public var tick = 1.0
        public var dataPlane = DataPlaneDetector.Config()
        /// Keep every route's attributes (for RIB snapshots).
        public var keepAttributes = false
        /// What closes bins and times live judgement: the wall clock (live feeds), or the
        /// time of the data (archives followed as they are published, minutes late).
        public var clock = Clock.wall
        /// Whether any source feeds routes. Without one (`vigil probe` alone) down blocks are
        /// judged with no routing evidence: "unknown", never "withdrawn" from an empty table.
        public var routing = true
        /// Without a watch list: rows for this many origin ASes per bin at most (see `SignalEngine.topEntities`).
        public var topEntities: Int?
        /// Most elements queued for the pipeline thread: past it the collector's sockets stop
        /// being read (each connection may still hand on what one read brought) until it drains.
        public var maxQueued = 100_000
        public init() {}
    }

    public enum Clock: String, Sendable {
        case wall, data
    }

    /// What the pipeline has done so far (for status reports).
    public struct Status: Sendable {
        public var elements = 0
        public var routes = 0
        public var prefixes = 0
        public var queued = 0
        /// The most elements queued at once, and how often a connection's reading was paused for it.
        public var peakQueued = 0
        public var readPauses = 0
        public var rows = 0
        /// ADD-PATH paths refused beyond `PeerTable.maxPathsPerPrefix` for one (peer, prefix).
        public var refusedPaths = 0
        public var openEvents: [Event] = []
        public var lastTick = 0.0
        /// Routes held per peer ("ADDRESS AS").
        public var peerRoutes: [String: Int] = [:]
        /// The last probing round's rows, when probing runs alongside.
        public var probes: [ProbeRow] = []
    }

    public private(set) var options: Options
    let store: any SeriesStore
    let engine: SignalEngine
    let detector: Detector
    let live: LiveDetector
    let dataPlane: DataPlaneDetector
    /// Where what happens goes (the event bus in `vigil serve`), called on the pipeline thread:
    /// event changes (for live openings with the seconds since the last withdrawal arrived),
    /// feed changes and closed bins. Set before `start()`.
    public var publish: @Sendable (BusMessage) -> Void = { _ in }
    /// Where store errors and refused paths are said.
    public var logger = Logger(label: "vigil.pipeline")

    let cond = NSCondition()
    var queue: [BGPElement] = []
    /// Connections whose reading paused on a full queue: resumed once the pipeline takes the queue.
    var waiting: [@Sendable () -> Void] = []
    var tasks: [(SignalEngine) -> Void] = []
    var stopping = false
    var finished = false
    var status = Status()
    var reportedRefusals = 0
    /// Wall-clock time a withdrawal (or a session loss) was last applied.
    var lastWithdrawalAt = 0.0
    /// Wall-clock time of the last tick.
    var lastTick = 0.0
    /// Whether a route has arrived in this run: bins closed before that measured nothing.
    var observing = false
    /// The newest element time applied (the data clock).
    var dataTime: Int64 = 0
    /// Store writes take this long (seconds), for the metrics endpoint.
    public var onStoreWrite: @Sendable (Double) -> Void = { _ in }

    public init(options: Options, store: any SeriesStore, lookup: CountryLookup? = nil) {
        self.options = options
        self.store = store
        engine = SignalEngine(state: RoutingState(policy: options.fullFeed), binSeconds: options.binSeconds, lookup: lookup, watch: options.watch)
        engine.keepNotes = true
        engine.topEntities = options.topEntities
        // Live peers are strangers: what they announce and withdraw must not cost memory for ever.
        // (Followed archives keep every prefix, as `vigil replay` does, so both judge alike.)
        engine.state.forgetting = options.clock == .wall
        if options.keepAttributes { engine.state.attributeStore = AttributeStore() }
        detector = Detector(binSeconds: options.binSeconds, config: options.detector)
        live = LiveDetector(config: options.live)
        dataPlane = DataPlaneDetector(config: options.dataPlane)
    }

    /// Thread-safe: queues elements for the pipeline thread (none once it has stopped:
    /// sessions closing because the collector stops say nothing about the Internet).
    public func submit(_ elements: [BGPElement]) {
        guard !elements.isEmpty else { return }
        cond.lock()
        defer { cond.unlock() }
        guard !stopping else { return }
        queue += elements
        if queue.count > status.peakQueued { status.peakQueued = queue.count }
        cond.signal()
    }

    /// Flow control for the collector (thread-safe): true while the queue is below its bound.
    /// When full, `resume` is kept and called once the pipeline thread has taken the queue,
    /// and the caller stops reading its socket until then (TCP pushes back on the peer).
    public func admit(resume: @escaping @Sendable () -> Void) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        guard !stopping, queue.count >= options.maxQueued else { return true }
        waiting.append(resume)
        status.readPauses += 1
        return false
    }

    /// Runs `body` on the pipeline thread with the engine (its state consistent
    /// with every element submitted before), e.g. to write a RIB snapshot.
    public func perform(_ body: @escaping (SignalEngine) -> Void) {
        cond.lock()
        tasks.append(body)
        cond.signal()
        cond.unlock()
    }

    /// A new watch list (SIGHUP in `vigil serve`), applied on the pipeline thread between elements.
    public func setWatch(_ watch: [Entity]) {
        perform { [self] engine in
            engine.setWatch(watch)
            options.watch = watch
        }
    }

    public func start() {
        DetachedThread.start { [self] in run() }
    }

    /// Applies what is queued, closes the current bin, ends open events as "observation
    /// stopped", and stops the thread. Call it before closing the sessions.
    public func stop() {
        cond.lock()
        stopping = true
        cond.signal()
        while !finished { cond.wait() }
        cond.unlock()
    }

    public func snapshot() -> Status {
        cond.lock()
        defer { cond.unlock() }
        var s = status
        s.queued = queue.count
        return s
    }

    func run() {
        var nextTick = Date().timeIntervalSince1970 + options.tick
        var batch: [BGPElement] = []
        while true {
            cond.lock()
            while queue.isEmpty && tasks.isEmpty && !stopping && Date().timeIntervalSince1970 < nextTick {
                _ = cond.wait(until: Date(timeIntervalSince1970: nextTick))
            }
            // Swap buffers rather than copy: the queue keeps no second copy of a burst.
            swap(&batch, &queue)
            queue.removeAll(keepingCapacity: true)
            let stop = stopping
            let work = tasks
            tasks.removeAll()
            // The queue is empty again: paused connections read on while this batch is applied,
            // so at most two queues' worth is ever held.
            let resumes = waiting
            waiting.removeAll()
            cond.unlock()
            for r in resumes { r() }

            let withdrewBefore = lastWithdrawalAt
            apply(batch)
            for w in work { w(engine) }
            let wall = Date().timeIntervalSince1970
            // A withdrawal is judged within half a tick, not up to a whole one (quiet feeds still tick once a second).
            if lastWithdrawalAt != withdrewBefore && options.clock == .wall { nextTick = min(nextTick, lastTick + options.tick / 2) }
            let now = options.clock == .wall ? wall : Double(dataTime)
            if wall >= nextTick || stop {
                if options.clock == .wall || dataTime > 0 { tick(now) }
                lastTick = wall
                nextTick = wall + options.tick
            }
            if stop {
                let last = engine.finish()
                closeAll(observing ? last : [])
                stopObserving(at: Int64(now))
                cond.lock()
                finished = true
                cond.broadcast()
                cond.unlock()
                return
            }
        }
    }

    func apply(_ batch: [BGPElement]) {
        guard !batch.isEmpty else { return }
        var withdrew = false
        for e in batch {
            // Rows of bins an element closes are measured before it is applied, and judged at once:
            // the withdrawal notes of closed bins last only until the next bin closes.
            let closed = engine.apply(e)
            if observing && !closed.isEmpty { closeAll(closed) }
            if e.kind == .withdrawal || (e.kind == .state && e.oldState == 6) { withdrew = true }
            if Int64(e.timestamp) > dataTime { dataTime = Int64(e.timestamp) }
            if !observing && (e.kind == .announcement || e.kind == .rib) { observing = engine.state.routeCount > 0 }
        }
        if withdrew { lastWithdrawalAt = Date().timeIntervalSince1970 }
        cond.lock()
        status.elements += batch.count
        cond.unlock()
    }

    /// Closed bins: stored, judged by the bin detector (instability, and outages of entities not watched live).
    func closeAll(_ rows: [SeriesRow]) {
        guard !rows.isEmpty else { return }
        let liveEntities = liveJudged
        // Vantage points' feed events are stored as annotations (and drained, so they never pile up).
        let feed = engine.feed.take()
        for f in feed { publish(.feed(f)) }
        var changed = feed.map(\.event)
        for r in rows {
            for c in detector.observe(r, withdrawals: engine.takeNotes(entity: r.entity, bin: r.bin)) {
                // Watched entities' outages come from the live detector, seconds after the fact.
                if c.event.kind == .outage && liveEntities.contains(c.event.entity) { continue }
                changed.append(c.event)
                if c.event.kind.isAlert { publish(.event(c, latency: nil)) }
            }
        }
        let began = Date()
        storing { [step = options.binSeconds, changed] in
            try await $0.write(rows, step: step)
            try await $0.writeEvents(changed)
        }
        onStoreWrite(Date().timeIntervalSince(began))
        for bin in Set(rows.map(\.bin)).sorted() { publish(.binClosed(bin)) }
        // Entities gone for longer than the baseline window with nothing open are forgotten.
        if let last = rows.map(\.bin).max() { detector.prune(before: last - options.detector.window) }
        cond.lock()
        status.rows += rows.count
        cond.unlock()
    }

    /// Store calls from the pipeline's thread (and the prober's), waited for: an error is logged, the pipeline goes on.
    func storing(_ body: @escaping @Sendable (any SeriesStore) async throws -> Void) {
        let store = store
        do { try blockingWait { try await body(store) } } catch { logger.error("store: \(error)") }
    }

    /// The entities whose outages the live detector judges (the watched ones, on the wall
    /// clock); on the data clock a tick may span days of data, so the bin detector judges all.
    var liveJudged: Set<String> {
        options.clock == .wall ? Set(options.watch.map(\.description)) : []
    }

    /// Every open event: live outages, data-plane events, and the bin detector's (less the
    /// outages of watched entities, which the live detector reports).
    var openEvents: [Event] {
        let watched = liveJudged
        return live.openEvents + dataPlane.openEvents + detector.openEvents.filter { $0.kind != .outage || !watched.contains($0.entity) }
    }

    /// Events still open when the collector stops end at `t` as "observation stopped".
    func stopObserving(at t: Int64) {
        let watched = liveJudged
        let stopped = live.stopObserving(at: t) + dataPlane.stopObserving(at: t)
            + detector.stopObserving(at: t).filter { $0.kind != .outage || !watched.contains($0.entity) }
        for e in stopped { publish(.event(.closed(e), latency: nil)) }
        storing { try await $0.writeEvents(stopped) }
        cond.lock()
        status.openEvents = []
        cond.unlock()
    }

    func tick(_ now: Double) {
        let t = Int64(now)
        let closed = engine.advance(to: t)
        closeAll(observing ? closed : [])
        var changed: [Event] = []
        if !liveJudged.isEmpty {
            for row in engine.measureNow() {
                let flap = detector.instability(of: row.entity, at: t)
                for c in live.observe(row, at: t, withdrawals: engine.recentNotes(entity: row.entity), unstable: flap.flapping,
                                      instabilitySince: flap.since) {
                    changed.append(c.event)
                    let latency = options.clock == .wall ? Date().timeIntervalSince1970 - lastWithdrawalAt : nil
                    if case .opened = c { publish(.event(c, latency: latency)) } else { publish(.event(c, latency: nil)) }
                }
            }
        }
        if !changed.isEmpty { storing { [changed] in try await $0.writeEvents(changed) } }
        let refused = engine.state.refusedPaths
        if refused > reportedRefusals {
            logger.warning("\(refused - reportedRefusals) ADD-PATH announcements refused (\(refused) in all): a peer sent more than \(PeerTable.maxPathsPerPrefix) paths for one prefix")
            reportedRefusals = refused
        }
        cond.lock()
        status.refusedPaths = refused
        status.routes = engine.state.routeCount
        status.prefixes = engine.state.prefixes.live
        status.openEvents = openEvents
        status.lastTick = now
        status.peerRoutes = Dictionary(engine.state.peers.enumerated().map { ($1.address.description, engine.state.tables[$0].count) },
                                       uniquingKeysWith: +)
        cond.unlock()
    }
}
