/// Outage detection second by second for a live feed (`vigil collect`).
///
/// The bin detector waits for a bin to close and for hours of history; a
/// collector must raise an outage within seconds of the last peer withdrawing.
/// This one samples each watched entity's routed space every tick, keeps a
/// baseline (median of the samples of a trailing window, outside events,
/// trusted after `warmup` seconds), and judges the space as the bin detector
/// does: down by the warning share — or by a whole /24 for tiny entities — of
/// the space nearly every full-feed peer withdrew (withdrawals seen, not space that
/// moved to another origin). A loss becomes an outage once
/// it has lasted `minimumOutage` seconds (the bin detector's minimum: one bin),
/// starting when it began; while the entity's routes flap it must outlast the
/// flaps (`flappingOutage`, `flappingPartialOutage` for a partial loss). It closes on the first tick the
/// space is back.
public final class LiveDetector {
    public struct Config: Sendable {
        public var warmup: Int64 = 600
        public var window: Int64 = 3600
        public var warningDrop = 0.10
        public var criticalDrop = 0.50
        public var tinyUnits = 16.0
        /// Seconds a loss must last to be an outage (the bin detector's two bins: more than one bin).
        public var minimumOutage: Int64 = 300
        /// The same while the entity's routes flap, for a total and for a partial loss (the bin detector's 3 and 4 bins).
        public var flappingOutage: Int64 = 900
        public var flappingPartialOutage: Int64 = 1200
        public init() {}
    }

    struct EntityState {
        /// A loss seen but not yet long enough: since when, the row before it, the worst space.
        var lossSince: Int64?
        var lossBefore: SeriesRow?
        /// Whether withdrawals of the entity's routes were seen during the loss (else the space moved).
        var lossWithdrawn = false
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
                        instabilitySince: Int64?) -> [Detector.Change] {
        let precededByInstability = instabilitySince != nil
        var st = states[row.entity] ?? EntityState()
        defer { states[row.entity] = st }
        let space = row.presentV4 + row.presentV6
        // An entity never seen routed has no baseline yet (its routes may still be arriving).
        if st.first == nil {
            guard space > 0 else { return [] }
            st.first = now
        }
        st.samples.removeAll { $0.t < now - config.window }
        let trusted = now - st.first! >= config.warmup && !st.samples.isEmpty
        let base = st.outage != nil || st.lossSince != nil ? st.frozenBaseline : Detector.median(st.samples.map(\.space))
        var out: [Detector.Change] = []
        let rule = LossRule(warningDrop: config.warningDrop, criticalDrop: config.criticalDrop, tinyUnits: config.tinyUnits)
        let judged = rule.judge(base: base, space: space)
        let drop = judged.drop
        let down = trusted && judged.down
        // Persistence: a loss is an outage only once it has lasted the minimum.
        if down && st.outage == nil {
            if st.lossSince == nil {
                st.lossSince = now
                st.lossBefore = st.last
                st.frozenBaseline = base
                st.lossWithdrawn = false
            }
            st.lossWithdrawn = st.lossWithdrawn || !withdrawals.isEmpty
            let needed = unstable ? (drop >= 0.99 ? config.flappingOutage : config.flappingPartialOutage) : config.minimumOutage
            if now - st.lossSince! < needed {
                st.last = row
                return []
            }
            if !st.lossWithdrawn {
                // As the bin detector: space that left with no withdrawal moved; what is left is the normal now.
                st.lossSince = nil
                st.samples = st.samples.map { ($0.t, space) }
                st.last = row
                return []
            }
        } else if !down {
            st.lossSince = nil
        }
        if down {
            if var e = st.outage {
                if space < e.evidence.worst {
                    e.evidence.worst = space
                    e.evidence.visibilityWorst = row.meanVisibility
                    e.scope = max(e.scope, drop)
                    e.level = rule.level(e.scope)
                    Detector.addWithdrawals(&e, withdrawals)
                    st.outage = e
                    out.append(.updated(e))
                }
            } else {
                let before = st.lossBefore ?? st.last
                let visBefore = before?.meanVisibility ?? 0
                let cause = LossRule.cause(withdrawals: !withdrawals.isEmpty, before: before, worst: row)
                var e = Event(entity: row.entity, kind: .outage, cause: cause, start: st.lossSince ?? now, end: nil, scope: drop, severity: 0,
                              level: rule.level(drop), precededByInstability: precededByInstability,
                              evidence: .init(signal: "routed_space", baseline: base, before: before.map { $0.presentV4 + $0.presentV6 } ?? base,
                                              worst: space, visibilityBefore: visBefore, visibilityWorst: row.meanVisibility,
                                              note: LossRule.note(cause, scope: drop, preceded: precededByInstability) + " (live)"))
                Detector.addWithdrawals(&e, withdrawals)
                e.evidence.instabilitySince = instabilitySince
                st.lossSince = nil
                st.outage = e
                out.append(.opened(e))
            }
        } else if var e = st.outage {
            if !judged.down {
                e.end = now
                e.severity = Detector.severity(scope: e.scope, seconds: now - e.start, baseline: e.evidence.baseline)
                st.outage = nil
                out.append(.closed(e))
            }
        }
        // One sample a second at most, and none inside an outage: it must not become the new normal.
        if st.outage == nil && st.lossSince == nil && now > st.lastSampleAt {
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
