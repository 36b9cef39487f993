/// Turns per-entity signal rows into events as bins arrive.
///
/// Outages: routed space (IPv4 /24s plus IPv6 /48s) against a baseline, the
/// median of a trailing window (24 h for BGP, as IODA). An outage opens when the
/// drop reaches the warning threshold — or, for tiny entities (a baseline of at
/// most `tinyUnits`), when any whole unit is lost: for a network of four /24s
/// every route matters. It closes when the space is back within the warning
/// threshold (a whole unit for tiny entities). The baseline is frozen while an
/// event is open so the outage does not become the new normal.
///
/// Instability: churn (announcements + withdrawals per bin) far above the
/// entity's own trailing median; it closes after `quietBins` bins without a burst, and partial
/// drops while it lasts (or within `quietBins` after) are part of it, not outages.
/// An outage that starts within `instabilityLookback` after at least
/// `instabilityMinimum` of instability is marked as preceded by it.
public final class Detector {
    public struct Config: Sendable {
        public var window: Int64 = 86_400
        public var warningDrop = 0.10
        public var criticalDrop = 0.50
        public var tinyUnits = 16.0
        public var churnFactor = 4.0
        public var churnMinimum = 4.0
        public var quietBins = 12
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

    struct EntityState {
        var history: [(bin: Int64, space: Double, churn: Double, visibility: Double)] = []
        var cachedBaseline: (space: Double, churn: Double, at: Int64)? = nil
        var outage: Event?
        var frozenBaseline = 0.0
        var instability: Event?
        var quiet = 0
        /// Bins of the recent window with a churn burst (instability opens on the second).
        var recentBursts: [Int64] = []
        var recentTwoSided: [Int64] = []
        /// A total loss while flapping waits one more bin to tell a flap from an outage.
        var pendingLoss: (bin: Int64, row: SeriesRow, notes: [WithdrawalNote])?
        var beforePending: SeriesRow?
        var frozenChurn = 0.0
        var pastInstability: [(start: Int64, end: Int64)] = []
        var lastRow: SeriesRow?
    }

    public let config: Config
    public let binSeconds: Int64
    /// `quietBins` bins in seconds, saturating: a bin size given by a user must not trap.
    let quietSpan: Int64
    var states: [String: EntityState] = [:]
    public private(set) var events: [String: Event] = [:]

