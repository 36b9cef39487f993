import BGPWire
import Signals
import Entities
import Replay
import Store
import Simulator
#if canImport(Glibc)
import Glibc
#endif

/// Runs each case through the real pipeline (simulate → MRT → replay →
/// detect) and scores the events against the ground truth.
public struct Evaluator {
    public struct Score: Sendable {
        public var outagesTrue = 0
        public var outagesFound = 0
        public var detectedOutages = 0
        public var falseOutages = 0
        public var falseOutagesOnControl = 0
        /// Onset: a found outage's start minus its scripted start's bin; end: the same for ends (absolute).
        public var delays: [Int64] = []
        public var endErrors: [Int64] = []
        public var causesRight = 0
        public var causesJudged = 0
        public var instabilityTrue = 0
        public var instabilityFound = 0
        public var detectedInstability = 0
        public var falseInstability = 0
        public var falseInstabilityOnControl = 0
        /// Decoys scripted, and alerts overlapping one that no truth of their entity explains.
        public var decoys = 0
        public var decoyAlarms = 0
        public var preceded = 0
        public var precededRight = 0
        public var cases = 0
        public var misses: [String] = []

        public var recall: Double { outagesTrue == 0 ? 1 : Double(outagesFound) / Double(outagesTrue) }
        /// Over every alert, outages and instability: the share that the truth explains.
        public var precision: Double {
            let alerts = detectedOutages + detectedInstability
            return alerts == 0 ? 1 : Double(alerts - falseOutages - falseInstability) / Double(alerts)
        }
        public var causeAccuracy: Double { causesJudged == 0 ? 1 : Double(causesRight) / Double(causesJudged) }
        public var medianDelay: Int64 { Self.median(delays) }
        public var worstDelay: Int64 { delays.max() ?? 0 }
        public var medianEndError: Int64 { Self.median(endErrors) }
        public var worstEndError: Int64 { endErrors.max() ?? 0 }
        static func median(_ xs: [Int64]) -> Int64 { xs.isEmpty ? 0 : xs.sorted()[xs.count / 2] }
    }

    public let binSeconds: Int64
    public var progress: ((Int, Int, String) -> Void)?

    public init(binSeconds: Int64 = 300) { self.binSeconds = binSeconds }

    public func run(_ cases: [TruthCase], workDir: String) throws -> Score {
        var score = Score()
        mkdir(workDir, 0o755)
        for (i, c) in cases.enumerated() {
            progress?(i, cases.count, c.name)
            let dir = workDir + "/case-\(i)"
            var g = Generator(c.scenario)
            let out = try g.write(to: dir)
            var o = ReplayRunner.Options()
            o.ribs = [out.rib]
            o.updates = [out.updates]
            o.binSeconds = binSeconds
            o.watch = c.entities.compactMap(Entity.init)
            o.detect = true
            let store = MemoryStore()
            let r = ReplayRunner(options: o, store: store, entityMap: nil)
            r.report = { _ in }
            _ = try r.run()
            let events = try blockingWait { try await store.events(entity: nil, from: nil, until: nil) }
            score.add(c, events, bin: binSeconds)
            for f in out.updates + [out.rib] { unlink(f) }
            rmdir(dir)
        }
        return score
    }
}

