import Foundation
import PostgresNIO
public import Signals

/// The series in PostgreSQL: the runs SQLite keeps (`SQLiteSeries.swift` says how), each bin's
/// changes sent as a few statements over arrays (`unnest`), whatever the number of entities.
extension PostgresStore {
    /// The writer's state while a transaction runs (copied back only if it commits).
    final class WriteState: @unchecked Sendable {
        var writer: RunWriter
        var partitions: Set<Int64>
        var report = RetentionReport()
        init(_ w: RunWriter, _ p: Set<Int64>) { (writer, partitions) = (w, p) }
    }

    /// Every column of `runs`, in the order of a fresh database's table (named in every insert all the same).
    static let allColumns = "entity, vantage, bin, until, step, prev_space, space, vals"

    /// A run as the retention pass reads it: its entity, bin, until, step and packed values.
    static let runColumns = "entity, bin, until, step, vals"

    static func run(_ r: PostgresRow, openUntil: Int64?) throws -> (Int64, SeriesRun) {
        var (e, bin, until, step, vals) = try r.decode((Int64, Int64, Int64?, Int64, ByteBuffer).self)
        guard vals.readableBytes == PackedValues.size, let values = PackedValues.unpack(&vals) else {
            throw StoreError(path: "runs", message: "values of \(vals.readableBytes) bytes, not \(PackedValues.size)")
        }
        return (e, SeriesRun(bin: bin, until: until ?? openUntil ?? bin + step, step: step, values: values))
    }

