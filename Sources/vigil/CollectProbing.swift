import ArgumentParser
import Collector
import Config
import Foundation
import Probing
import Replay
import Signals

extension Collecting {
    /// The data plane beside the BGP side (`[probe]` in the same file): rounds run on
    /// their own thread and go to the live pipeline, where down blocks are looked up
    /// in the routing state: unreachable while routed, or routes withdrawn.
    func startProbing(_ pipeline: LivePipeline) throws -> ProbeLoop? {
        guard let plan = cfg.probe else { return nil }
        let table: BlockTable
        do { table = try BlockTable(plan: plan) } catch { throw ValidationError("probe: \(error.description)") }
        try checkTargets(table)
        let prober = try makeProber(plan, kind: SocketKind(rawValue: cfg.probeSocket) ?? .raw,
                                    sender: Sender(rawValue: cfg.probeSender) ?? .socket, hint: "set probe.socket = \"datagram\"")
        let blocks = BlockProber(table: table, prober: prober)
        let loop = ProbeLoop(prober: blocks)
        loop.onCensus = { [self] c, records in
            log("probe census: \(c.probed) addresses, \(c.answered) answered, \(c.responsiveBlocks) of \(c.blocks) blocks responsive, \(c.judged) judged")
            pipeline.submitProbes(rows: [], verdicts: [], blocks: records)
        }
        loop.onRound = { [self] n, r in
            for row in r.rows { log("probe round \(n) \(row.entity): \(ProbeCommand.summary(row))") }
            pipeline.submitProbes(rows: r.rows, verdicts: r.verdicts, blocks: blocks.blockRecords(r.blockIndices))
        }
        log("probing \(table.blocks.count) blocks of \(plan.targets.count) targets, \(Int(plan.rate)) probes/s, \(prober.socketKind.rawValue) socket, a round every \(Int(plan.round)) s")
        loop.start()
        return loop
    }
}
