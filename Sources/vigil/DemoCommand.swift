import ArgumentParser
import BGPWire
import Entities
import MRT
import Replay
import Signals
import Simulator
import Store
#if canImport(Glibc)
import Glibc
#endif

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Replay the bundled North Korea, December 2014 reconstruction and show what Vigil concludes.",
        discussion: """
            Simulates the bundled scenario (a reconstruction from the public record, not recorded \
            data) as real MRT archives, replays them through the same pipeline as real archives, \
            detects events and diagnoses their causes, prints the timeline and the events, and \
            writes an SVG plot of the signals with the events shaded.
            """
    )

    @Option(help: "Directory for the simulated archives and the database (default: a fresh one under /tmp).") var dir: String?
    @Option(help: "Where to write the SVG plot.") var svg: String = "vigil-demo.svg"

    func run() throws {
        let base = dir ?? "/tmp/vigil-demo-\(getpid())"
        mkdir(base, 0o755)
        let started = monotonicSeconds()
        let scenario = try loadScenario("north-korea-2014")
        print("Vigil demo: \(scenario.name)")
        print("A RECONSTRUCTION from the public record, not recorded data.\n")
        var gen = Generator(scenario)
        let out = try gen.write(to: base + "/archives")
        print("simulated \(out.updates.count) five-minute updates files and a RIB (\(out.messages) BGP messages) in \(base)/archives")

        let db = base + "/vigil.db"
        unlink(db); unlink(db + "-wal"); unlink(db + "-shm")
        var o = ReplayRunner.Options()
        o.ribs = [out.rib]
        o.updates = [out.updates]
        o.watch = [Entity("AS131279")!, Entity("175.45.176.0/22")!]
        o.detect = true
        let store = try SQLiteStore(path: db)
        let runner = ReplayRunner(options: o, store: store, entityMap: nil)
        runner.report = { printError("vigil: \($0)") }
        let s = try runner.run()
        print("replayed \(s.elements) elements into \(s.bins) five-minute bins in \(Int(s.seconds * 1000)) ms\n")

        let rows = try store.series(entity: "AS131279", from: nil, until: nil)
        let events = try store.events(entity: "AS131279", from: nil, until: nil).filter(\.kind.isAlert)
        print(TimelineChart.render(rows: rows, events: events))
        print("\nEvents for AS131279:")
        print(EventFormat.table(events))
        for e in events where e.kind == .outage {
            let day = UTCTime.format(e.start).prefix(10)
            print("\n\(day): \(e.cause == .bgpWithdrawal ? "routes withdrawn" : e.cause.rawValue) at \(UTCTime.format(e.start).dropFirst(11).prefix(5)) UTC, "
                  + "\(Int(e.scope * 100))% of the space, \(EventFormat.duration(e)); "
                  + (e.precededByInstability ? "after hours of route instability." : "no instability before: a clean withdrawal.")
                  + (e.evidence.commonUpstream.map { " Every lost path ran through AS\($0)." } ?? ""))
        }
        try SVGPlot.write(rows: rows, events: events, title: scenario.name, to: svg)
        print("\nwrote \(svg) (signals with events shaded); \(String(format1(monotonicSeconds() - started))) s in all")
    }

    func format1(_ v: Double) -> String { String(Double(Int(v * 10)) / 10) }
}
