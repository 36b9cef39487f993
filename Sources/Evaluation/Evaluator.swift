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
        public var delays: [Int64] = []
        public var causesRight = 0
        public var causesJudged = 0
        public var instabilityTrue = 0
        public var instabilityFound = 0
        public var falseInstability = 0
        public var preceded = 0
        public var precededRight = 0
        public var cases = 0
        public var misses: [String] = []

        public var recall: Double { outagesTrue == 0 ? 1 : Double(outagesFound) / Double(outagesTrue) }
        public var precision: Double { detectedOutages == 0 ? 1 : Double(detectedOutages - falseOutages) / Double(detectedOutages) }
        public var causeAccuracy: Double { causesJudged == 0 ? 1 : Double(causesRight) / Double(causesJudged) }
        public var medianDelay: Int64 { delays.isEmpty ? 0 : delays.sorted()[delays.count / 2] }
        public var worstDelay: Int64 { delays.max() ?? 0 }
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
            let events = try store.events(entity: nil, from: nil, until: nil)
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
        let outages = events.filter { $0.kind == .outage }
        var matched = Set<String>()
        for t in c.truth where t.kind == "outage" {
            outagesTrue += 1
            // The truth's first bin; a detection counts if it starts there or within two bins after.
            let truthBin = t.start - t.start % bin
            if let e = outages.first(where: { $0.entity == t.entity && $0.start >= truthBin && $0.start <= truthBin + 2 * bin && !matched.contains($0.id) }) {
                matched.insert(e.id)
                outagesFound += 1
                delays.append(e.start - truthBin)
                causesJudged += 1
                if e.cause.rawValue == t.cause { causesRight += 1 }
                let wasFlapped = c.truth.contains { $0.entity == t.entity && $0.kind == "instability" && $0.end <= t.start }
                preceded += 1
                if e.precededByInstability == wasFlapped { precededRight += 1 } else {
                    misses.append("\(c.name): \(t.entity) outage at \(UTCTime.format(t.start)) preceded_by_instability \(e.precededByInstability), truth \(wasFlapped)")
                }
            } else {
                let seen = events.filter { $0.entity == t.entity }.map { "\($0.kind.rawValue) \(UTCTime.format($0.start))-\($0.end.map(UTCTime.format) ?? "open") scope \($0.scope)" }
                misses.append("\(c.name): \(t.entity) outage at \(UTCTime.format(t.start))-\(UTCTime.format(t.end)) not found; detected: \(seen.joined(separator: "; "))")
            }
        }
        for t in c.truth where t.kind == "instability" {
            instabilityTrue += 1
            if events.contains(where: { $0.kind == .instability && $0.entity == t.entity && $0.start < t.end && ($0.end ?? .max) > t.start }) {
                instabilityFound += 1
            }
        }
        detectedOutages += outages.count
        for e in outages where !matched.contains(e.id) {
            falseOutages += 1
            if c.control { falseOutagesOnControl += 1 }
            let truths = c.truth.filter { $0.entity == e.entity }.map { "\($0.kind) \(UTCTime.format($0.start))-\(UTCTime.format($0.end))" }
            misses.append("\(c.name): false outage of \(e.entity) at \(UTCTime.format(e.start))-\(e.end.map(UTCTime.format) ?? "open") (scope \(e.scope)); truth: \(truths.joined(separator: ", "))")
        }
        let falseInst = events.filter { e in
            e.kind == .instability && !c.truth.contains { $0.kind == "instability" && $0.entity == e.entity && $0.start < (e.end ?? .max) && $0.end > e.start }
                && !c.truth.contains { $0.kind == "outage" && $0.entity == e.entity && abs($0.start - e.start) < 3600 }
        }
        falseInstability += falseInst.count
        for e in falseInst { misses.append("\(c.name): instability of \(e.entity) at \(UTCTime.format(e.start))-\(e.end.map(UTCTime.format) ?? "open") outside any flapping") }
    }

    public func table(bin: Int64) -> String {
        func pct(_ v: Double) -> String { "\(Double(Int(v * 1000)) / 10)%" }
        return """
            cases (incl. noise-only controls)  \(cases)
            outages in the ground truth        \(outagesTrue)
            recall                             \(pct(recall))  (\(outagesFound) of \(outagesTrue); goal 100%)
            precision                          \(pct(precision))  (\(falseOutages) false of \(detectedOutages) detected)
            false outages on control cases     \(falseOutagesOnControl)  (goal 0)
            detection delay, median / worst    \(medianDelay / 60) min / \(worstDelay / 60) min  (bin \(bin / 60) min; goal within one bin)
            cause correct                      \(pct(causeAccuracy))  (\(causesRight) of \(causesJudged); goal 95%)
            preceded-by-instability correct    \(precededRight) of \(preceded)
            instability periods found          \(instabilityFound) of \(instabilityTrue); \(falseInstability) instability events outside them
            """
    }
}
