// `vigil-bench store-year-pg URL [ENTITIES] [DAYS]`: the synthetic year of StoreYear.swift in
// PostgreSQL. The schema is the store's own (its migrations, its partitions of 30 days); the runs
// are loaded in bulk with COPY through psql (the secondary indexes made after, as a bulk load
// does), then the same queries are timed through the store, and one day of bins is written
// through its write path under another vantage point (STORE_YEAR_WRITE=0: not).
import Foundation
import Signals
import Store

func storeYearPostgres(url: String, entities: Int, days: Int) throws {
    let now: Int64 = 1_767_225_600  // 2026-01-01, as for SQLite
    let start = now - Int64(days) * 86_400, rawFrom = now - 30 * 86_400
    let names = (0..<entities).map { "AS\(64_512 + $0 * 7)" }
    let t = Date()
    let store = try blockingWait { try await Stores.open(url) }
    let loaded = try psql(url, ["-Atc", "SELECT COUNT(*) FROM entities"]).trimmingCharacters(in: .whitespacesAndNewlines)
    if ProcessInfo.processInfo.environment["STORE_YEAR_REUSE"] == "1", loaded == "\(entities)" {
        let size = try psql(url, ["-Atc", "SELECT pg_database_size(current_database())"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let runs = try psql(url, ["-Atc", "SELECT sum(reltuples)::bigint FROM pg_class WHERE relname LIKE 'runs_p%' AND relkind = 'r'"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        print(String(format: "reused %@ (migrations: %.1f s): %@ runs (planner's count), %lld MB",
                     url.replacingOccurrences(of: #":[^:@/]*@"#, with: "@", options: .regularExpression), Date().timeIntervalSince(t), runs,
                     (Int64(size) ?? 0) / 1_000_000))
    } else {
        guard loaded == "0" else { throw BenchError("\(url): not empty (\(loaded) entities): give an empty database") }
        try load(url, names: names, start: start, rawFrom: rawFrom, now: now)
    }
    try queries(store: store, names: names, entities: entities, start: start, now: now)
    // STORE_YEAR_WRITE=0: the queries alone (a re-run on a database whose "live" day is already written would rewrite it).
    guard ProcessInfo.processInfo.environment["STORE_YEAR_WRITE"] != "0" else { return }
    // STORE_YEAR_VANTAGE: the write path's vantage point (another name writes afresh on a database that has "live").
    let vantage = ProcessInfo.processInfo.environment["STORE_YEAR_VANTAGE"] ?? "live"
    try writePath(into: try blockingWait { try await Stores.open(url, vantage: vantage) }, names: names, entities: entities, now: now)
}

private func load(_ url: String, names: [String], start: Int64, rawFrom: Int64, now: Int64) throws {
    let w: Int64 = 30 * 86_400
    var ddl = "DROP INDEX runs_by_bin; DROP INDEX runs_open; DROP INDEX runs_drops;"
    for n in (start / w)...(now / w + 1) {
        ddl += "CREATE TABLE IF NOT EXISTS runs_p\(n) PARTITION OF runs FOR VALUES FROM (\(n * w)) TO (\((n + 1) * w));"
    }
    ddl += "INSERT INTO vantage_points (id, name, step, open_until, written_until) VALUES (1, '', 300, \(now), \(now));"
    _ = try psql(url, ["-c", ddl])
    let t0 = Date()
    try copy(url, "COPY entities (id, name) FROM STDIN WITH (FORMAT csv)") { put in
        for (i, n) in names.enumerated() { put("\(i + 1),\(n)\n") }
    }
    var runs = 0
    try copy(url, "COPY runs (entity, vantage, bin, until, step, prev_space, space, vals) FROM STDIN WITH (FORMAT csv)") { put in
        for i in names.indices {
            forEachRun(entity: i, name: names[i], start: start, rawFrom: rawFrom, now: now) { bin, until, step, r, prev in
                put("\(i + 1),1,\(bin),\(until.map(String.init) ?? ""),\(step),\(prev.map { "\($0)" } ?? ""),\(r.routedV4 + r.routedV6),\(r.packedHex)\n")
                runs += 1
            }
            if (i + 1) % 10_000 == 0 { FileHandle.standardError.write(Data("store-year-pg: \(i + 1) entities, \(runs) runs\n".utf8)) }
        }
    }
    let copied = Date().timeIntervalSince(t0)
    // The store's own index definitions (PostgresSchema), made once over the loaded partitions.
    _ = try psql(url, ["-c", """
        SET maintenance_work_mem = '1GB';
        CREATE INDEX runs_by_bin ON runs (bin, vantage);
        CREATE INDEX runs_open ON runs (vantage) WHERE until IS NULL;
        CREATE INDEX runs_drops ON runs (bin, vantage, entity) INCLUDE (prev_space, space) WHERE prev_space > space;
        """])
    // One statement a call: psql runs several given at once in one transaction, where VACUUM may not run.
    // Rows were copied with their ids: the sequences go on after them (the write path adds a vantage point).
    _ = try psql(url, ["-c", "SELECT setval(pg_get_serial_sequence('vantage_points', 'id'), (SELECT max(id) FROM vantage_points)); "
                       + "SELECT setval(pg_get_serial_sequence('entities', 'id'), (SELECT max(id) FROM entities))"])
    _ = try psql(url, ["-c", "VACUUM ANALYZE runs"])
    _ = try psql(url, ["-c", "VACUUM ANALYZE entities"])
    let size = try psql(url, ["-Atc", "SELECT pg_database_size(current_database())"]).trimmingCharacters(in: .whitespacesAndNewlines)
    print("layout: \(names.count) entities x \((now - start) / 86_400) days (raw 5-minute runs for 30 days, hourly before): \(runs) runs, "
          + "\((Int64(size) ?? 0) / 1_000_000) MB, COPY in \(String(format: "%.1f", copied)) s, "
          + "indexes and VACUUM ANALYZE in \(String(format: "%.1f", Date().timeIntervalSince(t0) - copied)) s")
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// psql's output, or its error.
func psql(_ url: String, _ args: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    p.arguments = [url, "-v", "ON_ERROR_STOP=1", "-q"] + args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let text = out.fileHandleForReading.readDataToEndOfFile()
    let problem = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw BenchError("psql: \(String(decoding: problem, as: UTF8.self))") }
    return String(decoding: text, as: UTF8.self)
}

/// COPY … FROM STDIN through psql, the rows given by `body` (buffered a megabyte at a time).
func copy(_ url: String, _ sql: String, _ body: (_ put: (String) -> Void) throws -> Void) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    p.arguments = [url, "-v", "ON_ERROR_STOP=1", "-qc", sql]
    let input = Pipe()
    p.standardInput = input
    try p.run()
    var buffer = ""
    buffer.reserveCapacity(1 << 21)
    try body { line in
        buffer += line
        if buffer.utf8.count >= 1 << 20 {
            input.fileHandleForWriting.write(Data(buffer.utf8))
            buffer.removeAll(keepingCapacity: true)
        }
    }
    input.fileHandleForWriting.write(Data(buffer.utf8))
    try input.fileHandleForWriting.close()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw BenchError("psql: \(sql) failed (status \(p.terminationStatus))") }
}
