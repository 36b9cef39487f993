public import BGPWire
public import Probing

/// Turns probing rounds into data-plane events, diagnosed with the routing state.
///
/// Outage: at least `downShare` of an entity's judged blocks are down. The
/// cause comes from the control plane, looked up by the caller for each down
/// block: still routed → `unreachable-while-routed` (a DDoS, filtering,
/// congestion or a broken path: the Internet knows a way, packets do not get
/// there); no longer routed → the routes were withdrawn, and when the BGP side
/// already has that outage open the probes only confirm it (`confirmation`);
/// routing not observed (probing alone) → `unknown`. The cause follows the
/// blocks: an event that starts unreachable-while-routed and ends withdrawn
/// (the December 2014 pattern) says so in its note.
///
/// Degradation: blocks up, but the round's median RTT is `rttFactor` times its
/// baseline (and at least `rttMinimumIncrease` more), or its loss is
/// `lossIncrease` above the baseline loss (losing at least `lossMinimumLost`
/// probes) → `latency-degradation`. Baselines
/// are medians of the entity's earlier rounds in `window`, outside events,
/// trusted after `minimumHistory` rounds.
public final class DataPlaneDetector {
    public struct Config: Sendable {
        public var downShare = 0.1
        public var rttFactor = 3.0
        public var rttMinimumIncrease = 0.02
        public var lossIncrease = 0.25
        /// A round must lose at least this many probes to be lossy (one lost of three is noise).
        public var lossMinimumLost = 5
        public var window: Int64 = 7 * 86_400
        public var minimumHistory = 3
        public init() {}
    }

    /// What the routing state says of one down block: the covering route and how many peers carry it; nil: unrouted.
    public struct Route: Hashable, Sendable {
        public var prefix: Prefix
        public var peers: Int
        public var origin: UInt32
        public init(prefix: Prefix, peers: Int, origin: UInt32) {
            self.prefix = prefix
            self.peers = peers
            self.origin = origin
        }
    }

    struct EntityState {
        var history: [(t: Int64, rtt: Double, loss: Double)] = []
        var outage: Event?
        var degradation: Event?
        var last: ProbeRow?
        var confirmed = false
    }

    public let config: Config
    var states: [String: EntityState] = [:]

    public init(config: Config = Config()) { self.config = config }