    /// The partition that holds `bin`, made if it is not there yet. In a transaction of its own that
    /// holds nothing else (its lock serialises writers making the same one): inside a bin's
    /// transaction, two writers could each wait for the other.
    func ensurePartition(_ bin: Int64, _ st: WriteState) async throws {
        let w = Self.partitionSeconds
        let n = bin >= 0 ? bin / w : (bin - w + 1) / w
        guard !st.partitions.contains(n) else { return }
        let name = "runs_p\(n < 0 ? "m\(-n)" : "\(n)")"
        try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(7311001)", logger: logger)
            try await c.query(PostgresQuery(unsafeSQL: "CREATE TABLE IF NOT EXISTS \(name) PARTITION OF runs FOR VALUES FROM (\(n * w)) TO (\((n + 1) * w))"),
                              logger: logger)
        }
        st.partitions.insert(n)
    }

    public func write(_ rows: [SeriesRow], step: Int64) async throws {
        guard !rows.isEmpty else { return }
        precondition(step > 0, "a bin lasts a positive number of seconds")
        var grouped: [(Int64, ArraySlice<SeriesRow>)] = []
        RunWriter.bins(rows) { grouped.append(($0, $1)) }
        let bins = grouped
        try await gate.run { [self] in
            // If the write fails, the next one starts afresh from what was committed, as after a restart.
            let st = WriteState(writer, partitions)
            writer = RunWriter()
            try await named {
                // Before the bins' transaction, each in its own: names get numbers (sorted, so writers lock
                // them in one order) and the partitions are made; neither is undone if the bins are not written.
                try await client.withTransaction(logger: logger) { c in
                    if !st.writer.started { try await start(c, step: step, st) }
                }
                let fresh = Set(bins.flatMap { st.writer.unknown($0.1) }).sorted()
                if !fresh.isEmpty {
                    try await client.query(Self.query("INSERT INTO entities (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING", [fresh]),
                                           logger: logger)
                    for try await (id, e) in try await client.query(Self.query("SELECT id, name FROM entities WHERE name = ANY($1)", [fresh]),
                                                                    logger: logger).decode((Int64, String).self) {
                        st.writer.entities[e] = .init(id: id)
                    }
                }
                for (b, _) in bins {
                    try await ensurePartition(b, st)
                    try await ensurePartition(b + 3600, st)  // where a run cut at b may now begin
                }
                try await client.withTransaction(logger: logger) { c in
                    for (b, bin) in bins { try await carryOut(c, st.writer.plan(b, bin, step: step), st) }
                }
            }
            writer = st.writer
            partitions = st.partitions
        }
    }

    /// A writer's first write: its vantage point's number, the runs an earlier writer left open closed, the entities' numbers.
    private func start(_ c: PostgresConnection, step: Int64, _ st: WriteState) async throws {
        try await c.query(Self.query("""
            INSERT INTO vantage_points (name, step, open_until, written_until) VALUES ($1, $2, 0, 0) ON CONFLICT (name) DO NOTHING
            """, [vantage, step]), logger: logger)
        for try await id in try await c.query(Self.query("SELECT id FROM vantage_points WHERE name = $1", [vantage]), logger: logger)
            .decode(Int64.self) { st.writer.vantageID = id }
        // A writer that stopped without closing (killed, crashed) left its runs open: they end where it got to.
        try await c.query(Self.query("""
            UPDATE runs SET until = (SELECT open_until FROM vantage_points WHERE id = $1) WHERE vantage = $1 AND until IS NULL
            """, [st.writer.vantageID]), logger: logger)
        for try await (id, e) in try await c.query("SELECT id, name FROM entities", logger: logger).decode((Int64, String).self) {
            st.writer.entities[e] = .init(id: id)
        }
        st.writer.started = true
    }

    private func carryOut(_ c: PostgresConnection, _ p: BinPlan, _ st: WriteState) async throws {
        let (b, v) = (p.bin, st.writer.vantageID)
        if p.discontinuous {
            if let u = p.closeOpenAt {
                try await c.query(Self.query("UPDATE runs SET until = $1 WHERE vantage = $2 AND until IS NULL", [u, v]), logger: logger)
            }
            try await c.query(Self.query("""
                INSERT INTO runs (\(Self.allColumns)) SELECT entity, vantage, $1, until, step, prev_space, space, vals
                FROM runs WHERE vantage = $2 AND bin < $1 AND until > $1
                """, [b, v]), logger: logger)
            try await c.query(Self.query("UPDATE runs SET until = $1 WHERE vantage = $2 AND bin < $1 AND until > $1", [b, v]), logger: logger)
        }
        // Runs that began at this bin in an earlier write: this bin is replaced, the rest of each run kept.
        try await c.query(Self.query("UPDATE runs SET bin = bin + step, prev_space = NULL WHERE vantage = $2 AND bin = $1 AND until > bin + step",
                                     [b, v]), logger: logger)
        try await c.query(Self.query("DELETE FROM runs WHERE vantage = $2 AND bin = $1", [b, v]), logger: logger)
        if !p.closes.isEmpty {
            try await c.query(Self.query("""
                UPDATE runs SET until = $1 FROM unnest($3::int8[], $4::int8[]) AS x(e, s) WHERE runs.entity = x.e AND runs.vantage = $2 AND runs.bin = x.s
                """, [b, v, p.closes.map(\.entity), p.closes.map(\.start)]), logger: logger)
        }
        if !p.inserts.isEmpty {
            let x = p.inserts.map(\.values)
            try await c.query(Self.query("""
                INSERT INTO runs (\(Self.allColumns)) SELECT e, $2, $1, NULL, $3, NULLIF(p, 'NaN'::float8), s, substring($6 FROM i::int * 80 - 79 FOR 80)
                FROM unnest($4::int8[], $5::float8[], $7::float8[]) WITH ORDINALITY AS x(e, s, p, i)
                """, [b, v, p.step, p.inserts.map(\.entity), x.map(\.space), PackedValues.pack(x), p.inserts.map { $0.prev ?? .nan }]),
                logger: logger)
        }
        try await c.query(Self.query("UPDATE vantage_points SET step = $1, open_until = $2, written_until = GREATEST(written_until, $2) WHERE id = $3",
                                     [p.step, b + p.step, v]), logger: logger)
    }

    func vantagePoints() async throws -> [VantagePoint] {
        try await rows("SELECT id, name, open_until FROM vantage_points ORDER BY name").map { try $0.decode((Int64, String, Int64).self) }
    }

    public func series(entity: String, vantage: String?, from: Int64?, until: Int64?) async throws -> [SeriesRow] {
        try await named {
            var points: [VantagePoint] = [], id: Int64?
            for try await (vp, e) in try await client.execute(VantagePointsFor(entity: entity), logger: logger) {
                points.append(vp)
                id = e
            }
            guard let id else { return [] }
            var runs: [[SeriesRun]] = []
            for vp in points where vantage == nil || vp.name == vantage {
                let read = RunsInRange(entity: id, vantage: vp.id, from: from ?? Int64.min, until: until ?? Int64.max, openUntil: vp.openUntil)
                for try await r in try await client.execute(read, logger: logger) { runs.append(r) }
            }
            return SeriesRun.rows(entity, runs, from: from, until: until)
        }
    }

    public func entityNames() async throws -> [String] {
        try await rows("SELECT name FROM entities e WHERE EXISTS (SELECT 1 FROM runs WHERE entity = e.id) ORDER BY name").map { try $0.decode(String.self) }
    }

    public func searchEntities(_ text: String, limit: Int) async throws -> [String] {
        var found: [String] = []
        for (lo, hi) in Self.searchRanges(text) {
            found += try await rows("SELECT name FROM entities WHERE name >= $1 AND name < $2 ORDER BY name LIMIT $3", [lo, hi, Int64(limit)])
                .map { try $0.decode(String.self) }
        }
        return Self.searchResult(found, limit: limit)
    }

    public func biggestDrops(limit: Int) async throws -> [EntityDrop] {
        var drops: [EntityDrop] = []
        for vp in try await rows("SELECT id, written_until - step FROM vantage_points") {
            let (id, last) = try vp.decode((Int64, Int64).self)
            for r in try await rows("""
                SELECT e.name, space, prev_space FROM runs JOIN entities e ON e.id = runs.entity
                WHERE bin = $1 AND vantage = $2 AND prev_space > space
                """, [last, id]) {
                let (name, now, before) = try r.decode((String, Double, Double).self)
                drops.append(EntityDrop(entity: name, bin: last, before: before, now: now))
            }
        }
        return EntityDrop.strongest(drops, limit: limit)
    }
}
