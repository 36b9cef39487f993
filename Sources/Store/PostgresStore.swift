import Foundation
import Logging
import PostgresNIO
import NIOPosix
public import Signals
public import Entities
public import BGPWire
public import Probing

/// The shared store: one PostgreSQL database that several `vigil serve` processes (collectors at
/// different places, probers in different networks) write into, each under its vantage point's
/// name. The same tables as SQLite (runs of unchanged bins, see `SeriesRun`), with the runs
/// partitioned by time so old data is dropped a partition at a time.
public final class PostgresStore: SeriesStore, @unchecked Sendable {
    let client: PostgresClient
    let running: Task<Void, Never>
    /// The URL without its password, for errors.
    public let location: String
    public let vantage: String
    let logger: Logger
    /// Series writes and retention one at a time: both change the writer's state.
    let gate = SerialGate()
    /// The writer's state (see `RunWriter`), only touched through `gate`.
    var writer = RunWriter()
    /// Partitions of `runs` known to exist (their numbers: bin / partitionSeconds), only touched through `gate`.
    var partitions = Set<Int64>()
    static let partitionSeconds: Int64 = 30 * 86_400

    /// `url`: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (TLS is not used: a private network or loopback).
    public init(url: String, vantage: String = "") async throws {
        guard let c = URLComponents(string: url), ["postgres", "postgresql"].contains(c.scheme ?? ""), let user = c.user, !user.isEmpty else {
            throw StoreError(path: url, message: "not a PostgreSQL URL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        let host = c.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        var shown = c
        shown.password = nil
        location = shown.string ?? "postgres://\(host)"
        self.vantage = vantage
        var log = Logger(label: "vigil.store.postgres")
        log.logLevel = .warning
        logger = log
        let db = database.isEmpty ? nil : database
        var config = PostgresClient.Configuration(host: host, port: c.port ?? 5432, username: user, password: c.password, database: db, tls: .disable)
        config.options.connectTimeout = .seconds(5)
        // Prepared statements (`PostgresReads.swift`) are planned once per connection, partitions pruned as they run.
        config.options.additionalStartupParameters = [("plan_cache_mode", "force_generic_plan")]
        let client = PostgresClient(configuration: config, backgroundLogger: log)
        self.client = client
        running = Task.detached { await client.run() }
        do {
            // One connection first: a server that is not there is an error now, not a wait on the pool.
            var probe = PostgresConnection.Configuration(host: host, port: c.port ?? 5432, username: user, password: c.password, database: db, tls: .disable)
            probe.options.connectTimeout = .seconds(5)
            do {
                let conn = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: probe, id: 0, logger: log).get()
                try await conn.close()
            } catch {
                throw StoreError(path: location, message: "cannot connect: \(String(reflecting: error))")
            }
            try await named { try await self.migrate() }
        } catch {
            running.cancel()
            throw error
        }
    }

    deinit { running.cancel() }

    /// Runs `body`, naming the database in any error.
    func named<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as StoreError { throw e } catch {
            throw StoreError(path: location, message: String(reflecting: error))
        }
    }

