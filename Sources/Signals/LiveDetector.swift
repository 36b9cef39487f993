/// Outage detection second by second for a live feed (`vigil collect`).
///
/// The bin detector waits for a bin to close and for hours of history; a
/// collector must raise an outage within seconds of the last peer withdrawing.
/// This one samples each watched entity's routed space every tick, keeps a
/// baseline (median of the samples of a trailing window, outside events,
/// trusted after `warmup` seconds), and opens an outage on the first tick
/// the space is down by the warning share — or by a whole /24 for tiny
/// entities — exactly as the bin detector judges a bin. While the entity's
/// routes flap (the bin detector has instability open), only a total loss
/// opens an outage. It closes on the first tick the space is back.
public final class LiveDetector {
    public struct Config: Sendable {
        public var warmup: Int64 = 600
        public var window: Int64 = 3600
        public var warningDrop = 0.10
        public var criticalDrop = 0.50
        public var tinyUnits = 16.0
        public init() {}
    }

    struct EntityState {
        var samples: [(t: Int64, space: Double)] = []
        var first: Int64?
        var outage: Event?
        var frozenBaseline = 0.0
        var last: SeriesRow?
        var lastSampleAt: Int64 = .min
    }

    public let config: Config
    var states: [String: EntityState] = [:]

    public init(config: Config = Config()) { self.config = config }

    /// Feeds one entity's signals as measured at `now`; `withdrawals` are its recent withdrawal notes.
    public func observe(_ row: SeriesRow, at now: Int64, withdrawals: [WithdrawalNote], unstable: Bool,
                        precededByInstability: Bool) -> [Detector.Change] {
        var st = states[row.entity] ?? EntityState()
        defer { states[row.entity] = st }
        let space = row.routedV4 + row.routedV6
        // An entity never seen routed has no baseline yet (its routes may still be arriving).
        if st.first == nil {
            guard space > 0 else { return [] }
            st.first = now
        }
        st.samples.removeAll { $0.t < now - config.window }
        let trusted = now - st.first! >= config.warmup && !st.samples.isEmpty
        let base = st.outage != nil ? st.frozenBaseline : Detector.median(st.samples.map(\.space))
        var out: [Detector.Change] = []
        let lost = base - space
        let drop = base > 0 ? lost / base : 0
        let tiny = base <= config.tinyUnits
        var down = trusted && base > 0 && (drop >= config.warningDrop || (tiny && lost >= 1 - 1e-9))
        if down && st.outage == nil && unstable && drop < 0.99 { down = false }
        if down {
            if var e = st.outage {
                if space < e.evidence.worst {
                    e.evidence.worst = space
                    e.evidence.visibilityWorst = row.meanVisibility
                    e.scope = max(e.scope, min(1, drop))
                    e.level = e.scope >= config.criticalDrop ? "critical" : "warning"
                    Detector.addWithdrawals(&e, withdrawals)
                    st.outage = e
                    out.append(.updated(e))
                }
            } else {
                let before = st.last
                let visBefore = before?.meanVisibility ?? 0
                let cause: Event.Cause = row.meanVisibility < visBefore - 1e-9 || row.visiblePrefixes < (before?.visiblePrefixes ?? 0)
                    ? .bgpWithdrawal : .unknown
                var e = Event(entity: row.entity, kind: .outage, cause: cause, start: now, end: nil, scope: min(1, drop), severity: 0,
                              level: drop >= config.criticalDrop ? "critical" : "warning", precededByInstability: precededByInstability,
                              evidence: .init(signal: "routed_space", baseline: base, before: before.map { $0.routedV4 + $0.routedV6 } ?? base,
                                              worst: space, visibilityBefore: visBefore, visibilityWorst: row.meanVisibility,
                                              note: cause == .bgpWithdrawal
                                                ? "routes withdrawn (live): the share of full-feed peers routing the entity's prefixes fell"
                                                : "routed space fell but peer visibility did not: signals disagree"))
                Detector.addWithdrawals(&e, withdrawals)
                if precededByInstability { e.evidence.note += "; preceded by route instability" }
                st.frozenBaseline = base
                st.outage = e
                out.append(.opened(e))
            }
        } else if var e = st.outage {
            let back = tiny ? lost < 1 - 1e-9 : drop < config.warningDrop
            if back {
                e.end = now
                e.severity = e.scope * Double(now - e.start) / 3600
                st.outage = nil
                out.append(.closed(e))
            }
        }
        // One sample a second at most, and none inside an outage: it must not become the new normal.
        if st.outage == nil && now > st.lastSampleAt {
            st.samples.append((now, space))
            st.lastSampleAt = now
        }
        st.last = row
        return out
    }

    /// Adds a note to the entity's open outage (e.g. the data plane confirming it); returns the event.
    public func annotate(entity: String, note: String) -> Event? {
        guard var e = states[entity]?.outage else { return nil }
        e.evidence.note += "; " + note
        states[entity]?.outage = e
        return e
    }

    /// Outages open now.
    public var openEvents: [Event] { states.values.compactMap(\.outage) }

    /// The collector stops at `t`: open outages end there as "observation stopped", not as recoveries.
    public func stopObserving(at t: Int64) -> [Event] {
        var out: [Event] = []
        for (entity, st) in states {
            guard let open = st.outage else { continue }
            out.append(open.stoppedObserving(at: t))
            states[entity]?.outage = nil
        }
        return out.sorted { ($0.start, $0.entity) < ($1.start, $1.entity) }
    }
}
