import ArgumentParser
import Entities
import MRT
import Probing
import Signals
import Store

struct SeriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "Print an entity's stored signals, bin by bin.",
        discussion: """
            Examples:
              vigil series KP
              vigil series AS131279 --signal routed_v4 --from 2014-12-22 --until 2014-12-23 --format csv
              vigil series AS131279 --probes --signal rtt_median --signal down
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    @Argument(help: "Entity: KP, AS131279 or 175.45.176.0/22.")
    var entity: String

    @Option(name: .customLong("signal"), help: "Signal(s) to print (default: all): \(SeriesRow.signalNames.joined(separator: ", ")); with --probes: \(ProbeRow.signalNames.joined(separator: ", ")).")
    var signals: [String] = []

    @Flag(help: "The data-plane signals (one row per probing round) instead of the BGP ones.")
    var probes = false

    @Option(transform: TimeArgument.parse) var from: TimeArgument?
    @Option(transform: TimeArgument.parse) var until: TimeArgument?
    @Option var format: Format = .table
    @Option(help: "The store: a SQLite file or a postgres:// URL.") var db: String = "vigil.db"
    @Option(help: "One vantage point's series (default: all of them combined).") var vantage: String?

    func validate() throws {
        _ = try entityOption(entity)
        let known = probes ? ProbeRow.signalNames : SeriesRow.signalNames
        for s in signals where !known.contains(s) {
            throw ValidationError("unknown signal \(s); known: \(known.joined(separator: ", "))")
        }
        try validateRange(from, until)
    }

    func run() async throws {
        let store = try await Stores.open(db, readOnly: true)
        let name = Entity(entity)!.description
        // Rows as (time, signal → value), BGP bins or probing rounds alike.
        let rows: [(bin: Int64, value: (String) -> Double?)] = probes
            ? try await store.probeSeries(entity: name, from: from?.seconds, until: until?.seconds).map { r in (r.time, r.value) }
            : try await store.series(entity: name, vantage: vantage, from: from?.seconds, until: until?.seconds).map { r in (r.bin, r.value) }
        if rows.isEmpty {
            let what = probes ? "probing rounds" : "series"
            // Rows outside the range say the range is empty; none at all, that nothing was stored yet.
            let any = probes ? try await !store.probeSeries(entity: name, from: nil, until: nil).isEmpty
                : try await !store.series(entity: name, vantage: vantage, from: nil, until: nil).isEmpty
            if any && (from != nil || until != nil) {
                printError("vigil: no \(what) for \(name) in \(db) \(rangeText(from, until)) (there are outside it)")
            } else {
                printError("vigil: no stored \(what) for \(name) in \(db) (run vigil \(probes ? "probe" : "replay") first)")
            }
            throw ExitCode(1)
        }
        let names = signals.isEmpty ? (probes ? ProbeRow.signalNames : SeriesRow.signalNames) : signals
        let num = NumberText.decimal
        switch format {
        case .csv:
            print((["time"] + names).joined(separator: ","))
            for r in rows { print(([TimeArgument.format(r.bin)] + names.map { num(r.value($0)!) }).joined(separator: ",")) }
        case .json:
            for r in rows {
                let fields = names.map { "\"\($0)\":\(num(r.value($0)!))" }.joined(separator: ",")
                print("{\"entity\":\"\(name)\",\"time\":\"\(TimeArgument.format(r.bin))\",\(fields)}")
            }
        case .table:
            let header = ["time"] + names
            let body = rows.map { r in [TimeArgument.format(r.bin)] + names.map { num(r.value($0)!) } }
            let widths = header.indices.map { i in max(header[i].count, body.map { $0[i].count }.max() ?? 0) }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, c in i == 0 ? c.padding(widths[i]) : c.leftPadding(widths[i]) }.joined(separator: "  ")
            }
            print(line(header))
            for b in body { print(line(b)) }
        }
    }
}

/// An empty or inverted --from/--until is a mistake to name, not a range with no data.
func validateRange(_ from: TimeArgument?, _ until: TimeArgument?) throws {
    if let f = from, let u = until, f.seconds >= u.seconds {
        throw ValidationError("--from \(TimeArgument.format(f.seconds)) is not before --until \(TimeArgument.format(u.seconds)): the range is \(f.seconds == u.seconds ? "empty" : "inverted")")
    }
}

/// "between A and B", "from A on", "before B".
func rangeText(_ from: TimeArgument?, _ until: TimeArgument?) -> String {
    switch (from, until) {
    case let (f?, u?): "between \(TimeArgument.format(f.seconds)) and \(TimeArgument.format(u.seconds))"
    case let (f?, nil): "from \(TimeArgument.format(f.seconds)) on"
    case let (nil, u?): "before \(TimeArgument.format(u.seconds))"
    case (nil, nil): ""
    }
}

extension String {
    func padding(_ n: Int) -> String { self + String(repeating: " ", count: max(0, n - count)) }
    func leftPadding(_ n: Int) -> String { String(repeating: " ", count: max(0, n - count)) + self }
}
