import BGPWire
import Foundation

/// What a census found.
public struct CensusReport: Sendable {
    public var blocks = 0
    public var probed = 0
    public var answered = 0
    /// Blocks with at least one ever-responsive address, and those now judged.
    public var responsiveBlocks = 0
    public var judged = 0
    public var seconds = 0.0
    public var stats = ProbeStats()
}

/// One round: per entity signals and the blocks worth reporting (not up, or changed).
public struct RoundReport: Sendable {
    public var time: Int64
    public var rows: [ProbeRow] = []
    public var verdicts: [BlockVerdict] = []
    /// The blocks behind `verdicts`, by index in the table (for `blockRecords(_:)`).
    public var blockIndices: [Int] = []
    public var sent = 0
    public var answered = 0
    /// Probes the kernel refused (no route, link down on our side): not counted as evidence.
    public var sendErrors = 0
    public var waves = 0
    public var seconds = 0.0
}

/// Trinocular-style block probing over one `Prober`.
///
/// A census probes every candidate address of a block once to learn its
/// ever-responsive addresses (again every `censusInterval`, the sets only
/// grow). A round then probes each judged block adaptively, in waves: every
/// block gets one probe of its next ever-responsive address; a block whose
/// belief is uncertain, or whose last reply contradicts its verdict, gets
/// another in the next wave — at most `maxProbesPerBlock` — so a quiet,
/// healthy network costs one probe per block per round, and a changing one
/// gets the probes it needs. All probes of a wave go out together under the
/// prober's global rate limit; a wave ends when every reply is in or timed out.
public final class BlockProber {
    public internal(set) var table: BlockTable
    public let prober: Prober
    /// Checked between waves and census chunks: a stop request ends the round early.
    public var shouldStop: () -> Bool = { false }

    public init(table: BlockTable, prober: Prober) {
        self.table = table
        self.prober = prober
    }

    public func censusDue(now: Int64) -> Bool {
        let interval = UInt32(max(1, table.plan.censusInterval))
        return table.blocks.contains { $0.censusAt == 0 || UInt32(clamping: now) &- $0.censusAt >= interval }
    }

