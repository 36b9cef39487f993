import PostgresNIO

/// The series read, the dashboard's hottest query, as prepared statements. Two costs dominated it
/// on a year of data: planning (5–9 ms: the run in progress is found by a subquery, so every
/// partition stays in a custom plan) and decoding a row per run (a busy entity's 30 days are
/// 8,640 rows of 14 columns). Prepared once per connection with a generic plan (the connection
/// sets `plan_cache_mode`, see `PostgresStore.init`), partitions are pruned when it runs; and the
/// runs come back as one row of arrays, a column each, decoded in one pass per column.
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
    /// as arrays in bin order. An open run's `until` is sent as its own `bin` (no run ends where it begins).
    struct RunsInRange: PostgresPreparedStatement {
        static let sql = """
            SELECT array_agg(bin), array_agg(COALESCE(until, bin)), array_agg(step), array_agg(routed_v4), array_agg(routed_v6),
                array_agg(visible_prefixes), array_agg(mean_visibility), array_agg(announcements), array_agg(withdrawals),
                array_agg(path_changes), array_agg(origin_changes), array_agg(full_feed_peers_v4), array_agg(full_feed_peers_v6)
            FROM (SELECT * FROM runs WHERE \(SeriesRun.inRange)) r
            """
        typealias Row = [SeriesRun]
        var entity: Int64, vantage: Int64, from: Int64, until: Int64, openUntil: Int64

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 4)
            for v in [entity, vantage, from, until] { b.append(v) }
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row {
            // No run in range: array_agg of nothing is NULL.
            let columns = try row.decode((ByteBuffer?, ByteBuffer?, ByteBuffer?, ByteBuffer?, ByteBuffer?, ByteBuffer?, ByteBuffer?,
                                          ByteBuffer?, ByteBuffer?, ByteBuffer?, ByteBuffer?, ByteBuffer?, ByteBuffer?).self)
            guard let c0 = columns.0 else { return [] }
            let bins = try Self.int8s(c0), untils = try Self.int8s(columns.1), steps = try Self.int8s(columns.2)
            let r4 = try Self.float8s(columns.3), r6 = try Self.float8s(columns.4), vp = try Self.int8s(columns.5)
            let mv = try Self.float8s(columns.6), a = try Self.int8s(columns.7), w = try Self.int8s(columns.8)
            let pc = try Self.int8s(columns.9), oc = try Self.int8s(columns.10), f4 = try Self.int8s(columns.11), f6 = try Self.int8s(columns.12)
            guard [untils.count, steps.count, r4.count, r6.count, vp.count, mv.count, a.count, w.count, pc.count, oc.count, f4.count, f6.count]
                    .allSatisfy({ $0 == bins.count }) else { throw StoreError(path: "runs", message: "array columns of different lengths") }
            // The subquery's order is the arrays' order in practice, but not a promise: checked, sorted if need be.
            let order = zip(bins, bins.dropFirst()).allSatisfy({ $0 < $1 }) ? Array(bins.indices) : bins.indices.sorted { bins[$0] < bins[$1] }
            var runs: [SeriesRun] = []
            runs.reserveCapacity(bins.count)
            for i in order {
                runs.append(SeriesRun(bin: bins[i], until: untils[i] == bins[i] ? openUntil : untils[i], step: steps[i],
                                      values: StoredValues(routedV4: r4[i], routedV6: r6[i], visiblePrefixes: Int(vp[i]), meanVisibility: mv[i],
                                                           announcements: Int(a[i]), withdrawals: Int(w[i]), pathChanges: Int(pc[i]),
                                                           originChanges: Int(oc[i]), fullFeedPeers4: Int(f4[i]), fullFeedPeers6: Int(f6[i]))))
            }
            return runs
        }

        /// A one-dimensional array without NULLs of 8-byte elements in PostgreSQL's binary format:
        /// dimensions, NULL flag, element type, then per dimension its length and lower bound, then
        /// each element as a length and big-endian bytes. Read by hand: postgres-nio's generic array
        /// decoding looks up type metadata per element, which was most of a busy entity's read.
        static func elements(_ buffer: ByteBuffer?, _ body: (UInt64) -> Void) throws {
            guard var b = buffer, let dims = b.readInteger(as: Int32.self), let nulls = b.readInteger(as: Int32.self),
                  b.readInteger(as: UInt32.self) != nil else { throw StoreError(path: "runs", message: "not an array") }
            guard dims == 1, nulls == 0, let count = b.readInteger(as: Int32.self), b.readInteger(as: Int32.self) != nil, count >= 0,
                  b.readableBytes == Int(count) * 12 else { throw StoreError(path: "runs", message: "not a one-dimensional array of 8-byte values") }
            for _ in 0..<count {
                guard b.readInteger(as: Int32.self) == 8, let v = b.readInteger(as: UInt64.self) else {
                    throw StoreError(path: "runs", message: "an array element is not 8 bytes")
                }
                body(v)
            }
        }
        static func int8s(_ buffer: ByteBuffer?) throws -> [Int64] {
            var out: [Int64] = []
            out.reserveCapacity((buffer?.readableBytes ?? 0) / 12)
            try elements(buffer) { out.append(Int64(bitPattern: $0)) }
            return out
        }
        static func float8s(_ buffer: ByteBuffer?) throws -> [Double] {
            var out: [Double] = []
            out.reserveCapacity((buffer?.readableBytes ?? 0) / 12)
            try elements(buffer) { out.append(Double(bitPattern: $0)) }
            return out
        }
    }
}
