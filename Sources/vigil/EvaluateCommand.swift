import ArgumentParser
import Foundation
import Evaluation
import Replay
import MRT
#if canImport(Glibc)
import Glibc
#endif

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score the detector on generated scenarios with known ground truth.",
        discussion: """
            Each seed generates 24 cases: entity sizes of 1, 4, 64 and 2000 prefixes; quiet, \
            normal and heavy background noise, a quarter of it on the watched entities (flaps \
            under five minutes at one, 2-3 and every peer, path and community changes at one \
            peer, chronic churners, session resets, partial-feed peers); full, upstream and \
            partial withdrawals of 15 minutes to 3 hours, flapping followed by a withdrawal; \
            two decoys (a peer's session loss, a peer withdrawing its whole table); and a \
            noise-only control of each. Each case is written as MRT, replayed and detected \
            like real archives, and the alerts (outages, instability) are scored against the \
            truth and the goals; blips and feed events are annotations, not alerts.

            Example:
              vigil evaluate --seeds 3
            """
    )

    @Option(help: "How many seeds (24 cases each).") var seeds: Int = 1
    @Flag(help: "List every miss and false detection.") var verbose = false

    func run() throws {
        var cases: [TruthCase] = []
        for s in 1...max(1, seeds) { cases += Suite.cases(seed: UInt64(s)) }
        var ev = Evaluator()
        // Each case takes seconds: the bar names the one running (on a terminal only).
        let bar = ProgressBar()
        ev.progress = { i, n, name in bar.update(bytes: i, total: n, elements: i, unit: "cases", detail: name, force: true) }
        let work = "/tmp/vigil-evaluate-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let score = try ev.run(cases, workDir: work)
        bar.done()
        print(score.table(bin: 300))
        if verbose || !score.misses.isEmpty {
            for m in score.misses.prefix(verbose ? 1000 : 20) { print("  \(m)") }
        }
    }
}
