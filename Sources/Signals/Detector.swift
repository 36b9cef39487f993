#if canImport(Glibc)
import Glibc
#endif

/// Turns per-entity signal rows into events as bins arrive.
///
/// **Outages** are judged on the space still carried by at least a quarter of the
/// full-feed peers (`SeriesRow.presentV4/V6`): what leaves it was withdrawn by
/// nearly every peer. A prefix dropped by a few peers is routing, not an outage.
/// The baseline is the median of a trailing window (24 h, as IODA), frozen while
/// a loss is pending or open so the outage never becomes the new normal. A bin is
/// down when the loss reaches the warning share — or, for tiny entities (a
/// baseline of at most `tinyUnits`), any whole unit: for a network of four /24s
/// every route matters.
///
/// **Withdrawn, not moved**: a loss is an outage only when withdrawals of the
/// entity's routes were seen in it; space that left without any (another origin
/// took it, the peers carrying it changed) is an annotation and the new normal.
///
/// **Persistence**: a loss opens an outage only once it has lasted
/// `minimumOutageBins` bins (it then starts at its first bin); a shorter one is a
/// blip, kept as an annotation. That costs one bin of delay and keeps a prefix
/// withdrawn for two minutes from paging anyone.
///
/// **Instability is reachability churn**: prefixes falling from more than two
/// thirds of the full-feed peers to two thirds or fewer (`SeriesRow.flaps`), in
/// `instabilityFlapBins` bins of an `instabilityWindow` with one prefix falling
/// twice — or, for a network whose prefixes flap one after another, flaps at a
/// sustained rate four times its own. Path and community changes at a single
/// peer never count, nor do the falls that begin a loss (unless it ends a blip).
/// An episode covers the whole flapping period and ends after a quiet spell
/// (`quietBins`, longer for long episodes). While routes flap a loss must outlast
/// the flaps — `flappingOutageBins` for a total loss, `flappingPartialOutageBins`
/// for a partial one — before it is an outage; the total losses that did not are
/// counted in the episode's evidence. An outage that follows an episode says so.
public final class Detector {
    public struct Config: Sendable {
        public var window: Int64 = 86_400
        public var warningDrop = 0.10
        public var criticalDrop = 0.50
        public var tinyUnits = 16.0
        /// Bins a loss must last to be an outage (shorter: a blip).
        public var minimumOutageBins = 2
        /// The same while the entity's routes flap, for a total loss (flaps last minutes), and for
        /// a partial one (the flapping itself, unless it outlasts any flap: kit flaps last at most 12 min).
        public var flappingOutageBins = 3
        public var flappingPartialOutageBins = 4
        /// Instability: bins with flaps needed within the window.
        public var instabilityWindow: Int64 = 7200
        public var instabilityFlapBins = 2
        /// Bins without a flap that end an episode; an episode that has lasted longer
        /// needs a longer pause (a quarter of its length, up to `longestQuietBins`):
        /// a day of flapping is not over after an hour of calm.
        public var quietBins = 12
        public var longestQuietBins = 72
        /// A sustained rate also opens an episode without a prefix falling twice (a big network whose
        /// prefixes flap one after another): in the last hour at least `sustainedFlaps` flaps in
        /// `sustainedFlapBins` bins, and `sustainedRatio` times the entity's own hourly rate before
        /// (known over at least `sustainedHistory` seconds): a chronic flapper is its own normal.
        public var sustainedFlaps = 8
        public var sustainedFlapBins = 5
        public var sustainedRatio = 4.0
        public var sustainedHistory: Int64 = 6 * 3600
        public var instabilityLookback: Int64 = 6 * 3600
        public var instabilityMinimum: Int64 = 3600
        /// Bins needed before any baseline is trusted.
        public var minimumHistory = 12
        public init() {}
    }

    public enum Change: Sendable {
        case opened(Event)
        case updated(Event)
        case closed(Event)
        public var event: Event {
            switch self { case let .opened(e), let .updated(e), let .closed(e): e }
        }
    }

    /// A loss not (yet) long enough to be an outage.
    struct Loss {
        var first: SeriesRow
        var before: SeriesRow?
        var bins = 0
        var worst: Double
        var worstRow: SeriesRow
        var depth = 0.0
        var notes: [WithdrawalNote] = []
    }

