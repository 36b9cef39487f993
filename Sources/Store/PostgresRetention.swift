import PostgresNIO

/// Retention in PostgreSQL, as in SQLite (`SQLiteRetention.swift`); hourly data past `keep` goes
/// a partition at a time (DROP TABLE, not row by row).
extension PostgresStore {
    @discardableResult
    public func applyRetention(now: Int64, raw: Int64, keep: Int64?) async throws -> RetentionReport {
        let cutoff = (now - raw) / 3600 * 3600
        let gone = keep.map { (now - $0) / 3600 * 3600 }
        return try await gate.run { [self] in
            let st = WriteState(writer, partitions)
            let points = try await vantagePoints()
            let mine = st.writer.vantageID
            try await named {
                // Partitions first, outside the pass's transaction (making one waits for every writer's).
                try await ensurePartition(cutoff, st)
                if let gone { try await ensurePartition(gone, st) }
                try await client.withTransaction(logger: logger) { c in
                    for vp in points { try await rollUp(c, vantage: vp.id, openUntil: vp.openUntil, before: cutoff, mine: mine, st) }
                    if let gone { try await expire(c, before: gone, mine: mine, st) }
                }
            }
            writer = st.writer
            partitions = st.partitions
            return st.report
        }
    }

    private func rollUp(_ c: PostgresConnection, vantage v: Int64, openUntil: Int64, before cutoff: Int64, mine: Int64, _ st: WriteState) async throws {
        var byEntity: [(Int64, [SeriesRun])] = []
        let q = try Self.query("""
            SELECT \(Self.runColumns) FROM runs
            WHERE vantage = $1 AND step < 3600 AND bin < $2 ORDER BY entity, bin
            """, [v, cutoff])
        for try await r in try await c.query(q, logger: logger) {
            let (e, run) = try Self.run(r, openUntil: openUntil)
            if byEntity.last?.0 == e { byEntity[byEntity.count - 1].1.append(run) } else { byEntity.append((e, [run])) }
        }
        guard !byEntity.isEmpty else { return }
        // The raw bins go first (a run that spans the cut-off keeps its part after it), so an hour never meets the run it replaces.
        try await c.query(Self.query("DELETE FROM runs WHERE vantage = $1 AND step < 3600 AND bin < $2 AND until <= $2", [v, cutoff]), logger: logger)
        try await move(c, where: "vantage = $2 AND step < 3600 AND bin < $1", [cutoff, v], mine: mine, st)
        var entity: [Int64] = [], bin: [Int64] = [], until: [Int64] = [], x: [StoredValues] = []
        for (e, runs) in byEntity {
            st.report.rawRuns += runs.count
            // Each hour lies where its raw bins were: its partition is there.
            for h in SeriesRun.hourly(runs, before: cutoff) {
                entity.append(e); bin.append(h.bin); until.append(h.until); x.append(h.values)
            }
        }
        st.report.hourlyRuns += entity.count
        try await c.query(Self.query("""
            INSERT INTO runs (\(Self.allColumns)) SELECT e, $1, b, u, 3600, NULL, s, substring($6 FROM i::int * 80 - 79 FOR 80)
            FROM unnest($2::int8[], $3::int8[], $4::int8[], $5::float8[]) WITH ORDINALITY AS x(e, b, u, s, i)
            """, [v, entity, bin, until, x.map(\.space), PackedValues.pack(x)]), logger: logger)
    }

    /// Everything before `gone` goes: runs that span it keep their part after it, whole partitions
    /// before it are dropped, and what is left of older runs in the partition that holds it is deleted.
    private func expire(_ c: PostgresConnection, before gone: Int64, mine: Int64, _ st: WriteState) async throws {
        try await move(c, where: "bin < $1 AND (until IS NULL OR until > $1)", [gone], mine: mine, st)
        let parts = try await c.query("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'runs'
            """, logger: logger)
        var drop: [(String, Int64)] = []
        for try await name in parts.decode(String.self) where name.hasPrefix("runs_p") {
            let digits = name.dropFirst("runs_p".count)
            guard let n = digits.hasPrefix("m") ? Int64(digits.dropFirst()).map({ -$0 }) : Int64(digits) else { continue }
            if (n + 1) * Self.partitionSeconds <= gone { drop.append((name, n)) }
        }
        for (name, n) in drop {
            for try await count in try await c.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(name)"), logger: logger).decode(Int64.self) {
                st.report.dropped += Int(count)
            }
            try await c.query(PostgresQuery(unsafeSQL: "DROP TABLE \(name)"), logger: logger)
            st.partitions.remove(n)
        }
        let deleted = try await c.query(Self.query("WITH d AS (DELETE FROM runs WHERE until <= $1 RETURNING 1) SELECT COUNT(*) FROM d", [gone]),
                                        logger: logger)
        for try await n in deleted.decode(Int64.self) { st.report.dropped += Int(n) }
    }

    /// Runs matching `condition` ($1 is where they now begin) begin at $1; the writer's open ones are closed by their new key.
    private func move(_ c: PostgresConnection, where condition: String, _ values: [Int64], mine: Int64, _ st: WriteState) async throws {
        let q = try Self.query("""
            WITH m AS (SELECT entity, vantage, bin FROM runs WHERE \(condition))
            UPDATE runs SET bin = $1, prev_space = NULL FROM m WHERE runs.entity = m.entity AND runs.vantage = m.vantage AND runs.bin = m.bin
            RETURNING runs.entity, runs.vantage, m.bin
            """, values.map { $0 as (any PostgresThrowingDynamicTypeEncodable)? })
        var moves: [(entity: Int64, from: Int64, to: Int64)] = []
        for try await (e, v, b) in try await c.query(q, logger: logger).decode((Int64, Int64, Int64).self) where v == mine {
            moves.append((e, b, values[0]))
        }
        st.writer.moved(moves)
    }
}