    /// Feeds one round of one entity. `down` are its down blocks; `routes` (nil when routing
    /// is not observed) maps each down block to its covering route, if any; `bgpOutageOpen`
    /// says whether the control plane already reports the entity's outage.
    /// Returns the event changes and, when the probes confirm an open BGP outage, a note saying so.
    public func observe(_ row: ProbeRow, down: [Prefix], routes: [Prefix: Route?]?, bgpOutageOpen: Bool = false)
        -> (changes: [Detector.Change], confirmation: String?) {
        var st = states[row.entity] ?? EntityState()
        defer { states[row.entity] = st }
        var out: [Detector.Change] = []
        var confirmation: String?
        let share = row.judged > 0 ? Double(row.down) / Double(row.judged) : 0
        let isDown = row.down > 0 && share >= config.downShare - 1e-9

        // Diagnosis of the down blocks.
        let routed = down.filter { (routes?[$0] ?? nil) != nil }
        let cause: Event.Cause
        let why: String
        if routes == nil {
            cause = .unknown
            why = "\(row.down) of \(row.judged) judged blocks unreachable; routing not observed (probe alongside `vigil collect` to tell a withdrawal from unreachable-while-routed)"
        } else if routed.count * 2 >= down.count && !down.isEmpty {
            cause = .unreachableWhileRouted
            let via = routed.prefix(3).compactMap { b in (routes?[b] ?? nil).map { "\(b) via \($0.prefix) (origin AS\($0.origin), \($0.peers) peers)" } }
            why = "\(row.down) of \(row.judged) judged blocks unreachable while still routed: \(via.joined(separator: "; ")) — packets do not get there (DDoS, filtering, congestion or a broken path)"
        } else {
            cause = .bgpWithdrawal
            why = "\(row.down) of \(row.judged) judged blocks unreachable and \(down.count - routed.count) of them no longer routed: the data plane confirms the withdrawal"
        }

        if isDown {
            if cause == .bgpWithdrawal && bgpOutageOpen && st.outage == nil {
                // The control plane already has this outage: the probes only confirm it.
                if !st.confirmed { confirmation = "confirmed by the data plane at \(row.time): \(why)" }
                st.confirmed = true
            } else if var e = st.outage {
                var changed = false
                if Double(row.up) < e.evidence.worst {
                    e.evidence.worst = Double(row.up)
                    e.scope = max(e.scope, share)
                    e.level = e.scope >= 0.5 ? "critical" : "warning"
                    e.evidence.prefixes = Array(Set(e.evidence.prefixes + down.map(\.description))).sorted()
                    changed = true
                }
                if cause != e.cause && cause != .unknown {
                    e.evidence.note += "; at \(row.time) the cause became \(cause.rawValue): \(why)"
                    e.cause = cause
                    changed = true
                }
                if changed {
                    st.outage = e
                    out.append(.updated(e))
                }
            } else {
                let before = st.last.map { Double($0.up) } ?? Double(row.judged)
                let e = Event(entity: row.entity, kind: .outage, cause: cause, start: row.time, end: nil, scope: share, severity: 0,
                              level: share >= 0.5 ? "critical" : "warning", precededByInstability: false,
                              evidence: .init(signal: "blocks_up", baseline: Double(row.judged), before: before, worst: Double(row.up),
                                              prefixes: down.map(\.description), note: why))
                st.outage = e
                out.append(.opened(e))
            }
        } else {
            st.confirmed = false
            if var e = st.outage {
                e.end = row.time
                e.severity = e.scope * Double(row.time - e.start) / 3600
                st.outage = nil
                out.append(.closed(e))
            }
        }

        // Degradation: only while blocks answer (an outage is not slowness).
        let recent = st.history.filter { $0.t >= row.time - config.window }
        st.history = recent
        let trusted = recent.count >= config.minimumHistory
        let baseRTT = Detector.median(recent.map(\.rtt))
        let baseLoss = Detector.median(recent.map(\.loss))
        let rttLimit = max(baseRTT * config.rttFactor, baseRTT + config.rttMinimumIncrease)
        let slow = row.answered > 0 && row.rttMedian >= rttLimit
        let lossy = row.sent - row.answered >= config.lossMinimumLost && row.loss >= baseLoss + config.lossIncrease
        let degraded = trusted && row.up > 0 && !isDown && (slow || lossy)
        if degraded {
            let note = "RTT median \(DataPlaneDetector.ms(row.rttMedian)) (p95 \(DataPlaneDetector.ms(row.rttP95))) against a baseline of \(DataPlaneDetector.ms(baseRTT)); loss \(DataPlaneDetector.pct(row.loss)) against \(DataPlaneDetector.pct(baseLoss)); \(row.up) of \(row.judged) blocks up: reachable but degraded — queueing and drops on the path (congestion, e.g. a flood)"
            if var e = st.degradation {
                if row.rttMedian > e.evidence.worst {
                    e.evidence.worst = row.rttMedian
                    e.scope = max(e.scope, row.loss)
                    e.evidence.note = note
                    st.degradation = e
                    out.append(.updated(e))
                }
            } else {
                let e = Event(entity: row.entity, kind: .degradation, cause: .latencyDegradation, start: row.time, end: nil,
                              scope: row.loss, severity: 0, level: row.rttMedian >= 10 * max(baseRTT, 0.001) ? "critical" : "warning",
                              precededByInstability: false,
                              evidence: .init(signal: slow ? "rtt_median" : "loss", baseline: slow ? baseRTT : baseLoss,
                                              before: st.last?.rttMedian ?? baseRTT, worst: slow ? row.rttMedian : row.loss, note: note))
                st.degradation = e
                out.append(.opened(e))
            }
        } else if var e = st.degradation, !slow && !lossy {
            e.end = row.time
            e.severity = max(e.scope, 0.01) * Double(row.time - e.start) / 3600
            st.degradation = nil
            out.append(.closed(e))
        }
        // Baselines learn from normal rounds only.
        if st.outage == nil && st.degradation == nil && !isDown && row.answered > 0 {
            st.history.append((row.time, row.rttMedian, row.loss))
        }
        st.last = row
        return (out, confirmation)
    }

    public var openEvents: [Event] { states.values.flatMap { [$0.outage, $0.degradation].compactMap { $0 } } }

    /// Probing stops at `t`: open events end there as "observation stopped", not as recoveries.
    public func stopObserving(at t: Int64) -> [Event] {
        var out: [Event] = []
        for (entity, st) in states {
            for open in [st.outage, st.degradation].compactMap({ $0 }) { out.append(open.stoppedObserving(at: t)) }
            states[entity]?.outage = nil
            states[entity]?.degradation = nil
        }
        return out.sorted { ($0.start, $0.entity) < ($1.start, $1.entity) }
    }

    public static func ms(_ s: Double) -> String { s >= 0.1 ? "\(Int((s * 1000).rounded())) ms" : "\(Double(Int(s * 100_000)) / 100) ms" }
    public static func pct(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }

    /// One round of an entity in a line: blocks, judgements, answers, RTT.
    public static func summary(_ r: ProbeRow) -> String {
        let loss = r.sent > 0 ? " (loss \(pct(r.loss)))" : ""
        let rtt = r.answered > 0 ? "RTT median \(ms(r.rttMedian)), p95 \(ms(r.rttP95))" : "no RTT (no replies)"
        return "\(r.blocks) blocks, \(r.judged) judged: \(r.up) up, \(r.down) down, \(r.uncertain) uncertain; \(r.answered)/\(r.sent) answered\(loss); \(rtt)"
    }
}