    /// A query from SQL with $1… placeholders and the values for them (nil is NULL).
    static func query(_ sql: String, _ values: [(any PostgresThrowingDynamicTypeEncodable)?] = []) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: values.count)
        for v in values {
            if let v { try binds.append(v) } else { binds.appendNull() }
        }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    func rows(_ sql: String, _ values: [(any PostgresThrowingDynamicTypeEncodable)?] = []) async throws -> [PostgresRow] {
        let q = try Self.query(sql, values)
        return try await named { try await client.query(q, logger: logger).collect() }
    }

    func execute(_ sql: String, _ values: [(any PostgresThrowingDynamicTypeEncodable)?] = []) async throws {
        _ = try await rows(sql, values)
    }

    /// Statements in one transaction.
    func transaction(_ queries: [PostgresQuery]) async throws {
        try await named {
            try await client.withTransaction(logger: logger) { c in for q in queries { try await c.query(q, logger: logger) } }
        }
    }

    /// Named, forward-only migrations, applied once each under an advisory lock (several
    /// processes may start against one database at once).
    func migrate() async throws {
        try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(7311000)", logger: logger)
            try await c.query("CREATE TABLE IF NOT EXISTS vigil_migrations (name TEXT PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())",
                              logger: logger)
            var done = Set<String>()
            for try await name in try await c.query("SELECT name FROM vigil_migrations", logger: logger).decode(String.self) { done.insert(name) }
            for (name, statements) in PostgresSchema.migrations where !done.contains(name) {
                for sql in statements { try await c.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
                try await c.query(Self.query("INSERT INTO vigil_migrations (name) VALUES ($1)", [name]), logger: logger)
            }
        }
    }

    public func writeEvents(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        let enc = JSONEncoder()
        try await transaction(try events.map { e in
            try Self.query("""
                INSERT INTO events (vantage, id, entity, kind, cause, start, "end", scope, severity, level, preceded_by_instability, evidence,
                    observation_stopped) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                ON CONFLICT (vantage, id) DO UPDATE SET entity = EXCLUDED.entity, kind = EXCLUDED.kind, cause = EXCLUDED.cause, start = EXCLUDED.start,
                    "end" = EXCLUDED."end", scope = EXCLUDED.scope, severity = EXCLUDED.severity, level = EXCLUDED.level,
                    preceded_by_instability = EXCLUDED.preceded_by_instability, evidence = EXCLUDED.evidence,
                    observation_stopped = EXCLUDED.observation_stopped
                """, [vantage, e.id, e.entity, e.kind.rawValue, e.cause.rawValue, e.start, e.end, e.scope, e.severity, e.level, e.precededByInstability,
                      String(decoding: try enc.encode(e.evidence), as: UTF8.self), e.observationStopped])
        })
    }

    public func events(entity: String?, vantage: String?, from: Int64?, until: Int64?) async throws -> [Event] {
        let dec = JSONDecoder()
        return try await rows("""
            SELECT id, entity, kind, cause, start, "end", scope, severity, level, preceded_by_instability, evidence, observation_stopped, vantage
            FROM events WHERE ($1::text IS NULL OR entity = $1) AND ($4::text IS NULL OR vantage = $4) AND start < $2
                AND COALESCE("end", 9223372036854775807) > $3
            ORDER BY start, entity, vantage
            """, [entity, until ?? Int64.max, from ?? Int64.min, vantage]).map { r in
            let (id, entity, kind, cause, start, end, scope, severity, level, preceded, evidence, stopped, vp) =
                try r.decode((String, String, String, String, Int64, Int64?, Double, Double, String, Bool, String, Bool, String).self)
            guard let k = Event.Kind(rawValue: kind) else { throw StoreError(path: location, message: "event \(id): unknown kind \(kind)") }
            let ev: Event.Evidence
            do { ev = try dec.decode(Event.Evidence.self, from: Data(evidence.utf8)) } catch {
                throw StoreError(path: location, message: "event \(id): cannot read its evidence: \(error)")
            }
            return Event(entity: entity, kind: k, cause: Event.Cause(rawValue: cause) ?? .unknown, start: start, end: end, scope: scope,
                         severity: severity, level: level, precededByInstability: preceded, evidence: ev, observationStopped: stopped, vantage: vp)
        }
    }

    public func writeSourceHealth(_ health: [SourceHealth]) async throws {
        guard !health.isEmpty else { return }
        try await transaction(try health.map { h in
            try Self.query("""
                INSERT INTO source_health VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (vantage, source) DO UPDATE SET state = EXCLUDED.state, since = EXCLUDED.since, last_data = EXCLUDED.last_data,
                    data_time = EXCLUDED.data_time, detail = EXCLUDED.detail
                """, [vantage, h.source, h.state.rawValue, h.since, h.lastData, h.dataTime, h.detail])
        })
    }

    public func sourceHealth(vantage: String?) async throws -> [SourceHealth] {
        try await rows("""
            SELECT vantage, source, state, since, last_data, data_time, detail FROM source_health WHERE $1::text IS NULL OR vantage = $1
            ORDER BY vantage, source
            """, [vantage]).map { r in
            let (vp, source, state, since, last, time, detail) = try r.decode((String, String, String, Int64, Int64?, Int64?, String).self)
            var h = SourceHealth(source: source, state: SourceHealth.State(rawValue: state) ?? .down, since: since, lastData: last, dataTime: time,
                                 detail: detail)
            h.vantage = vp
            return h
        }
    }

    public func savePrefixOrigins(_ origins: [(prefix: Prefix, origin: UInt32, seen: Int64)]) async throws {
        guard !origins.isEmpty else { return }
        try await execute("""
            INSERT INTO prefix_origin SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[])
            ON CONFLICT (prefix) DO UPDATE SET origin = EXCLUDED.origin, seen = EXCLUDED.seen
            """, [origins.map(\.prefix.description), origins.map { Int64($0.origin) }, origins.map(\.seen)])
    }

    public func prefixOrigins() async throws -> [(prefix: Prefix, origin: UInt32, seen: Int64)] {
        try await rows("SELECT prefix, origin, seen FROM prefix_origin").compactMap { r in
            let (p, o, seen) = try r.decode((String, Int64, Int64).self)
            guard let prefix = Prefix(p), let origin = UInt32(exactly: o) else { return nil }
            return (prefix, origin, seen)
        }.sorted { $0.prefix < $1.prefix }
    }

    public func saveEntityMap(_ map: EntityMap) async throws {
        let blocks = map.v4Blocks + map.v6Blocks
        try await transaction([try Self.query("DELETE FROM asn_country"), try Self.query("DELETE FROM block_country"),
                       try Self.query("INSERT INTO asn_country SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[])",
                                      [map.asnRanges.map { Int64($0.start) }, map.asnRanges.map { Int64($0.end) }, map.asnRanges.map(\.country)]),
                       try Self.query("INSERT INTO block_country SELECT * FROM unnest($1::text[], $2::text[])",
                                      [blocks.map(\.prefix.description), blocks.map(\.country)])])
    }

    public func loadEntityMap() async throws -> EntityMap {
        var m = EntityMap()
        for r in try await rows("SELECT first, last, country FROM asn_country") {
            let (first, last, cc) = try r.decode((Int64, Int64, String).self)
            if let f = UInt32(exactly: first), let l = UInt32(exactly: last) { m.addASNRange(f, l, cc) }
        }
        for r in try await rows("SELECT prefix, country FROM block_country") {
            let (p, cc) = try r.decode((String, String).self)
            if let prefix = Prefix(p) { m.addBlock(prefix, cc) }
        }
        m.finish()
        return m
    }

    public func writeProbes(_ rows: [ProbeRow]) async throws {
        guard !rows.isEmpty else { return }
        try await execute("""
            INSERT INTO probes (vantage, entity, time, blocks, judged, up, down, uncertain, sent, answered, loss, rtt_median, rtt_p95)
            SELECT $13, * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[],
                $8::int8[], $9::int8[], $10::float8[], $11::float8[], $12::float8[])
            ON CONFLICT (vantage, entity, time) DO UPDATE SET blocks = EXCLUDED.blocks, judged = EXCLUDED.judged, up = EXCLUDED.up, down = EXCLUDED.down,
                uncertain = EXCLUDED.uncertain, sent = EXCLUDED.sent, answered = EXCLUDED.answered, loss = EXCLUDED.loss,
                rtt_median = EXCLUDED.rtt_median, rtt_p95 = EXCLUDED.rtt_p95
            """, [rows.map(\.entity), rows.map(\.time), rows.map { Int64($0.blocks) }, rows.map { Int64($0.judged) }, rows.map { Int64($0.up) },
                  rows.map { Int64($0.down) }, rows.map { Int64($0.uncertain) }, rows.map { Int64($0.sent) }, rows.map { Int64($0.answered) },
                  rows.map(\.loss), rows.map(\.rttMedian), rows.map(\.rttP95), vantage])
    }

    public func probeSeries(entity: String, vantage: String?, from: Int64?, until: Int64?) async throws -> [ProbeRow] {
        try await rows("""
            SELECT entity, time, blocks, judged, up, down, uncertain, sent, answered, rtt_median, rtt_p95 FROM probes
            WHERE entity = $1 AND ($4::text IS NULL OR vantage = $4) AND time >= $2 AND time < $3 ORDER BY time, vantage
            """, [entity, from ?? Int64.min, until ?? Int64.max, vantage]).map { r in
            let (e, t, blocks, judged, up, down, uncertain, sent, answered, median, p95) =
                try r.decode((String, Int64, Int, Int, Int, Int, Int, Int, Int, Double, Double).self)
            return ProbeRow(entity: e, time: t, blocks: blocks, judged: judged, up: up, down: down, uncertain: uncertain, sent: sent,
                            answered: answered, rttMedian: median, rttP95: p95)
        }
    }

    public func writeBlocks(_ blocks: [BlockRecord]) async throws {
        guard !blocks.isEmpty else { return }
        try await execute("""
            INSERT INTO probe_blocks (vantage, block, entity, why, state, belief, availability, responsive, census_at)
            SELECT $9, * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::int8[], $8::int8[])
            ON CONFLICT (vantage, block) DO UPDATE SET entity = EXCLUDED.entity, why = EXCLUDED.why, state = EXCLUDED.state, belief = EXCLUDED.belief,
                availability = EXCLUDED.availability, responsive = EXCLUDED.responsive, census_at = EXCLUDED.census_at
            """, [blocks.map(\.block.description), blocks.map(\.entity), blocks.map(\.why), blocks.map(\.state.rawValue), blocks.map(\.belief),
                  blocks.map(\.availability), blocks.map { Int64($0.responsive) }, blocks.map(\.censusAt), vantage])
    }

    public func blocks(entity: String?, vantage: String?) async throws -> [BlockRecord] {
        try await rows("""
            SELECT block, entity, why, state, belief, availability, responsive, census_at FROM probe_blocks
            WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR vantage = $2)
            """, [entity, vantage]).compactMap { r in
            let (block, e, why, state, belief, availability, responsive, census) = try r.decode((String, String, String, String, Double, Double, Int, Int64).self)
            guard let p = Prefix(block), let s = BlockVerdict.State(rawValue: state) else { return nil }
            return BlockRecord(block: p, entity: e, why: why, state: s, belief: belief, availability: availability, responsive: responsive, censusAt: census)
        }.sorted { $0.block < $1.block }
    }
}

