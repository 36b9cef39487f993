import ArgumentParser
import BGPWire
import Foundation
import Config
import Entities
import Logging
import Service
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

    @Option(help: "Directory for the simulated archives and the database (default: a temporary one, removed at the end).") var dir: String?
    @Option(name: [.customLong("output"), .customLong("svg")], help: "Where to write the SVG plot.") var output: String = "vigil-demo.svg"
    @Flag(help: "Then open the incident in the dashboard (a read-only viewer of the demo's database) until Ctrl-C.") var serve = false
    @Option(help: "With --serve: where the dashboard listens (HOST:PORT).") var listen = "127.0.0.1:9473"

    func validate() throws {
        guard CollectConfig.parseListen(listen) != nil else { throw ValidationError("--listen: '\(listen)' is not HOST:PORT (IPv6 as [ADDR]:PORT)") }
    }

    func run() throws {
        // Without --dir the 12 MB of archives and database are scratch: removed at the end, also on error.
        let base: String
        if let dir {
            base = dir
            mkdir(base, 0o755)
        } else {
            var template = Array("/tmp/vigil-demo-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw ValidationError("cannot create a temporary directory in /tmp") }
            base = String(cString: made)
        }
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: base) } }
        let started = monotonicSeconds()
        let scenario = try loadScenario("north-korea-2014")
        print("Vigil demo: \(scenario.name)")
        print("A RECONSTRUCTION from the public record, not recorded data.\n")
        var gen = Generator(scenario)
        let out = try gen.write(to: base + "/archives")
        printError("simulated \(out.updates.count) five-minute updates files and a RIB (\(out.messages) BGP messages) in \(base)/archives")

        let db = base + "/vigil.db"
        unlink(db); unlink(db + "-wal"); unlink(db + "-shm")
        var o = ReplayRunner.Options()
        o.ribs = [out.rib]
        o.updates = [out.updates]
        o.watch = [Entity("AS131279")!, Entity("175.45.176.0/22")!, Entity("KP")!]
        o.detect = true
        // Who holds what, as APNIC's delegation file says: the country's signals and its place on the map.
        var map = EntityMap()
        map.addDelegated("apnic|KP|asn|131279|1||allocated\napnic|KP|ipv4|175.45.176.0|1024||allocated\n", file: "APNIC")
        map.finish()
        let store = try blockingWait { [map] in
            let s = try await Stores.open(db)
            try await s.saveEntityMap(map)
            return s
        }
        let runner = ReplayRunner(options: o, store: store, entityMap: map)
        runner.report = { printError("vigil: \($0)") }
        let s = try runner.run()
        printError("replayed \(s.elements) elements into \(s.bins) five-minute bins in \(Int(s.seconds * 1000)) ms")

        let rows = try blockingWait { try await store.series(entity: "AS131279", from: nil, until: nil) }
        let events = try blockingWait { try await store.events(entity: "AS131279", from: nil, until: nil) }.filter(\.kind.isAlert)
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
        try SVGPlot.write(rows: rows, events: events, title: scenario.name, to: output)
        printError("wrote \(URL(fileURLWithPath: output).path) (signals with events shaded); \(String(format1(monotonicSeconds() - started))) s in all")
        if serve { try dashboard(db) }
    }

    /// The dashboard on the demo's database until Ctrl-C; the page to open goes to standard error.
    func dashboard(_ db: String) throws {
        guard let l = CollectConfig.parseListen(listen) else { return }
        LoggingSystem.bootstrap { LineLogHandler(label: $0, level: .info) }
        let host = l.host.contains(":") ? "[\(l.host)]" : l.host
        printError("the dashboard: http://\(host):\(l.port)/entity.html?e=AS131279&from=2014-12-22T00:00:00Z&until=2014-12-24T00:00:00Z (Ctrl-C stops it)")
        try blockingWait { try await Viewer.run(database: db, listen: l, logger: Logger(label: "vigil")) }
    }

    func format1(_ v: Double) -> String { String(Double(Int(v * 10)) / 10) }
}