    /// Probes every candidate of every block due a census (in chunks, so memory stays bounded).
    public func census(now: Int64, progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) -> CensusReport {
        let interval = UInt32(max(1, table.plan.censusInterval))
        let stamp = UInt32(clamping: max(1, now))
        let due = table.blocks.indices.filter { table.blocks[$0].censusAt == 0 || stamp &- table.blocks[$0].censusAt >= interval }
        var report = CensusReport()
        report.blocks = due.count
        let started = Date()
        var chunkBlocks: [Int] = []
        var chunkSlots: [(block: Int, slot: Int)] = []
        var chunkAddresses: [IPAddress] = []
        var done = 0
        // About two seconds of probes per chunk (at most 2^18): memory stays bounded and a
        // stop request waits for one chunk, not for the whole census.
        let chunk = min(1 << 18, max(256, Int(table.plan.rate * 2)))
        func flush() {
            guard !chunkBlocks.isEmpty else { return }
            let results = chunkAddresses.isEmpty ? [] : prober.probe(chunkAddresses)
            if !chunkAddresses.isEmpty {
                let s = prober.lastStats
                report.stats.sent += s.sent
                report.stats.sendErrors += s.sendErrors
                report.stats.answered += s.answered
                report.stats.unmatched += s.unmatched
                report.stats.kernelTimestamps += s.kernelTimestamps
                report.stats.sendSeconds += s.sendSeconds
                report.stats.totalSeconds += s.totalSeconds
            }
            var found: [Int: Bitmap256] = [:]
            for (k, r) in results.enumerated() where r.answered > 0 {
                found[chunkSlots[k].block, default: Bitmap256()][chunkSlots[k].slot] = true
            }
            report.probed += chunkAddresses.count
            report.answered += results.reduce(0) { $0 + ($1.answered > 0 ? 1 : 0) }
            for i in chunkBlocks { absorbCensus(i, found: found[i] ?? Bitmap256(), at: stamp) }
            done += chunkBlocks.count
            progress(done, due.count)
            chunkBlocks.removeAll(keepingCapacity: true)
            chunkSlots.removeAll(keepingCapacity: true)
            chunkAddresses.removeAll(keepingCapacity: true)
        }
        for i in due {
            chunkBlocks.append(i)
            table.forEachCandidate(i) { slot, a in
                chunkSlots.append((i, slot))
                chunkAddresses.append(a)
            }
            if chunkAddresses.count >= chunk {
                flush()
                if shouldStop() { break }
            }
        }
        flush()
        report.responsiveBlocks = table.blocks.reduce(0) { $0 + ($1.responsive.isEmpty ? 0 : 1) }
        report.judged = table.blocks.reduce(0) { $0 + ($1.judged ? 1 : 0) }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// A census's replies for one block: the ever-responsive set grows; availability and belief follow.
    func absorbCensus(_ i: Int, found: Bitmap256, at stamp: UInt32) {
        var b = table.blocks[i]
        let before = b.responsive
        let knownBefore = before.count
        var again = 0
        for s in 0..<256 where found[s] {
            if before[s] { again += 1 }
            b.responsive[s] = true
        }
        if b.censusAt == 0 || knownBefore == 0 {
            // First sight: an address that answered once is taken to answer again 9 times in 10.
            b.availability = found.isEmpty ? 0 : 0.9
            b.belief = found.isEmpty ? 0.5 : Float(Belief.ceiling)
        } else if !found.isEmpty {
            let share = Double(again) / Double(knownBefore)
            b.availability = Float(min(Belief.ceiling, max(Belief.minimumAvailability, 0.5 * Double(b.availability) + 0.5 * share)))
            b.belief = Float(Belief.ceiling)
        } else {
            // Every known address was probed and none answered.
            var belief = Double(b.belief)
            for _ in 0..<knownBefore { belief = Belief.update(belief, availability: Double(b.availability), answered: false) }
            b.belief = Float(belief)
        }
        b.censusAt = stamp
        b.verdict = b.judged ? Belief.verdict(Double(b.belief)) : .unjudged
        table.blocks[i] = b
    }

    /// One adaptive round over the judged blocks.
    public func round(at time: Int64) -> RoundReport {
        var report = RoundReport(time: time)
        let started = Date()
        let judged = table.blocks.indices.filter { table.blocks[$0].judged }
        let startVerdict = judged.map { table.blocks[$0].verdict }
        var probes = [UInt8](repeating: 0, count: judged.count)
        var answeredInRound = [UInt8](repeating: 0, count: judged.count)
        // Per entity: RTTs, probes sent and answered.
        var entityIndex: [String: Int] = [:]
        var entityNames: [String] = []
        // Entities of targets with blocks only: one with none has no measurement, not a row of zeros.
        let unprobed = Set(table.unprobed.map(\.target))
        for (ti, t) in table.plan.targets.enumerated() where entityIndex[t.entity] == nil && !unprobed.contains(ti) {
            entityIndex[t.entity] = entityNames.count
            entityNames.append(t.entity)
        }
        let targetEntity = table.plan.targets.map { entityIndex[$0.entity] ?? -1 }
        var rtts = [[Double]](repeating: [], count: entityNames.count)
        var sent = [Int](repeating: 0, count: entityNames.count)
        var answered = [Int](repeating: 0, count: entityNames.count)

        var pending = Array(judged.indices)
        let cap = max(1, table.plan.maxProbesPerBlock)
        var targets: [IPAddress] = []
        while !pending.isEmpty && report.waves < cap && !shouldStop() {
            report.waves += 1
            targets.removeAll(keepingCapacity: true)
            for p in pending {
                let i = judged[p]
                let slot = table.blocks[i].responsive.next(from: Int(table.blocks[i].cursor)) ?? 0
                table.blocks[i].cursor = UInt16((slot + 1) & 255)
                targets.append(table.address(i, slot: slot))
            }
            let results = prober.probe(targets)
            var next: [Int] = []
            for (k, p) in pending.enumerated() {
                let i = judged[p]
                let r = results[k]
                let e = targetEntity[Int(table.blocks[i].target)]
                // A probe that never left (our own link or socket failing) says nothing about the block.
                guard r.sent > 0 else {
                    report.sendErrors += 1
                    continue
                }
                sent[e] += r.sent
                let ok = r.answered > 0
                if ok {
                    answered[e] += 1
                    answeredInRound[p] &+= 1
                    rtts[e] += r.rtts.prefix(1)
                }
                probes[p] &+= 1
                var b = table.blocks[i]
                let belief = Belief.update(Double(b.belief), availability: Double(b.availability), answered: ok)
                b.belief = Float(belief)
                let v = Belief.verdict(belief)
                b.verdict = v
                table.blocks[i] = b
                // Done when the verdict is firm and the last reply agrees with it.
                let agrees = (v == .up && ok) || (v == .down && !ok)
                if !(v != .uncertain && agrees) && Int(probes[p]) < cap { next.append(p) }
            }
            pending = next
        }

        // Availability is learnt only from rounds that end with the block up.
        var rows = entityNames.enumerated().map { ProbeRow(entity: $1, time: time, sent: sent[$0], answered: answered[$0]) }
        for (p, i) in judged.enumerated() {
            var b = table.blocks[i]
            if b.verdict == .up && probes[p] > 0 {
                let share = Double(answeredInRound[p]) / Double(probes[p])
                b.availability = Float(min(Belief.ceiling, max(Belief.minimumAvailability, 0.9 * Double(b.availability) + 0.1 * share)))
                table.blocks[i] = b
            }
            if b.verdict != .up || b.verdict != startVerdict[p] {
                report.verdicts.append(BlockVerdict(block: b.prefix, entity: table.entity(i), state: BlockProber.state(b.verdict),
                                                    belief: Double(b.belief)))
                report.blockIndices.append(i)
            }
        }
        for b in table.blocks {
            let e = targetEntity[Int(b.target)]
            rows[e].blocks += 1
            guard b.judged else { continue }
            rows[e].judged += 1
            switch b.verdict {
            case .up: rows[e].up += 1
            case .down: rows[e].down += 1
            case .uncertain, .unjudged: rows[e].uncertain += 1
            }
        }
        for e in rows.indices {
            let s = rtts[e].sorted()
            rows[e].rttMedian = BlockProber.quantile(s, 0.5)
            rows[e].rttP95 = BlockProber.quantile(s, 0.95)
        }
        report.rows = rows
        report.sent = sent.reduce(0, +)
        report.answered = answered.reduce(0, +)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    static func state(_ v: Belief.Verdict) -> BlockVerdict.State {
        switch v {
        case .up: .up
        case .down: .down
        case .uncertain: .uncertain
        case .unjudged: .unjudged
        }
    }

    /// Nearest-rank quantile of sorted values (0 when empty).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    /// Every block as the store keeps it: state, belief, availability, ever-responsive count, and why it is probed.
    public func blockRecords(_ indices: [Int]? = nil) -> [BlockRecord] {
        (indices ?? Array(table.blocks.indices)).map { i in
            let b = table.blocks[i]
            return BlockRecord(block: b.prefix, entity: table.entity(i), why: table.why(i), state: BlockProber.state(b.verdict),
                               belief: Double(b.belief), availability: Double(b.availability), responsive: b.responsive.count,
                               censusAt: Int64(b.censusAt))
        }
    }
}