    public init(binSeconds: Int64 = 300, config: Config = Config()) {
        self.binSeconds = binSeconds
        self.config = config
        let (q, overflow) = Int64(config.quietBins).multipliedReportingOverflow(by: binSeconds)
        quietSpan = overflow ? .max : q
    }

    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Feeds one bin of one entity; `withdrawals` are that bin's withdrawal notes for evidence.
    public func observe(_ row: SeriesRow, withdrawals: [WithdrawalNote] = []) -> [Change] {
        var st = states[row.entity] ?? EntityState()
        defer { states[row.entity] = st }
        var out: [Change] = []
        let space = row.routedV4 + row.routedV6
        let churn = Double(row.announcements + row.withdrawals)
        // Baseline from the trailing window, not counting bins inside open events (refreshed hourly).
        let windowStart = row.bin - config.window
        st.history.removeAll { $0.bin < windowStart }
        if st.cachedBaseline == nil || row.bin - st.cachedBaseline!.at >= 3600 {
            st.cachedBaseline = (Detector.median(st.history.map(\.space)), Detector.median(st.history.map(\.churn)), row.bin)
        }
        let trusted = st.history.count >= config.minimumHistory
        let baseSpace = st.outage != nil ? st.frozenBaseline : st.cachedBaseline!.space
        let baseChurn = st.instability != nil ? st.frozenChurn : st.cachedBaseline!.churn

        // Instability: churn bursts in at least two bins of the recent window (one
        // burst alone is a session reset or a single change, not instability).
        // The churn of an outage starting or ending is the outage's, not instability.
        let lostNow = baseSpace - space
        let outageBin = st.outage != nil || (trusted && baseSpace > 0 && lostNow / baseSpace >= config.criticalDrop)
        // A burst: far above the entity's own median.
        let threshold = max(config.churnMinimum, baseChurn * config.churnFactor)
        // A bin with both withdrawals and announcements is flapping; one-sided churn in a
        // bin where everything went (or came back) is the outage's own.
        // "Two-sided" needs real re-announcements, not a few stragglers next to a mass withdrawal.
        let twoSided = row.announcements > 0 && row.withdrawals > 0 && Double(row.announcements) >= 0.1 * Double(row.withdrawals)
        let burst = trusted && (twoSided || !outageBin) && churn > threshold
        if burst { st.recentBursts.append(row.bin) }
        if burst && twoSided { st.recentTwoSided.append(row.bin) }
        st.recentBursts.removeAll { $0 <= row.bin - quietSpan }
        st.recentTwoSided.removeAll { $0 <= row.bin - quietSpan }
        // Two bursts, one of them with routes both going and coming back: one peer's
        // session reset (withdrawals in one bin, announcements in the next) is not instability.
        let unstable = st.recentBursts.count >= 2 && !st.recentTwoSided.isEmpty
        if burst && (st.instability != nil || unstable) {
            st.quiet = 0
            if var e = st.instability {
                e.severity += 1.0 * Double(binSeconds) / 3600
                e.evidence.churnPeak = max(e.evidence.churnPeak, churn)
                st.instability = e
                out.append(.updated(e))
            } else {
                st.frozenChurn = baseChurn
                let e = Event(entity: row.entity, kind: .instability, cause: .routeInstability, start: st.recentBursts.first ?? row.bin, end: nil, scope: 1,
                              severity: Double(binSeconds) / 3600, level: "warning", precededByInstability: false,
                              evidence: .init(signal: "churn", churnBaseline: baseChurn, churnPeak: churn,
                                              note: "announcements + withdrawals per bin far above the entity's own median"))
                st.instability = e
                out.append(.opened(e))
            }
        } else if var e = st.instability, !burst || !unstable {
            st.quiet += 1
            if st.quiet >= config.quietBins {
                e.end = row.bin - (quietSpan - binSeconds)
                st.pastInstability.append((e.start, e.end!))
                st.instability = nil
                out.append(.closed(e))
            }
        }

        // Outages.
        let lost = baseSpace - space
        let drop = baseSpace > 0 ? lost / baseSpace : 0
        let tiny = baseSpace <= config.tinyUnits
        var isDown = trusted && baseSpace > 0 && (drop >= config.warningDrop || (tiny && lost >= 1 - 1e-9))
        // While routes flap, partial drops are the instability itself (visibility
        // flaps), not outages; losing everything is an outage whatever came before.
        // Flapping: instability open or just over, or this very bin bursting with both
        // withdrawals and re-announcements (a clean partial withdrawal has no announcements).
        let flapping = st.instability != nil || (burst && twoSided)
            || (st.pastInstability.last.map { row.bin - $0.end <= quietSpan } ?? false)
        // A total loss while routes flap, in a bin where routes also came back, may be
        // a flap: it opens an outage only if it is still down one bin later (starting
        // at the first bin). A one-sided total loss opens at once.
        var confirmed: (bin: Int64, row: SeriesRow, notes: [WithdrawalNote])? = nil
        if let p = st.pendingLoss {
            st.pendingLoss = nil
            if isDown && drop >= 0.99 { confirmed = p }
        } else if isDown && st.outage == nil && flapping && drop >= 0.99 && twoSided {
            st.pendingLoss = (row.bin, row, withdrawals)
            isDown = false
        }
        if isDown && st.outage == nil && flapping && drop < 0.99 {
            isDown = false
            if var e = st.instability ?? nil, !e.evidence.note.contains("visibility") {
                e.evidence.note += "; prefixes dropped below half of the full-feed peers for short spells (visibility flaps)"
                st.instability = e
            }
        }
        if isDown {
            if var e = st.outage {
                e.scope = max(e.scope, min(1, drop))
                e.severity += min(1, drop) * Double(binSeconds) / 3600
                e.level = e.scope >= config.criticalDrop ? "critical" : "warning"
                if space < e.evidence.worst {
                    e.evidence.worst = space
                    e.evidence.visibilityWorst = row.meanVisibility
                }
                Self.addWithdrawals(&e, withdrawals)
                st.outage = e
                out.append(.updated(e))
            } else {
                st.frozenBaseline = baseSpace
                let first = confirmed?.row ?? row
                let before = confirmed == nil ? st.lastRow : st.beforePending
                let visBefore = before?.meanVisibility ?? 0
                // Withdrawal when the routes are gone from the peers; unknown if space fell with visibility intact.
                let cause: Event.Cause = row.meanVisibility < visBefore - 1e-9 || row.visiblePrefixes < (before?.visiblePrefixes ?? 0)
                    ? .bgpWithdrawal : .unknown
                let preceded = instabilityBefore(first.bin, st)
                let bins = confirmed == nil ? 1.0 : 2.0
                var e = Event(entity: row.entity, kind: .outage, cause: cause, start: first.bin, end: nil, scope: min(1, drop),
                              severity: bins * min(1, drop) * Double(binSeconds) / 3600, level: drop >= config.criticalDrop ? "critical" : "warning",
                              precededByInstability: preceded,
                              evidence: .init(signal: "routed_space", baseline: baseSpace, before: before.map { $0.routedV4 + $0.routedV6 } ?? baseSpace,
                                              worst: space, visibilityBefore: visBefore, visibilityWorst: row.meanVisibility,
                                              note: cause == .bgpWithdrawal
                                                ? "routes withdrawn: the share of full-feed peers routing the entity's prefixes fell"
                                                : "routed space fell but peer visibility did not: signals disagree"))
                Self.addWithdrawals(&e, (confirmed?.notes ?? []) + withdrawals)
                if preceded { e.evidence.note += "; preceded by route instability" }
                st.outage = e
                out.append(.opened(e))
            }
        } else if var e = st.outage {
            let recovered = tiny ? lost < 1 - 1e-9 : drop < config.warningDrop
            if recovered {
                e.end = row.bin
                st.outage = nil
                out.append(.closed(e))
            }
        }
        // Bins inside events do not move the baselines: an outage (or hours of
        // flapping) must not become the new normal.
        st.history.append((row.bin, st.outage == nil ? space : st.frozenBaseline,
                           st.instability == nil ? churn : st.frozenChurn, row.meanVisibility))
        // The row before a pending loss is its "before" when the loss is confirmed.
        if st.pendingLoss?.bin == row.bin { st.beforePending = st.lastRow } else if st.pendingLoss == nil { st.beforePending = row }
        st.lastRow = row
        for c in out { events[c.event.id] = c.event }
        return out
    }

    func instabilityBefore(_ t: Int64, _ st: EntityState) -> Bool {
        var total: Int64 = 0
        for p in st.pastInstability where p.end >= t - config.instabilityLookback { total += p.end - p.start }
        if let open = st.instability { total += t - open.start }
        return total >= config.instabilityMinimum
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

    /// For live detection: whether the entity's routes are flapping now (instability
    /// open or just over), and whether an outage starting at `t` follows enough of it.
    public func instability(of entity: String, at t: Int64) -> (flapping: Bool, preceded: Bool) {
        guard let st = states[entity] else { return (false, false) }
        let recent = st.pastInstability.last.map { t - $0.end <= quietSpan } ?? false
        return (st.instability != nil || recent, instabilityBefore(t, st))
    }

    /// Adds a note to the entity's open outage (e.g. the data plane confirming it); returns the event.
    public func annotate(entity: String, note: String) -> Event? {
        guard var e = states[entity]?.outage else { return nil }
        e.evidence.note += "; " + note
        states[entity]?.outage = e
        return e
    }

    /// Events still open at the end of the input (their `end` stays nil).
    public var openEvents: [Event] {
        states.values.flatMap { [$0.outage, $0.instability].compactMap { $0 } }
    }
}
