import BGPWire
import MRT
public import Signals
public import Store
public import Entities
public import Routing

/// Archives → routing state → signals → store: the engine of `vigil replay`.
public final class ReplayRunner {
    public struct Options {
        public var ribs: [String] = []
        /// One entry per collector: its updates files in time order.
        public var updates: [[String]] = []
        public var binSeconds: Int64 = 300
        public var watch: [Entity] = []
        public var from: UInt32? = nil
        public var until: UInt32? = nil
        public var fullFeed = FullFeedPolicy()
        /// Run the detector on the rows and store events.
        public var detect = false
        public var detector = Detector.Config()
        public init() {}
    }

    public struct Summary: Sendable {
        public var elements = 0
        /// Distinct time bins stored (each holds one row per entity).
        public var bins = 0
        public var rows = 0
        /// Problems with the input: records or files skipped.
        public var issues = 0
        /// Caveats about what the input lets Vigil know (no RIB, peers missing from it, …).
        public var notes = 0
        public var unknownPeers = 0
        public var unknownWithdrawals = 0
        /// ADD-PATH paths refused beyond `PeerTable.maxPathsPerPrefix` for one (peer, prefix).
        public var refusedPaths = 0
        public var outOfOrder = 0
        /// Records read straight from their bytes, and records the typed decoder took (odd or old ones).
        public var walkedRecords = 0
        public var typedRecords = 0
        public var seconds = 0.0
    }

    let options: Options
    let store: any SeriesStore
    let lookup: CountryLookup?
    public var report: (String) -> Void = { printError("vigil: \($0)") }
    /// Called now and then with (bytes read, total bytes, elements).
    public var progress: ((Int, Int, Int) -> Void)?
    public private(set) var engine: SignalEngine
    public private(set) var detector: Detector
    /// Called for each event as it opens, updates and closes.
    public var onEvent: ((Detector.Change) -> Void)?
    /// Every vantage point's feed event (session lost, table withdrawn), in order.
    public private(set) var feedEvents: [FeedEvent] = []
    /// Without a RIB the state is learnt from updates: nothing is judged until the
    /// tables have converged, i.e. the routes held grew by under 1% over the last
    /// hour. Until then a table still filling looks like space appearing and,
    /// wherever a peer has not yet re-announced, like space lost. At that point the
    /// full-feed set is decided once and kept (see `RoutingState.freezeFullFeed`).
    public private(set) var convergedAt: Int64?
    var routeCounts: [Int] = []

    public init(options: Options, store: any SeriesStore, entityMap: EntityMap?, mmdb: MMDB? = nil) {
        self.options = options
        self.store = store
        lookup = (entityMap?.isEmpty ?? true) && mmdb == nil ? nil : CountryLookup(entityMap ?? EntityMap(), mmdb: mmdb)
        engine = SignalEngine(state: RoutingState(policy: options.fullFeed), binSeconds: options.binSeconds, lookup: lookup,
                              watch: options.watch)
        engine.keepNotes = options.detect
        detector = Detector(binSeconds: options.binSeconds, config: options.detector)
    }

    /// Runs the detector on closed rows and stores the events it changed.
    func detect(_ rows: [SeriesRow]) throws {
        // Drained whether or not events are detected, so they never pile up.
        let feed = engine.feed.take()
        if convergedAt == nil, let bin = rows.first?.bin {
            routeCounts.append(engine.state.routeCount)
            let hour = Int(3600 / options.binSeconds)
            if !options.ribs.isEmpty || (routeCounts.count > hour && Double(routeCounts.last!) <= Double(routeCounts[routeCounts.count - 1 - hour]) * 1.01) {
                convergedAt = bin
                if options.ribs.isEmpty { engine.state.freezeFullFeed() }
            }
        }
        guard options.detect else { return }
        var changed: [Event] = []
        for f in feed {
            if f.end == nil { feedEvents.append(f) } else if let i = feedEvents.lastIndex(where: { $0.peer == f.peer && $0.start == f.start }) {
                feedEvents[i] = f
            }
            changed.append(f.event)
        }
        if convergedAt == nil {
            try storeEvents(changed)
            return
        }
        for r in rows {
            for c in detector.observe(r, withdrawals: engine.takeNotes(entity: r.entity, bin: r.bin)) {
                onEvent?(c)
                changed.append(c.event)
            }
        }
        try storeEvents(changed)
    }

    /// The replay runs on a thread of its own (a command's): it waits for the store.
    func storeEvents(_ events: [Event]) throws {
        guard !events.isEmpty else { return }
        try blockingWait { [store] in try await store.writeEvents(events) }
    }

