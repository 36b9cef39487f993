public import Config
import Collector
public import Logging
public import NIOConcurrencyHelpers
public import Probing
public import Signals

/// The prober as a source (`[probe]`): a census, then rounds on their own thread, each
/// handed to the pipeline, where down blocks are looked up in the routing state.
public final class ProbeSource: ProbeRoundSource {
    public let name = "probe"
    public let limits: SourceHealthTracker.Limits
    let cfg: CollectConfig
    let plan: ProbePlan
    let logger: Logger
    let loop = NIOLockedValueBox<ProbeLoop?>(nil)
    /// Stop after this many rounds (`vigil probe --rounds`); nil runs until stopped.
    let rounds: Int?
    /// What to do when the ICMP sockets are refused, in the words of the front end.
    let socketHint: String
    /// Rounds done, probes sent and answered (for health and metrics).
    public let counts = NIOLockedValueBox((rounds: 0, sent: 0, answered: 0))

    public init(_ cfg: CollectConfig, plan: ProbePlan, rounds: Int? = nil, socketHint: String = "set probe.socket = \"datagram\"", logger: Logger) {
        self.cfg = cfg
        self.plan = plan
        self.rounds = rounds
        self.socketHint = socketHint
        var l = logger
        l[metadataKey: "source"] = "probe"
        self.logger = l
        // Three rounds missed is silence (the census before the first can be long: a day's budget at most).
        limits = .init(silentAfter: Int64(plan.round * 3) + 60)
    }

    /// The plan's blocks, each target that is not probed named (`warn`); nothing left to probe
    /// is an error, not a run that measures zeros. Shared with `vigil probe`.
    public static func blockTable(_ plan: ProbePlan, warn: (String) -> Void) throws -> BlockTable {
        let table: BlockTable
        do { table = try BlockTable(plan: plan) } catch { throw ServiceError("probe: \(error.description)") }
        for u in table.unprobed {
            let t = table.plan.targets[u.target]
            warn("target \(t.prefix) (\(t.entity)) is not probed: \(u.why)")
        }
        guard !table.blocks.isEmpty else {
            throw ServiceError("nothing to probe: every target lies on the never-probe list (or inside another target)")
        }
        return table
    }

    /// A prober for the plan, saying what to do when the sockets are refused (`hint`). Shared with `vigil probe`.
    public static func prober(_ plan: ProbePlan, kind: SocketKind, sender: Sender, hint: String) throws -> Prober {
        do { return try Prober(rate: plan.rate, timeout: plan.timeout, kind: kind, sender: sender) } catch {
            throw ServiceError("\(error) (raw ICMP sockets need root or CAP_NET_RAW; \(hint))")
        }
    }

    public func start(into sink: any ProbeRoundSink) throws {
        let table = try Self.blockTable(plan) { [logger] in logger.warning("\($0)") }
        let prober = try Self.prober(plan, kind: SocketKind(rawValue: cfg.probeSocket) ?? .raw, sender: Sender(rawValue: cfg.probeSender) ?? .socket,
                                     hint: socketHint)
        let blocks = BlockProber(table: table, prober: prober)
        let l = ProbeLoop(prober: blocks)
        let lastProgress = NIOLockedValueBox(Int64(wallClock().0))
        l.onCensusProgress = { [logger] done, total in
            let now = Int64(wallClock().0)
            let due = lastProgress.withLockedValue { last -> Bool in
                guard now - last >= 5 else { return false }
                last = now
                return true
            }
            guard done < total, due else { return }
            logger.info("probe census: \(done) of \(total) blocks (\(100 * done / max(1, total))%)")
        }
        l.onCensus = { [logger, counts] c, records in
            counts.withLockedValue {
                $0.sent += c.probed
                $0.answered += c.answered
            }
            logger.info("probe census: \(c.probed) addresses probed, \(c.answered) answered, \(c.responsiveBlocks) of \(c.blocks) blocks responsive, \(c.judged) judged, in \(Int(c.seconds * 10) / 10).\(Int(c.seconds * 10) % 10) s")
            sink.submitProbes(rows: [], verdicts: [], blocks: records)
        }
        l.onRound = { [logger, counts] n, r in
            counts.withLockedValue {
                $0.rounds += 1
                $0.sent += r.sent
                $0.answered += r.answered
            }
            for row in r.rows {
                logger.info("probe round \(n) \(row.entity): \(DataPlaneDetector.summary(row))", metadata: ["probe.entity": "\(row.entity)"])
            }
            sink.submitProbes(rows: r.rows, verdicts: r.verdicts, blocks: blocks.blockRecords(r.blockIndices))
        }
        logger.info("probing \(table.blocks.count) blocks of \(plan.targets.count) targets (\(table.excluded) blocks excluded by the never-probe list), \(Int(plan.rate)) probes/s, \(prober.socketKind.rawValue) socket, \(prober.sender.rawValue) sender, a round every \(Int(plan.round)) s")
        loop.withLockedValue { $0 = l }
        l.start(rounds: rounds)
    }

    /// The rounds asked for are done (never, without `rounds`).
    public var isFinished: Bool { rounds != nil && (loop.withLockedValue { $0 }?.isFinished ?? false) }

    public func reading() -> SourceReading {
        let c = counts.withLockedValue { $0 }
        return SourceReading(connected: nil, count: c.rounds, detail: "\(c.rounds) rounds, \(c.answered) of \(c.sent) probes answered")
    }

    public func stop() {
        loop.withLockedValue { $0 }?.stop()
    }
}