    struct EntityState {
        var history: [(bin: Int64, space: Double)] = []
        var cachedBaseline: (space: Double, at: Int64)? = nil
        var outage: Event?
        var frozenBaseline = 0.0
        var loss: Loss?
        var instability: Event?
        var quiet = 0
        /// Recent bins with flaps (bin, flaps, repeats), within the instability window.
        var flapBins: [(bin: Int64, flaps: Int, repeats: Int)] = []
        /// Flaps of the bins of a loss not yet judged: the loss's own if it becomes an outage, flaps if a blip.
        var heldFlaps: [(bin: Int64, flaps: Int, repeats: Int)] = []
        /// Withdrawals of prefixes several peers dropped in those bins (evidence of the next episode update).
        var flapNotes: [WithdrawalNote] = []
        var pastInstability: [(start: Int64, end: Int64)] = []
        /// Total losses too short to be outages, within the instability window (start, seconds).
        var recentLosses: [(start: Int64, seconds: Int64)] = []
        var lastRow: SeriesRow?
        /// Flaps per bin over the trailing window (bins with none left out), and the first bin seen.
        var flapHistory: [(bin: Int64, flaps: Int)] = []
        var firstBin: Int64?
    }

    public let config: Config
    public let binSeconds: Int64
    let rule: LossRule
    /// `quietBins` bins in seconds, saturating: a bin size given by a user must not trap.
    let quietSpan: Int64
    var states: [String: EntityState] = [:]
    public private(set) var events: [String: Event] = [:]

