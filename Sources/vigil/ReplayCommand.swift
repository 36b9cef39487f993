import ArgumentParser
import BGPWire
import Entities
import MRT
import Replay
import Routing
import Signals
import Store

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay BGP archives into per-entity signals, stored bin by bin.",
        discussion: """
            Builds routing state from a RIB dump (TABLE_DUMP_V2 or TABLE_DUMP) and advances it \
            with updates (BGP4MP), computing for each entity and time bin the signals described \
            in README.md, and stores them (SQLite file vigil.db unless --db says otherwise). \
            Each --updates path is one collector's stream (a file, or a directory read in name \
            order); several are merged in timestamp order. Re-running a replay replaces the \
            bins it covers.

            Without --entity, every country (needs `vigil entities import`) and origin AS is kept.

            Examples:
              vigil replay --rib bview.20141222.0000.gz --updates updates/ --entity KP --entity AS131279
              vigil replay --updates rrc00/ --updates route-views2/ --from 2014-12-22 --until 2014-12-23
            """
    )

    @Option(name: .customLong("rib"), help: "RIB dump(s) to start from.")
    var ribs: [String] = []

    @Option(name: .customLong("updates"), help: "Updates file or directory; repeat for more collectors.")
    var updates: [String] = []

    @Option(name: .customLong("collector"), help: "Replay this collector's archives from the fetch cache (with --from/--until).")
    var collectors: [String] = []

    @Option(help: "Cache directory of vigil fetch.")
    var cache: String = "vigil-cache"

    @Option(help: "Keep elements from this time on (Unix seconds or 2014-12-22T16:15Z).", transform: TimeArgument.parse)
    var from: TimeArgument?

    @Option(help: "Keep elements before this time.", transform: TimeArgument.parse)
    var until: TimeArgument?

    @Option(name: .customLong("entity"), help: "Entity to compute: a country (KP), an AS (AS131279) or a prefix (175.45.176.0/22).")
    var entities: [String] = []

    @Option(help: "Bin length in seconds.")
    var bin: Int = 300

    @Option(help: "SQLite database file.")
    var db: String = "vigil.db"

    @Option(help: "Vantage point to store the series as (several collectors' replays in one database).")
    var vantage: String = ""

    @Flag(help: "Detect events (outages, instability) and print them at the end.")
    var events = false

    @Option(help: "Format of --events: table or json.")
    var format: EventsCommand.Format = .table

    @Option(help: "MaxMind DB (GeoLite2 Country/City) to place prefixes in countries, before RIR delegations.")
    var mmdb: String?

    @Option(name: .customLong("full-feed-v4"), help: "IPv4 prefixes a peer needs to count as full-feed.")
    var fullFeedV4: Int = 400_000

    @Option(name: .customLong("full-feed-v6"), help: "IPv6 prefixes a peer needs to count as full-feed.")
    var fullFeedV6: Int = 10_000

    func validate() throws {
        if updates.isEmpty && ribs.isEmpty && collectors.isEmpty {
            throw ValidationError("name archives with --rib and/or --updates, or --collector with --from and --until")
        }
        if !collectors.isEmpty && (from == nil || until == nil) {
            throw ValidationError("--collector needs --from and --until")
        }
        for c in collectors where ArchiveLayout(collector: c) == nil { throw ValidationError("unknown collector \(c)") }
        guard bin >= 1 else { throw ValidationError("--bin must be at least one second") }
        try validateRange(from, until)
        for e in entities { _ = try entityOption(e, option: "--entity") }
    }

    func run() throws {
        var o = ReplayRunner.Options()
        // Input named but missing (files left out, not in the cache): replayed without it, then exit 1.
        var missing = 0
        o.ribs = try archiveFiles(ribs)
        for u in updates {
            guard isDirectory(u) else {
                o.updates.append(try archiveFiles([u]))
                continue
            }
            // A collector's folder as RIS and RouteViews publish it holds RIB dumps beside the updates.
            let folder = CollectorFolder(files: try archiveFiles([u]), start: from?.seconds, wantRIB: ribs.isEmpty)
            if let rib = folder.rib {
                o.ribs.append(rib)
                printError("vigil: \(u): starting from the RIB dump \(rib)")
            }
            if !folder.unusedRIBs.isEmpty {
                let n = folder.unusedRIBs.count
                printError("vigil: \(u): \(n) \(folder.rib == nil ? "" : "other ")RIB dump\(n == 1 ? "" : "s") not replayed ("
                           + (folder.rib == nil ? "--rib gives the starting state" : "the updates carry the state on") + "): "
                           + folder.unusedRIBs.prefix(3).joined(separator: ", ") + (n > 3 ? ", …" : ""))
            }
            if let first = folder.beforeRIB.first {
                missing += folder.beforeRIB.count
                printError("vigil: \(u): no RIB dump at or before the start; \(folder.beforeRIB.count) updates files before \(folder.rib!) left out (from \(first)); give --rib to replay them")
            }
            o.updates.append(folder.updates)
        }
        for c in collectors {
            // The cached files of the range: the RIB at or before --from, the updates inside.
            let layout = ArchiveLayout(collector: c)!
            let fetcher = Fetcher(cache: cache)
            let present = { (f: ArchiveLayout.File) -> String? in
                let p = fetcher.localPath(f)
                return (try? archiveFiles([p])) != nil ? p : nil
            }
            let rib = layout.files(kind: .rib, from: from!.seconds, until: from!.seconds + 1).compactMap(present)
            if rib.isEmpty {
                missing += 1
                printError("vigil: \(c): no RIB in \(cache) for \(TimeArgument.format(from!.seconds)) (run vigil fetch)")
            }
            o.ribs += rib
            let ups = layout.files(kind: .updates, from: from!.seconds, until: until!.seconds)
            let have = ups.compactMap(present)
            if have.count < ups.count {
                missing += ups.count - have.count
                printError("vigil: \(c): \(ups.count - have.count) of \(ups.count) updates files not in \(cache) (run vigil fetch)")
            }
            o.updates.append(have)
        }
        o.binSeconds = Int64(bin)
        o.watch = entities.compactMap(Entity.init)
        o.from = from.map { UInt32(clamping: $0.seconds) }
        o.until = until.map { UInt32(clamping: $0.seconds) }
        o.fullFeed = FullFeedPolicy(minIPv4: fullFeedV4, minIPv6: fullFeedV6)
        o.detect = events
        // The replay's engine runs on this (the main) thread: it waits for the store.
        let store = try blockingWait { [db, vantage] in try await Stores.open(db, vantage: vantage) }
        let map = try blockingWait { try await store.loadEntityMap() }
        // A country no delegation places any prefix in has nothing to measure: its rows would read as a country gone dark.
        let unknown = mmdb != nil ? [] : o.watch.compactMap { e -> String? in if case let .country(cc) = e, !map.hasBlocks(of: cc) { cc } else { nil } }
        if !unknown.isEmpty {
            printError("vigil: \(unknown.joined(separator: ", ")): unknown: no delegation data for \(unknown.count == 1 ? "this country" : "these countries") in \(db) (run vigil entities import, or give --mmdb); nothing replayed")
            throw ExitCode(1)
        }
        let runner = ReplayRunner(options: o, store: store, entityMap: map, mmdb: try mmdb.map { try MMDB(path: $0) })
        let bar = ProgressBar()
        runner.progress = { bar.update(bytes: $0, total: $1, elements: $2) }
        if events && format == .table {
            // The lifecycle as it happens: what an alert would say, recoveries included.
            runner.onEvent = { change in
                let e = change.event
                guard e.kind.isAlert else { return }
                switch change {
                case .opened:
                    bar.done()
                    print("\(UTCTime.format(e.start))  OPEN       \(e.entity) \(e.kind.rawValue) (\(e.cause.rawValue))\(e.precededByInstability ? ", after instability" : "")")
                case .closed:
                    bar.done()
                    let what = e.kind == .outage ? "RECOVERED" : "ENDED    "
                    print("\(UTCTime.format(e.end ?? e.start))  \(what)  \(e.entity) \(e.kind.rawValue) after \(EventFormat.duration(e))")
                case .updated:
                    break
                }
            }
        }
        runner.report = { bar.done(); printError("vigil: \($0)") }
        let s = try runner.run()
        try blockingWait { try await store.finishWriting() }
        bar.done()
        // A watched entity none of whose prefixes the archives showed has no rows: say so, it is unknown, not dark.
        // (Any range: a RIB is applied whatever its time, so its rows may lie outside --from/--until.)
        let unseen = try o.watch.filter { e in try blockingWait { try await store.series(entity: e.description, from: nil, until: nil).isEmpty } }
        for e in unseen { printError("vigil: \(e): no prefix of it seen in these archives: unknown, nothing stored for it") }
        if !o.watch.isEmpty && unseen.count == o.watch.count { throw ExitCode(1) }
        // Standard output carries only the events asked for; the summary goes to standard error.
        let rate = s.seconds > 0 ? Int(Double(s.elements) / s.seconds) : 0
        printError("replayed \(s.elements) elements (\(rate) elements/s): \(s.rows) series rows, \(s.bins) bins of \(bin) s, in \(db)")
        if s.typedRecords > 0 {
            printError("records: \(s.walkedRecords + s.typedRecords), of which \(s.typedRecords) decoded in full (types, messages or attributes the fast path leaves to the typed decoder)")
        }
        let m = runner.engine.state.memoryReport()
        if m.routes > 0 {
            let perRoute = Double(m.tableBytes + m.pathBytes) / Double(m.routes)
            printError("state: \(m.routes) routes from \(runner.engine.state.peers.count) peers, \(runner.engine.state.prefixes.count) prefixes, \(runner.engine.state.paths.count) distinct AS paths; \(Int(perRoute * 10) / 10 == 0 ? "<0.1" : String(Double(Int(perRoute * 10)) / 10)) bytes/route in peer tables and paths")
        }
        if events {
            for f in runner.feedEvents {
                printError("vigil: feed \(UTCTime.format(f.start))–\(f.end.map(UTCTime.format) ?? "end"): \(f.sentence)")
            }
            if o.ribs.isEmpty {
                printError("vigil: " + (runner.convergedAt.map { "no RIB: entities judged from \(UTCTime.format($0)), once the tables had converged" }
                    ?? "no RIB: the tables never converged (routes still growing), so nothing was judged"))
            }
            let all = runner.detector.events.values.sorted { ($0.start, $0.entity) < ($1.start, $1.entity) }
            // The summary leads with what matters: the most severe events first.
            let top = all.sorted { $0.severity > $1.severity }.prefix(5)
            if all.count > 5 {
                printError("vigil: \(all.count) events; most severe: " + top.map { "\($0.entity) \($0.kind.rawValue) \(UTCTime.format($0.start)) (\(EventFormat.duration($0)))" }.joined(separator: "; "))
            }
            printEvents(all, format: format)
        }
        // As vigil dump: exit 1 when input was missing or skipped (what was read is kept).
        if s.issues > 0 { printError("vigil: \(s.issues) problems reading the archives (reported above): records or files skipped") }
        if missing > 0 { printError("vigil: \(missing) archive files named or in the range were not replayed (reported above)") }
        if s.elements == 0 { printError("vigil: no elements replayed: the archives hold none\(from != nil || until != nil ? " in the time range" : "")") }
        if s.issues > 0 || missing > 0 || s.elements == 0 { throw ExitCode(1) }
    }
}
