// `vigil-bench store-year DB [ENTITIES] [DAYS]`: the store after a year of every origin AS.
// Each entity follows one of three behaviours: quiet (70%: its level changes about twice a day),
// moderate (25%: every hour or so) and busy (5%: announcements with a daily rhythm, a new value
// every bin); each has a few outages a year (space to 0 for 1 to 12 hours). The database is laid
// out as retention leaves it (raw 5-minute runs for the last 30 days, hourly runs before), written
// in bulk; then the dashboard's queries are timed through the store, and one day of bins is
// written through the store's own write path to measure its rate.
import Foundation
import GRDB
import Signals
import Simulator
import Store

/// One entity's signals over time: deterministic from its number.
struct Behaviour {
    let kind: Int  // 0 quiet, 1 moderate, 2 busy
    let base: Double
    var rng: SplitMix
    var level: Double
    var outages: [(Int64, Int64)] = []

    init(entity: Int, start: Int64, end: Int64) {
        rng = SplitMix(seed: UInt64(entity) &* 7919 &+ 1)
        let r = rng.unit()
        kind = r < 0.70 ? 0 : r < 0.95 ? 1 : 2
        base = Double(1 + Int(rng.next() % 4096))
        level = base
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            let at = start + Int64(rng.next() % UInt64(end - start))
            outages.append((at, at + 3600 * Int64(1 + rng.next() % 12)))
        }
    }

    /// The bin at `t` (`step` seconds).
    mutating func row(_ name: String, _ t: Int64, step: Int64) -> SeriesRow {
        let p = kind == 0 ? 0.0035 : kind == 1 ? 0.08 : 0.5
        if rng.unit() < p * Double(step) / 300 { level = max(1, (base * (0.9 + 0.2 * rng.unit())).rounded()) }
        let down = outages.contains { t >= $0.0 && t < $0.1 }
        let hour = Double(t % 86_400) / 3600
        let announcements = kind == 2 ? Int((20 + 15 * sin(hour / 24 * 2 * .pi)) * Double(step) / 300) + Int(rng.next() % 3) : 0
        return SeriesRow(entity: name, bin: t, routedV4: down ? 0 : level, routedV6: 0, visiblePrefixes: down ? 0 : Int(level / 4) + 1,
                         meanVisibility: down ? 0 : 0.97, announcements: announcements, withdrawals: announcements / 3,
                         pathChanges: announcements / 2, originChanges: 0, fullFeedPeers4: 40, fullFeedPeers6: 30)
    }
}

func storeYear(path: String, entities: Int, days: Int) throws {
    let now: Int64 = 1_767_225_600  // 2026-01-01
    let start = now - Int64(days) * 86_400, rawFrom = now - 30 * 86_400
    let names = (0..<entities).map { "AS\(64_512 + $0 * 7)" }
    // STORE_YEAR_REUSE=1: time the queries on a database an earlier run loaded (migrated first, timed).
    if ProcessInfo.processInfo.environment["STORE_YEAR_REUSE"] == "1", FileManager.default.fileExists(atPath: path) {
        let t = Date()
        _ = try SQLiteStore(path: path)
        print(String(format: "reused %@ (migrations: %.1f s)", path, Date().timeIntervalSince(t)))
        try queries(path: path, names: names, entities: entities, start: start, now: now)
        return
    }
    for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    _ = try SQLiteStore(path: path)  // the schema, by the store's own migrations
    // A bulk load, not the path measured: no journal, no sync (the write path is timed below).
    var config = Configuration()
    config.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144") }
    let pool = try DatabaseQueue(path: path, configuration: config)
    let t0 = Date()
    var runs = 0
    try pool.write { db in
        try db.execute(sql: "INSERT INTO vantage_points (id, name, step, open_until, written_until) VALUES (1, '', 300, ?, ?)", arguments: [now, now])
    }
    var e = 0
    while e < entities {
        // Batches of entities per transaction; each entity's runs in key order.
        try pool.write { db in
            let ins = try db.makeStatement(sql: "INSERT INTO runs VALUES (?, 1, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, 0, 40, 30, ?)")
            let ent = try db.makeStatement(sql: "INSERT INTO entities (id, name) VALUES (?, ?)")
            for i in e..<min(e + 2000, entities) {
                try ent.execute(arguments: [i + 1, names[i]])
                try forEachRun(entity: i, name: names[i], start: start, rawFrom: rawFrom, now: now) { bin, until, step, r, prev in
                    try ins.execute(arguments: [i + 1, bin, until, step, r.routedV4, r.visiblePrefixes, r.meanVisibility, r.announcements,
                                                r.withdrawals, r.pathChanges, prev])
                    runs += 1
                }
            }
        }
        e += 2000
        if e % 10_000 == 0 { FileHandle.standardError.write(Data("store-year: \(e) entities, \(runs) runs\n".utf8)) }
    }
    try pool.close()
    let loadSeconds = Date().timeIntervalSince(t0)
    var size: Int64 = 0
    for suffix in ["", "-wal"] { size += (try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int64) ?? 0 }
    print("layout: \(entities) entities x \(days) days (raw 5-minute runs for 30 days, hourly before): \(runs) runs, "
          + "\(size / 1_000_000) MB, bulk-loaded in \(String(format: "%.1f", loadSeconds)) s")
    try queries(path: path, names: names, entities: entities, start: start, now: now)
    try writePath(path: path, names: names, entities: entities, now: now)
}

