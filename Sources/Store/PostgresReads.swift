import PostgresNIO

/// The series read, the dashboard's hottest query, as prepared statements. Two costs dominated it
/// on a year of data: planning (5–9 ms: the run in progress is found by a subquery, so every
/// partition stays in a custom plan) and handing out a value per column and run (a busy entity's
/// 30 days are 8,640 runs). Prepared once per connection with a generic plan (the connection sets
/// `plan_cache_mode`, see `PostgresStore.init`), partitions are pruned when it runs; and the runs
/// come back as one string of bytes, decoded in one pass.
extension PostgresStore {
    /// The entity's number (nil if unknown) beside every vantage point and where its open runs end.
    struct VantagePointsFor: PostgresPreparedStatement {
        static let sql = """
            SELECT v.id, v.name, v.open_until, (SELECT id FROM entities WHERE name = $1) FROM vantage_points v ORDER BY v.name
            """
        typealias Row = (VantagePoint, Int64?)
        var entity: String

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 1)
            b.append(entity)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row {
            let (id, name, open, entity) = try row.decode((Int64, String, Int64, Int64?).self)
            return ((id, name, open), entity)
        }
    }

    /// One entity's runs at one vantage point that hold bins in [from, until) (`SeriesRun.inRange`),
    /// joined on the server into one string of bytes: per run its bin, until and step (8 bytes each,
    /// big-endian) and its packed values (`PackedValues`). An open run's `until` is sent as its own
    /// `bin` (no run ends where it begins).
    struct RunsInRange: PostgresPreparedStatement {
        static let sql = """
            SELECT string_agg(int8send(bin) || int8send(COALESCE(until, bin)) || int8send(step) || vals, ''::bytea)
            FROM (SELECT bin, until, step, vals FROM runs WHERE \(SeriesRun.inRange)) r
            """
        typealias Row = [SeriesRun]
        var entity: Int64, vantage: Int64, from: Int64, until: Int64, openUntil: Int64

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 4)
            for v in [entity, vantage, from, until] { b.append(v) }
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row {
            // No run in range: string_agg of nothing is NULL.
            guard var b = try row.decode(ByteBuffer?.self) else { return [] }
            let record = 24 + PackedValues.size
            guard b.readableBytes % record == 0 else { throw StoreError(path: "runs", message: "runs of \(b.readableBytes) bytes, not whole records") }
            var runs: [SeriesRun] = []
            runs.reserveCapacity(b.readableBytes / record)
            b.withUnsafeReadableBytes { raw in
                var at = 0
                while at + record <= raw.count {
                    let bin = PackedValues.int(raw, at), until = PackedValues.int(raw, at + 8), step = PackedValues.int(raw, at + 16)
                    runs.append(SeriesRun(bin: bin, until: until == bin ? openUntil : until, step: step, values: PackedValues.unpack(raw, at + 24)))
                    at += record
                }
            }
            // The subquery's order is the aggregate's order in practice, but not a promise: checked, sorted if need be.
            if !zip(runs, runs.dropFirst()).allSatisfy({ $0.bin < $1.bin }) { runs.sort { $0.bin < $1.bin } }
            return runs
        }
    }
}