    public init(binSeconds: Int64 = 300, config: Config = Config()) {
        self.binSeconds = binSeconds
        self.config = config
        rule = LossRule(warningDrop: config.warningDrop, criticalDrop: config.criticalDrop, tinyUnits: config.tinyUnits)
        let (q, overflow) = Int64(config.quietBins).multipliedReportingOverflow(by: binSeconds)
        quietSpan = overflow ? .max : q
    }

    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Severity people sort by: share lost × hours × size (log2 of the normal space in
    /// /24s and /48s, plus 2), so a country dark for an hour outranks a /24 dark for a day.
    public static func severity(scope: Double, seconds: Int64, baseline: Double) -> Double {
        scope * Double(max(seconds, 0)) / 3600 * log2(2 + max(baseline, 0))
    }

    /// Forgets entities with no row since `before` and nothing open (live feeds: a year of origin
    /// ASes that came and went must not cost memory for ever).
    public func prune(before: Int64) {
        states = states.filter { _, st in
            (st.lastRow?.bin ?? .max) >= before || st.outage != nil || st.loss != nil || st.instability != nil
        }
    }

    /// Feeds one bin of one entity; `withdrawals` are that bin's withdrawal notes for evidence.
    public func observe(_ row: SeriesRow, withdrawals: [WithdrawalNote] = []) -> [Change] {
        // Taken out, not copied: a copy would share its history with the dictionary's and
        // copy it on the first change, for every entity in every bin.
        var st = states.removeValue(forKey: row.entity) ?? EntityState()
        defer { states[row.entity] = st }
        var out: [Change] = []
        let space = row.presentV4 + row.presentV6
        let windowStart = row.bin - config.window
        st.history.removeAll { $0.bin < windowStart }
        if st.cachedBaseline == nil || row.bin - st.cachedBaseline!.at >= 3600 {
            st.cachedBaseline = (Detector.median(st.history.map(\.space)), row.bin)
        }
        let trusted = st.history.count >= config.minimumHistory
        let frozen = st.outage != nil || st.loss != nil
        let base = frozen ? st.frozenBaseline : st.cachedBaseline!.space

        let (lossNow, drop) = rule.judge(base: base, space: space)
        let down = trusted && lossNow

        instability(row, withdrawals, losing: down && st.outage == nil, trusted: trusted, base: base, &st, &out)

        let total = drop >= 0.99
        if var e = st.outage {
            if down {
                e.scope = max(e.scope, drop)
                e.level = rule.level(e.scope)
                e.severity += Self.severity(scope: drop, seconds: binSeconds, baseline: base)
                if space < e.evidence.worst {
                    e.evidence.worst = space
                    e.evidence.visibilityWorst = row.meanVisibility
                }
                Self.addWithdrawals(&e, withdrawals)
                st.outage = e
                out.append(.updated(e))
            } else {
                e.end = row.bin
                st.outage = nil
                out.append(.closed(e))
            }
        } else if down {
            if st.loss == nil {
                st.frozenBaseline = base
                st.loss = Loss(first: row, before: st.lastRow, worst: space, worstRow: row)
            }
            st.loss!.bins += 1
            st.loss!.depth += drop
            st.loss!.notes += withdrawals.prefix(64)
            if space < st.loss!.worst { (st.loss!.worst, st.loss!.worstRow) = (space, row) }
            let flapping = isFlapping(row.bin, st)
            // While routes flap, a partial loss is the flapping itself and a total loss must outlast
            // the flaps; after a flap or two (no episode yet) any loss must outlast them.
            let needed = flapping ? (total ? config.flappingOutageBins : config.flappingPartialOutageBins)
                : st.flapBins.isEmpty ? config.minimumOutageBins : config.flappingOutageBins
            if st.loss!.bins >= needed {
                if st.loss!.notes.isEmpty {
                    blip(st.loss!, end: row.bin &+ binSeconds, base: base, movedTo: space, &st, &out)
                } else {
                    open(st.loss!, base: base, &st, &out)
                }
            }
        } else if let loss = st.loss {
            blip(loss, end: row.bin, base: base, &st, &out)
        }
        // Bins inside losses do not move the baseline.
        st.history.append((row.bin, st.outage == nil && st.loss == nil ? space : st.frozenBaseline))
        st.lastRow = row
        // Blips are handed on (stored as annotations) but not kept: a long run has many.
        for c in out where c.event.kind.isAlert { events[c.event.id] = c.event }
        return out
    }

    /// Episodes of reachability churn.
    func instability(_ row: SeriesRow, _ notes: [WithdrawalNote], losing: Bool, trusted: Bool, base: Double, _ st: inout EntityState,
                     _ out: inout [Change]) {
        if row.flaps > 0 && losing && st.instability == nil {
            // Prefixes falling as a loss begins are the loss's own: flaps only if it turns out a blip.
            st.heldFlaps.append((row.bin, row.flaps, row.repeatFlaps))
            st.flapNotes += Self.flapping(notes)
        } else if row.flaps > 0 {
            st.flapBins.append((row.bin, row.flaps, row.repeatFlaps))
            st.flapNotes += Self.flapping(notes)
        }
        st.flapBins.removeAll { $0.bin <= row.bin - config.instabilityWindow }
        if st.firstBin == nil { st.firstBin = row.bin }
        if row.flaps > 0 { st.flapHistory.append((row.bin, row.flaps)) }
        st.flapHistory.removeAll { $0.bin <= row.bin - config.window }
        if st.flapNotes.count > 256 { st.flapNotes.removeFirst(st.flapNotes.count - 256) }
        if var e = st.instability {
            if row.flaps > 0 {
                st.quiet = 0
                Self.addFlaps(&e, st.flapNotes)
                st.flapNotes.removeAll()
                e.evidence.flaps += row.flaps
                e.evidence.churnPeak = max(e.evidence.churnPeak, Double(row.flaps))
                e.severity += Self.severity(scope: 0.25, seconds: binSeconds, baseline: base)
                st.instability = e
                out.append(.updated(e))
            } else {
                st.quiet += 1
                let lasted = Int((row.bin - e.start) / binSeconds)
                if st.quiet >= max(config.quietBins, min(config.longestQuietBins, lasted / 4)) {
                    closeInstability(at: row.bin &- Int64(st.quiet - 1) &* binSeconds, &st, &out)
                }
            }
            return
        }
        guard trusted, st.outage == nil, st.flapBins.count >= config.instabilityFlapBins,
              st.flapBins.contains(where: { $0.repeats > 0 }) || sustained(row.bin, st) else { return }
        let start = st.flapBins[0].bin
        let flaps = st.flapBins.reduce(0) { $0 + $1.flaps }
        let losses = st.recentLosses.filter { $0.start >= start }
        var e = Event(entity: row.entity, kind: .instability, cause: .routeInstability, start: start, end: nil, scope: 1,
                      severity: Self.severity(scope: 0.25, seconds: row.bin &+ binSeconds &- start, baseline: base), level: "warning",
                      precededByInstability: false,
                      evidence: .init(signal: "flaps", churnPeak: Double(st.flapBins.map(\.flaps).max() ?? 0),
                                      note: "prefixes fell to two thirds of the full-feed peers or fewer and came back, again and again", flaps: flaps))
        Self.addFlaps(&e, st.flapNotes)
        st.flapNotes.removeAll()
        e.evidence.totalLosses = losses.count
        e.evidence.longestLoss = losses.map(\.seconds).max() ?? 0
        st.quiet = 0
        st.instability = e
        out.append(.opened(e))
    }

    /// Flaps at a sustained rate well above the entity's own (see `Config.sustainedFlaps`).
    func sustained(_ bin: Int64, _ st: EntityState) -> Bool {
        let hourStart = bin &+ binSeconds &- 3600
        let recent = st.flapBins.filter { $0.bin >= hourStart }
        let flaps = recent.reduce(0) { $0 + $1.flaps }
        guard recent.count >= config.sustainedFlapBins, flaps >= config.sustainedFlaps, let first = st.firstBin else { return false }
        let known = min(config.window, hourStart - first)
        guard known >= config.sustainedHistory else { return false }
        let before = st.flapHistory.reduce(0) { $0 + ($1.bin < hourStart ? $1.flaps : 0) }
        return Double(flaps) >= config.sustainedRatio * Double(before) * 3600 / Double(known)
    }

    func closeInstability(at end: Int64, _ st: inout EntityState, _ out: inout [Change]) {
        guard var e = st.instability else { return }
        e.end = max(end, e.start &+ binSeconds)
        st.pastInstability.append((e.start, e.end!))
        st.instability = nil
        // The flaps were this episode's: a new one needs flaps of its own.
        st.flapBins.removeAll()
        st.flapNotes.removeAll()
        out.append(.closed(e))
    }

    /// Routes flapping now: an episode open or just over, or flaps in two bins of the window already.
    func isFlapping(_ bin: Int64, _ st: EntityState) -> Bool {
        st.instability != nil || st.flapBins.count >= 2
            || (st.pastInstability.last.map { bin - $0.end <= quietSpan } ?? false)
    }

    func open(_ loss: Loss, base: Double, _ st: inout EntityState, _ out: inout [Change]) {
        let row = loss.worstRow, before = loss.before
        let scope = min(1, max(0, base - loss.worst) / base)
        let visBefore = before?.meanVisibility ?? 0
        let cause = LossRule.cause(withdrawals: !loss.notes.isEmpty, before: before, worst: row)
        let since = instabilitySince(loss.first.bin, st)
        var e = Event(entity: row.entity, kind: .outage, cause: cause, start: loss.first.bin, end: nil, scope: scope,
                      severity: Self.severity(scope: loss.depth / Double(max(loss.bins, 1)), seconds: Int64(loss.bins) &* binSeconds, baseline: base),
                      level: rule.level(scope), precededByInstability: since != nil,
                      evidence: .init(signal: "routed_space", baseline: base, before: before.map { $0.presentV4 + $0.presentV6 } ?? base,
                                      worst: loss.worst, visibilityBefore: visBefore, visibilityWorst: row.meanVisibility,
                                      note: LossRule.note(cause, scope: scope, preceded: since != nil), instabilitySince: since))
        Self.addWithdrawals(&e, loss.notes)
        // The total loss ends the flapping episode: what follows is the outage.
        if st.instability != nil { closeInstability(at: loss.first.bin, &st, &out) }
        st.heldFlaps.removeAll()
        st.loss = nil
        st.outage = e
        out.append(.opened(e))
    }

    /// A loss that ended before it was long enough: an annotation, and evidence of any flapping around it.
    /// `movedTo`: the loss lasted but no withdrawal of the entity's routes was seen in it (another origin
    /// took the prefixes, or the peers carrying them changed): not an outage, and what is left (this
    /// space) becomes the entity's normal.
    func blip(_ loss: Loss, end: Int64, base: Double, movedTo space: Double? = nil, _ st: inout EntityState, _ out: inout [Change]) {
        st.loss = nil
        st.flapBins = (st.flapBins + st.heldFlaps).sorted { $0.bin < $1.bin }
        st.heldFlaps.removeAll()
        let scope = base > 0 ? min(1, max(0, base - loss.worst) / base) : 0
        if let space {
            st.history = st.history.map { ($0.bin, space) }
            st.cachedBaseline = (space, end)
        } else if scope >= 0.99 {
            st.recentLosses.removeAll { $0.start <= end - config.instabilityWindow }
            st.recentLosses.append((loss.first.bin, end - loss.first.bin))
            if var e = st.instability {
                e.evidence.totalLosses += 1
                e.evidence.longestLoss = max(e.evidence.longestLoss, end - loss.first.bin)
                st.instability = e
                out.append(.updated(e))
            }
        }
        var b = Event(entity: loss.first.entity, kind: .blip, cause: loss.notes.isEmpty ? .unknown : .bgpWithdrawal, start: loss.first.bin,
                      end: end, scope: scope, severity: 0, level: "info", precededByInstability: false,
                      evidence: .init(signal: "routed_space", baseline: base, worst: loss.worst,
                                      note: space == nil ? "a loss shorter than the minimum outage duration"
                                          : "space left with no withdrawal of the entity's routes (another origin, or other peers): not an outage"))
        Self.addWithdrawals(&b, loss.notes)
        out.append(.closed(b))
    }

    /// When the instability before `t` began, if there was at least `instabilityMinimum` of it within the lookback.
    func instabilitySince(_ t: Int64, _ st: EntityState) -> Int64? {
        var total: Int64 = 0
        var first: Int64?
        for p in st.pastInstability where p.end >= t - config.instabilityLookback {
            total += p.end - p.start
            first = min(first ?? p.start, p.start)
        }
        if let open = st.instability {
            total += t - open.start
            first = min(first ?? open.start, open.start)
        }
        return total >= config.instabilityMinimum ? first : nil
    }

    /// The withdrawals of prefixes that at least two peers dropped in the bin: the flapping ones.
    static func flapping(_ notes: [WithdrawalNote]) -> [WithdrawalNote] {
        var peers: [String: Set<String>] = [:]
        for n in notes { peers[n.prefix, default: []].insert(n.peer) }
        return notes.filter { (peers[$0.prefix]?.count ?? 0) >= 2 }
    }

    /// Instability evidence: the prefixes that flapped and the peers that dropped them.
    static func addFlaps(_ e: inout Event, _ notes: [WithdrawalNote]) {
        for n in notes.sorted(by: { $0.time < $1.time }) {
            if !e.evidence.peersInOrder.contains(n.peer) && e.evidence.peersInOrder.count < 32 { e.evidence.peersInOrder.append(n.peer) }
            if !e.evidence.prefixes.contains(n.prefix) && e.evidence.prefixes.count < 64 { e.evidence.prefixes.append(n.prefix) }
        }
    }

    static func addWithdrawals(_ e: inout Event, _ notes: [WithdrawalNote]) {
        guard e.cause == .bgpWithdrawal, e.evidence.peersInOrder.count < 32 else { return }
        for n in notes.sorted(by: { $0.time < $1.time }) {
            if !e.evidence.peersInOrder.contains(n.peer) && e.evidence.peersInOrder.count < 32 { e.evidence.peersInOrder.append(n.peer) }
            if !e.evidence.prefixes.contains(n.prefix) && e.evidence.prefixes.count < 64 { e.evidence.prefixes.append(n.prefix) }
        }
        // Whether every lost path ran through the same AS next to the origin (the upstream).
        let upstreams = Set(notes.compactMap { $0.lostPath.count >= 2 ? $0.lostPath[$0.lostPath.count - 2] : nil })
        if upstreams.count == 1, let u = upstreams.first, e.evidence.commonUpstream == nil || e.evidence.commonUpstream == u {
            e.evidence.commonUpstream = u
        } else if upstreams.count > 1 {
            e.evidence.commonUpstream = nil
        }
    }

    /// For live detection: whether the entity's routes are flapping now, and since when
    /// the instability before an outage starting at `t` began (nil: not enough of it).
    public func instability(of entity: String, at t: Int64) -> (flapping: Bool, since: Int64?) {
        guard let st = states[entity] else { return (false, nil) }
        return (isFlapping(t, st), instabilitySince(t, st))
    }

    /// Adds a note to the entity's open outage (e.g. the data plane confirming it); returns the event.
    public func annotate(entity: String, note: String) -> Event? {
        guard var e = states[entity]?.outage else { return nil }
        e.evidence.note += "; " + note
        states[entity]?.outage = e
        return e
    }

    /// Events open now.
    public var openEvents: [Event] {
        states.values.flatMap { [$0.outage, $0.instability].compactMap { $0 } }
    }

    /// The input ends at `t` (archive over, collector stopping): every open event ends
    /// there as "observation stopped", not as a recovery. Returns them.
    public func stopObserving(at t: Int64) -> [Event] {
        var out: [Event] = []
        for (entity, st) in states {
            for open in [st.outage, st.instability].compactMap({ $0 }) {
                let e = open.stoppedObserving(at: t)
                events[e.id] = e
                out.append(e)
            }
            states[entity]?.outage = nil
            states[entity]?.instability = nil
            // A loss not yet long enough is neither an outage nor a blip: its end was not seen.
            states[entity]?.loss = nil
        }
        return out.sorted { ($0.start, $0.entity) < ($1.start, $1.entity) }
    }
}