/// One entity's runs from `start` to `now` as retention leaves them (hourly before `rawFrom`, 5-minute
/// after), in order: first bin, end (nil: the open run), step, values, and the space of the run before.
func forEachRun(entity i: Int, name: String, start: Int64, rawFrom: Int64, now: Int64,
                _ emit: (Int64, Int64?, Int64, SeriesRow, Double?) throws -> Void) rethrows {
    var b = Behaviour(entity: i, start: start, end: now)
    var open: (bin: Int64, step: Int64, row: SeriesRow)?
    var prev: Double?
    func flush(until: Int64?) throws {
        guard let o = open else { return }
        try emit(o.bin, until, o.step, o.row, prev)
        prev = o.row.routedV4
    }
    var t = start
    while t < now {
        let step: Int64 = t < rawFrom ? 3600 : 300
        let r = b.row(name, t, step: step)
        if let o = open, o.step == step, o.row.routedV4 == r.routedV4, o.row.announcements == r.announcements,
           o.row.visiblePrefixes == r.visiblePrefixes {
        } else {
            try flush(until: t)
            open = (t, step, r)
        }
        t += step
    }
    try flush(until: nil)
}

/// The dashboard's reads, each timed (the first of each kind on a cold cache).
func queries(path: String, names: [String], entities: Int, start: Int64, now: Int64) throws {
    try queries(store: try SQLiteStore(path: path, readOnly: true), names: names, entities: entities, start: start, now: now)
}

func queries(store: any SeriesStore, names: [String], entities: Int, start: Int64, now: Int64) throws {
    func time(_ label: String, _ n: Int, _ body: (Int) throws -> Void) rethrows {
        var samples: [Double] = []
        for k in 0..<n {
            let t = Date()
            try body(k)
            samples.append(Date().timeIntervalSince(t) * 1000)
        }
        samples.sort()
        print(String(format: "%@: median %.2f ms, p95 %.2f ms, max %.2f ms (%d queries)", label, samples[n / 2], samples[n * 95 / 100], samples[n - 1], n))
    }
    // The busy entities are the worst case (a run per bin).
    var rng = SplitMix(seed: 42)
    let picks = (0..<200).map { _ in Int(rng.next() % UInt64(entities)) }
    let busy = (0..<entities).filter { Behaviour(entity: $0, start: start, end: now).kind == 2 }.prefix(100)
    var rows = 0
    // The bench's main thread waits for each query.
    func month(_ e: Int) throws -> Int { try blockingWait { try await store.series(entity: names[e], from: now - 30 * 86_400, until: now).count } }
    func year(_ e: Int) throws -> Int { try blockingWait { try await store.series(entity: names[e], from: start, until: now, points: 2000).count } }
    try time("one entity's 30 days, any entity", picks.count) { rows += try month(picks[$0]) }
    try time("one entity's 30 days, busy entities", busy.count) { rows += try month(busy[busy.startIndex + $0]) }
    try time("one entity's year in 2,000 points, any entity", picks.count) { rows += try year(picks[$0]) }
    try time("one entity's year in 2,000 points, busy entities", busy.count) { rows += try year(busy[busy.startIndex + $0]) }
    var top: [EntityDrop] = []
    try time("top 20 entities by drop in the last bin", 20) { _ in top = try blockingWait { try await store.biggestDrops(limit: 20) } }
    print("  (\(rows) rows read; top drop: \(top.first.map { "\($0.entity) \(Int($0.before)) -> \(Int($0.now))" } ?? "none"))")
}

/// One day of every entity's bins through SeriesStore.write, as a replay or serve writes them.
func writePath(path: String, names: [String], entities: Int, now: Int64) throws {
    let livePath = path + ".live"
    for suffix in ["", "-wal", "-shm"] { unlink(livePath + suffix) }
    try writePath(into: try SQLiteStore(path: livePath), names: names, entities: entities, now: now)
    for suffix in ["", "-wal", "-shm"] { unlink(livePath + suffix) }
}

func writePath(into live: any SeriesStore, names: [String], entities: Int, now: Int64) throws {
    var behaviours = (0..<entities).map { Behaviour(entity: $0, start: now, end: now + 86_400) }
    let w0 = Date()
    var written = 0
    for k in 0..<288 {
        let t = now + Int64(k) * 300
        var bin: [SeriesRow] = []
        bin.reserveCapacity(entities)
        for i in 0..<entities { bin.append(behaviours[i].row(names[i], t, step: 300)) }
        try blockingWait { [bin] in try await live.write(bin, step: 300) }
        written += bin.count
    }
    let ws = Date().timeIntervalSince(w0)
    print(String(format: "write path: %d entities x 288 bins = %d rows in %.1f s: %.0f rows/s", entities, written, ws, Double(written) / ws))
}