    public func run() throws -> Summary {
        var s = Summary()
        let started = monotonicSeconds()
        var issues = 0, notes = 0
        let problem: (String) -> Void = { [report] in issues += 1; report($0) }
        let note: (String) -> Void = { [report] in notes += 1; report($0) }
        let allFiles = options.ribs + options.updates.flatMap { $0 }
        let total = allFiles.reduce(0) { $0 + fileSize($1) }
        if options.ribs.isEmpty {
            note("no RIB given: routes announced before the first update are unknown, and withdrawals of them are counted as unknown")
        }
        // Per peer index: seen in a RIB, reported as missing from it.
        var ribPeers: [Bool] = [], reportedPeers: [Bool] = []
        var pending: [SeriesRow] = []
        var lastBin: Int64?
        // Bins are written while the engine goes on with the next (two cores, both busy).
        let writer = BackgroundWriter(store: store, step: options.binSeconds)
        func flush() throws {
            try detect(pending)
            if !pending.isEmpty {
                try writer.submit(pending)
                s.rows += pending.count
                // Rows come bin by bin; one apply may close several bins.
                for r in pending where r.bin != lastBin {
                    s.bins += 1
                    lastBin = r.bin
                }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let rib = MergedStream(options.ribs.map { RouteFileStream(files: [$0], onIssue: problem) })
        let updates = MergedStream(options.updates.map { RouteFileStream(files: $0, onIssue: problem) })
        var lastTime: UInt32 = 0
        let haveRIB = !options.ribs.isEmpty
        var outOfOrderReported = false
        var n = 0
        func feed(_ batch: borrowing RouteBatch, fromRIB: Bool) throws {
            let t = batch.timestamp
            // The time range selects updates; a RIB is the starting state whatever its time.
            if !fromRIB {
                if let f = options.from, t < f { return }
                if let u = options.until, t >= u { return }
                if t < lastTime && !outOfOrderReported {
                    outOfOrderReported = true
                    note("timestamps go backwards (\(t) after \(lastTime)): such elements are counted in the current bin")
                }
                lastTime = max(lastTime, t)
            }
            for e in batch.elements {
                n += 1
                let peer = engine.peerIndex(e.peerAddress, e.peerAS)
                if peer >= ribPeers.count {
                    ribPeers.append(contentsOf: repeatElement(false, count: peer + 1 - ribPeers.count))
                    reportedPeers.append(contentsOf: repeatElement(false, count: peer + 1 - reportedPeers.count))
                }
                if fromRIB {
                    ribPeers[peer] = true
                } else if haveRIB, !ribPeers[peer], !reportedPeers[peer], e.kind != .state {
                    reportedPeers[peer] = true
                    s.unknownPeers += 1
                    note("updates from \(engine.state.peers[peer]), a peer not in the RIB: its routes from before the updates are unknown")
                }
                let rows = engine.apply(e, peer: peer, in: batch)
                if !rows.isEmpty {
                    pending += rows
                    try flush()
                }
                if n & 0xFFFF == 0 { progress?(rib.bytesRead + updates.bytesRead, total, n) }
            }
        }
        while try rib.nextBatch({ try feed($0, fromRIB: true) }) {}
        while try updates.nextBatch({ try feed($0, fromRIB: false) }) {}
        let last = engine.finish()
        pending += last
        try flush()
        try writer.finish()
        // The archive ends, not the events: those still open end there as "observation stopped".
        if options.detect { try storeEvents(detector.stopObserving(at: max(Int64(lastTime), last.first?.bin ?? 0))) }
        progress?(total, total, n)
        s.elements = n
        s.walkedRecords = rib.walkedRecords + updates.walkedRecords
        s.typedRecords = rib.typedRecords + updates.typedRecords
        s.unknownWithdrawals = engine.unknownWithdrawals
        s.outOfOrder = engine.outOfOrder
        s.refusedPaths = engine.state.refusedPaths
        if s.refusedPaths > 0 {
            note("\(s.refusedPaths) ADD-PATH announcements refused: a peer sent more than \(PeerTable.maxPathsPerPrefix) paths for one prefix")
        }
        if s.unknownWithdrawals > 0 {
            note("\(s.unknownWithdrawals) withdrawals of routes never announced (no RIB, or a peer's table incomplete)")
        }
        var origins: [(prefix: Prefix, origin: UInt32, seen: Int64)] = []
        let st = engine.state
        for id in 0..<st.prefixes.count where st.origin[id] != 0 {
            origins.append((st.prefixes[UInt32(id)], st.origin[id], Int64(lastTime)))
        }
        try blockingWait { [store, origins] in try await store.savePrefixOrigins(origins) }
        s.issues = issues
        s.notes = notes
        s.seconds = monotonicSeconds() - started
        return s
    }
}

#if canImport(Glibc)
import Glibc
#endif

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}

public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