extension Evaluator.Score {
    mutating func add(_ c: TruthCase, _ events: [Event], bin: Int64) {
        cases += 1
        // Only alerts count: blips and feed events are annotations.
        let alerts = events.filter(\.kind.isAlert)
        let outages = alerts.filter { $0.kind == .outage }
        func span(_ e: Event) -> String { "\(UTCTime.format(e.start))-\(e.end.map(UTCTime.format) ?? "open")" }
        var matched = Set<String>()
        for t in c.truth where t.kind == "outage" {
            outagesTrue += 1
            // The truth's first bin; a detection counts if it starts there or within two bins after.
            let truthBin = t.start - t.start % bin
            if let e = outages.first(where: { $0.entity == t.entity && $0.start >= truthBin && $0.start <= truthBin + 2 * bin && !matched.contains($0.id) }) {
                matched.insert(e.id)
                outagesFound += 1
                delays.append(e.start - truthBin)
                if let end = e.end { endErrors.append(abs(end - (t.end - t.end % bin))) }
                causesJudged += 1
                if e.cause.rawValue == t.cause { causesRight += 1 } else {
                    misses.append("\(c.name): \(t.entity) outage at \(UTCTime.format(t.start)) has cause \(e.cause.rawValue), truth \(t.cause)")
                }
                let wasFlapped = c.truth.contains { $0.entity == t.entity && $0.kind == "instability" && $0.end <= t.start }
                preceded += 1
                if e.precededByInstability == wasFlapped { precededRight += 1 } else {
                    misses.append("\(c.name): \(t.entity) outage at \(UTCTime.format(t.start)) preceded_by_instability \(e.precededByInstability), truth \(wasFlapped)")
                }
            } else {
                let seen = events.filter { $0.entity == t.entity }.map { "\($0.kind.rawValue) \(span($0)) scope \($0.scope)" }
                misses.append("\(c.name): \(t.entity) outage at \(UTCTime.format(t.start))-\(UTCTime.format(t.end)) not found; detected: \(seen.joined(separator: "; "))")
            }
        }
        for t in c.truth where t.kind == "instability" {
            instabilityTrue += 1
            if alerts.contains(where: { $0.kind == .instability && $0.entity == t.entity && $0.start < t.end && ($0.end ?? .max) > t.start }) {
                instabilityFound += 1
            } else {
                misses.append("\(c.name): \(t.entity) instability at \(UTCTime.format(t.start))-\(UTCTime.format(t.end)) not found")
            }
        }
        func truths(_ e: Event) -> String {
            c.truth.filter { $0.entity == e.entity }.map { "\($0.kind) \(UTCTime.format($0.start))-\(UTCTime.format($0.end))" }.joined(separator: ", ")
        }
        func decoy(_ e: Event) -> TruthCase.Decoy? {
            c.decoys.first { e.start < $0.end + bin && (e.end ?? .max) > $0.start }
        }
        detectedOutages += outages.count
        var unexplained: [Event] = []
        for e in outages where !matched.contains(e.id) {
            falseOutages += 1
            if c.control { falseOutagesOnControl += 1 }
            unexplained.append(e)
            misses.append("\(c.name): false outage of \(e.entity) at \(span(e)) (scope \(e.scope), \(e.evidence.note)); truth: \(truths(e))")
        }
        let instability = alerts.filter { $0.kind == .instability }
        detectedInstability += instability.count
        for e in instability {
            // Instability at the start of a scripted outage is the withdrawal's own churn.
            guard !c.truth.contains(where: { $0.kind == "instability" && $0.entity == e.entity && $0.start < (e.end ?? .max) && $0.end > e.start }),
                  !c.truth.contains(where: { $0.kind == "outage" && $0.entity == e.entity && abs($0.start - e.start) < 3600 }) else { continue }
            falseInstability += 1
            if c.control { falseInstabilityOnControl += 1 }
            unexplained.append(e)
            misses.append("\(c.name): instability of \(e.entity) at \(span(e)) outside any flapping (\(e.evidence.flaps) flaps); truth: \(truths(e))")
        }
        decoys += c.decoys.count
        for e in unexplained {
            guard let d = decoy(e) else { continue }
            decoyAlarms += 1
            misses.append("\(c.name): \(e.kind.rawValue) of \(e.entity) at \(span(e)) during decoy '\(d.what)' \(UTCTime.format(d.start))-\(UTCTime.format(d.end))")
        }
    }

    /// The scores with the goals they are held to (`EvaluationTests` asserts them on one seed).
    public func table(bin: Int64) -> String {
        func pct(_ v: Double) -> String { "\(Double(Int(v * 1000)) / 10)%" }
        func minutes(_ s: Int64) -> String { s % 60 == 0 ? "\(s / 60) min" : "\(Double(s / 6) / 10) min" }
        return """
            cases (incl. noise-only controls)  \(cases)
            outages in the ground truth        \(outagesTrue)
            recall                             \(pct(recall))  (\(outagesFound) of \(outagesTrue); goal 100%)
            precision, outage + instability    \(pct(precision))  (\(falseOutages + falseInstability) false of \(detectedOutages + detectedInstability) alerts: \(falseOutages) outages, \(falseInstability) instability; goal 95%)
            false alerts on control cases      \(falseOutagesOnControl) outages, \(falseInstabilityOnControl) instability  (goal 0 outages)
            decoy alarms                       \(decoyAlarms)  (\(decoys) decoys: peers losing their session or withdrawing their table; goal 0)
            onset, median / worst              \(minutes(medianDelay)) / \(minutes(worstDelay))  (after the scripted start's bin; bin \(bin / 60) min; goal median within one bin)
            outage end error, median / worst   \(minutes(medianEndError)) / \(minutes(worstEndError))  (\(endErrors.count) ended; goal within two bins)
            cause correct                      \(pct(causeAccuracy))  (\(causesRight) of \(causesJudged); goal 95%)
            preceded-by-instability correct    \(precededRight) of \(preceded)
            instability periods found          \(instabilityFound) of \(instabilityTrue)
            """
    }
}
