import Foundation

/// Runs a `BlockProber` on its own thread: a census when one is due, then a
/// round every `plan.round` seconds (on a fixed schedule from the start; a
/// round that overruns is followed at once by the next). Reports go to the
/// callbacks on that thread; `stop()` ends the current wave and returns.
public final class ProbeLoop: @unchecked Sendable {
    public let prober: BlockProber
    public var onCensus: (CensusReport, _ blocks: [BlockRecord]) -> Void = { _, _ in }
    public var onRound: (_ round: Int, RoundReport) -> Void = { _, _ in }
    /// Census progress (blocks done, blocks due), after each chunk.
    public var onCensusProgress: (_ done: Int, _ total: Int) -> Void = { _, _ in }

    let cond = NSCondition()
    var stopping = false
    var finished = true

    public init(prober: BlockProber) {
        self.prober = prober
        prober.shouldStop = { [unowned self] in cond.lock(); defer { cond.unlock() }; return stopping }
    }

    /// Runs on the caller's thread until `rounds` rounds are done (nil: until stopped).
    public func run(rounds: Int? = nil) {
        cond.lock()
        finished = false
        cond.unlock()
        defer {
            cond.lock()
            finished = true
            cond.broadcast()
            cond.unlock()
        }
        let start = Date().timeIntervalSince1970
        var n = 0
        while rounds.map({ n < $0 }) ?? true {
            let scheduled = start + Double(n) * prober.table.plan.round
            guard wait(until: scheduled) else { return }
            let now = Int64(Date().timeIntervalSince1970)
            if prober.censusDue(now: now) {
                let c = prober.census(now: now, progress: onCensusProgress)
                onCensus(c, prober.blockRecords())
                if isStopping { return }
            }
            n += 1
            let r = prober.round(at: Int64(Date().timeIntervalSince1970))
            if isStopping { return }
            onRound(n, r)
        }
    }

    public func start(rounds: Int? = nil) {
        cond.lock()
        finished = false
        cond.unlock()
        let t = Thread { [self] in run(rounds: rounds) }
        t.name = "vigil-probe"
        t.start()
    }

    /// Asks the loop to stop and waits (bounded by one wave) until it has.
    public func stop() {
        cond.lock()
        stopping = true
        cond.broadcast()
        while !finished { cond.wait() }
        cond.unlock()
    }

    public var isFinished: Bool {
        cond.lock()
        defer { cond.unlock() }
        return finished
    }

    var isStopping: Bool {
        cond.lock()
        defer { cond.unlock() }
        return stopping
    }

    /// Sleeps until `t` (wall clock) unless stopped first; false when stopped.
    func wait(until t: Double) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        while !stopping && Date().timeIntervalSince1970 < t {
            _ = cond.wait(until: Date(timeIntervalSince1970: t))
        }
        return !stopping
    }
}
