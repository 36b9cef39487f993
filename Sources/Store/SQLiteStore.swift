import GRDB
import Foundation
public import Signals
public import Entities
public import BGPWire

/// A store failure, naming the database file.
public struct StoreError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

/// The embedded store: one SQLite file (`vigil.db` by default) through GRDB,
/// with forward-only named migrations. Written through a `DatabasePool` (WAL), so readers
/// (`vigil series`, the status and web API) never wait for the writer, nor it for them.
public final class SQLiteStore: SeriesStore, @unchecked Sendable {
    let db: any DatabaseWriter
    public let path: String
    /// The vantage point this store writes as ("" when there is one).
    public let vantage: String
    /// The writer's open runs: one writer at a time (GRDB serialises the writes, this lock the state around them).
    let sessionLock = NSLock()
    var writer = RunWriter()

    /// `readOnly`: for commands that only read (`vigil series`, `vigil events`): the file
    /// must exist (nothing is created), and a read-only file or directory is fine.
    public init(path: String, readOnly: Bool = false, vantage: String = "") throws {
        self.path = path
        self.vantage = vantage
        var config = Configuration()
        config.prepareDatabase { db in
            // WAL with NORMAL sync: a killed process loses nothing committed (only a power cut may lose
            // the last bins, never corrupt the file); a larger page cache keeps the runs' index in memory.
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536")
        }
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else {
                throw StoreError(path: path, message: "no such database (vigil replay, collect or probe makes one; --db names another)")
            }
            config.readonly = true
        }
        do {
            // Read-only: one connection is all a command that reads needs (and it works in a folder it cannot write).
            db = readOnly ? try DatabaseQueue(path: path, configuration: config) : try DatabasePool(path: path, configuration: config)
        } catch {
            // A WAL database in a directory we cannot write (no -shm file to make) opens only as
            // immutable; no writer can be running there, or its -shm file would exist.
            guard readOnly, let again = try? DatabaseQueue(path: SQLiteStore.immutableURI(path), configuration: config) else {
                throw StoreError(path: path, message: "\(error)")
            }
            db = again
        }
        if !readOnly { try access { try SQLiteStore.migrator.migrate(db) } }
    }

    /// The WAL copied into the database file and emptied: readers that cannot write (no -shm) and
    /// copies of the file alone see everything (an exiting process does not always close the pool).
    public func finishWriting() async throws {
        guard let pool = db as? DatabasePool else { return }
        try await pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }

    /// `file:PATH?immutable=1`, the path escaped as a URI needs.
    static func immutableURI(_ path: String) -> String {
        var p = ""
        for c in path {
            switch c {
            case "%": p += "%25"
            case "?": p += "%3f"
            case "#": p += "%23"
            default: p.append(c)
            }
        }
        return "file:\(p)?immutable=1"
    }

    /// Runs a database access, naming this file in any error.
    func access<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as StoreError { throw e } catch {
            throw StoreError(path: path, message: "\(error)")
        }
    }

    /// A read on one of the pool's reader connections: it never waits for the writer.
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do { return try await db.read(body) } catch let e as StoreError { throw e } catch {
            throw StoreError(path: path, message: "\(error)")
        }
    }

    /// A transaction on the one writer connection (GRDB runs them one at a time).
    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do { return try await db.write(body) } catch let e as StoreError { throw e } catch {
            throw StoreError(path: path, message: "\(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-series") { db in
            // One row per entity and bin; the key makes re-running a replay replace, not duplicate.
            try db.execute(sql: """
                CREATE TABLE series (
                    entity TEXT NOT NULL,
                    bin INTEGER NOT NULL,
                    routed_v4 REAL NOT NULL,
                    routed_v6 REAL NOT NULL,
                    visible_prefixes INTEGER NOT NULL,
                    mean_visibility REAL NOT NULL,
                    announcements INTEGER NOT NULL,
                    withdrawals INTEGER NOT NULL,
                    path_changes INTEGER NOT NULL,
                    origin_changes INTEGER NOT NULL,
                    full_feed_peers_v4 INTEGER NOT NULL,
                    full_feed_peers_v6 INTEGER NOT NULL,
                    PRIMARY KEY (entity, bin)
                ) WITHOUT ROWID
                """)
        }
        m.registerMigration("v1-entity-map") { db in
            try db.execute(sql: "CREATE TABLE asn_country (first INTEGER NOT NULL, last INTEGER NOT NULL, country TEXT NOT NULL)")
            try db.execute(sql: "CREATE TABLE block_country (prefix TEXT NOT NULL, country TEXT NOT NULL)")
        }
        m.registerMigration("v1-prefix-origin") { db in
            try db.execute(sql: "CREATE TABLE prefix_origin (prefix TEXT PRIMARY KEY, origin INTEGER NOT NULL, seen INTEGER NOT NULL) WITHOUT ROWID")
        }
        m.registerMigration("v2-events") { db in
            // Evidence is a JSON document: its shape grows with new signals without a migration.
            try db.execute(sql: """
                CREATE TABLE events (
                    id TEXT PRIMARY KEY,
                    entity TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    cause TEXT NOT NULL,
                    start INTEGER NOT NULL,
                    "end" INTEGER,
                    scope REAL NOT NULL,
                    severity REAL NOT NULL,
                    level TEXT NOT NULL,
                    preceded_by_instability INTEGER NOT NULL,
                    evidence TEXT NOT NULL
                ) WITHOUT ROWID
                """)
            try db.execute(sql: "CREATE INDEX events_by_entity ON events (entity, start)")
        }
        m.registerMigration("v3-probes", migrate: ProbeTables.create)
        m.registerMigration("v4-events-observation-stopped") { db in
            // Older rows ended only by recovering: 0.
            try db.execute(sql: "ALTER TABLE events ADD COLUMN observation_stopped INTEGER NOT NULL DEFAULT 0")
        }
        m.registerMigration("v5-series-by-bin") { db in
            // The latest bins of every entity (the biggest drops now) without reading every row.
            try db.execute(sql: "CREATE INDEX series_by_bin ON series (bin)")
        }
        seriesMigrations(&m)
        m.registerMigration("v8-vantage-points") { db in
            // Events and feed health by vantage point: several observatories share one database.
            try db.execute(sql: """
                CREATE TABLE events_v8 (
                    vantage TEXT NOT NULL DEFAULT '',
                    id TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    cause TEXT NOT NULL,
                    start INTEGER NOT NULL,
                    "end" INTEGER,
                    scope REAL NOT NULL,
                    severity REAL NOT NULL,
                    level TEXT NOT NULL,
                    preceded_by_instability INTEGER NOT NULL,
                    evidence TEXT NOT NULL,
                    observation_stopped INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (vantage, id)
                ) WITHOUT ROWID
                """)
            try db.execute(sql: """
                INSERT INTO events_v8 SELECT '', id, entity, kind, cause, start, "end", scope, severity, level, preceded_by_instability,
                    evidence, observation_stopped FROM events
                """)
            try db.execute(sql: "DROP TABLE events")
            try db.execute(sql: "ALTER TABLE events_v8 RENAME TO events")
            try db.execute(sql: "CREATE INDEX events_by_entity ON events (entity, start)")
            // Events in a range whatever the entity (the dashboard's timeline), and those still open.
            try db.execute(sql: "CREATE INDEX events_by_start ON events (start)")
            try db.execute(sql: """
                CREATE TABLE source_health (
                    vantage TEXT NOT NULL,
                    source TEXT NOT NULL,
                    state TEXT NOT NULL,
                    since INTEGER NOT NULL,
                    last_data INTEGER,
                    data_time INTEGER,
                    detail TEXT NOT NULL,
                    PRIMARY KEY (vantage, source)
                ) WITHOUT ROWID
                """)
            // Probing rounds and probed blocks by vantage point: probers in different networks.
            try ProbeTables.addVantage(db)
        }
        alertMigrations(&m)
        return m
    }

    public func writeEvents(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        try await write { [vantage] db in
            let enc = JSONEncoder()
            let st = try db.makeStatement(sql: """
                INSERT OR REPLACE INTO events (vantage, id, entity, kind, cause, start, "end", scope, severity, level, preceded_by_instability,
                                               evidence, observation_stopped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for e in events {
                let evidence = String(decoding: try enc.encode(e.evidence), as: UTF8.self)
                try st.execute(arguments: [vantage, e.id, e.entity, e.kind.rawValue, e.cause.rawValue, e.start, e.end, e.scope, e.severity,
                                           e.level, e.precededByInstability ? 1 : 0, evidence, e.observationStopped ? 1 : 0])
            }
        }
    }

    /// Every event in the range, whatever version stored it; one that cannot be read is an error naming it, never skipped.
    public func events(entity: String?, vantage: String?, from: Int64?, until: Int64?) async throws -> [Event] {
        try await read { [path] db in
            let dec = JSONDecoder()
            // A database not yet migrated (opened read-only) has no vantage column: its events are the one vantage point's.
            let v = try Self.vantageColumn(db, "events")
            return try Row.fetchAll(db, sql: """
                SELECT *, \(v) AS vantage_name FROM events WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR \(v) = ?2) AND start < ?3
                    AND COALESCE("end", 9223372036854775807) > ?4
                ORDER BY start, entity, vantage_name
                """, arguments: [entity, vantage, until ?? Int64.max, from ?? Int64.min]).map { (r: Row) -> Event in
                let id: String = r["id"]
                guard let kind = Event.Kind(rawValue: r["kind"]) else {
                    throw StoreError(path: path, message: "event \(id): unknown kind \(r["kind"] as String)")
                }
                let evidence: Event.Evidence
                do { evidence = try dec.decode(Event.Evidence.self, from: Data((r["evidence"] as String).utf8)) } catch {
                    throw StoreError(path: path, message: "event \(id): cannot read its evidence: \(error)")
                }
                // A cause this version does not know (a later one wrote it) reads as unknown; a database
                // not yet migrated (opened read-only) has no observation_stopped column.
                return Event(entity: r["entity"], kind: kind, cause: Event.Cause(rawValue: r["cause"]) ?? .unknown, start: r["start"],
                             end: r["end"], scope: r["scope"], severity: r["severity"], level: r["level"],
                             precededByInstability: (r["preceded_by_instability"] as Int) != 0, evidence: evidence,
                             observationStopped: ((r["observation_stopped"] as Int?) ?? 0) != 0, vantage: r["vantage_name"])
            }
        }
    }

    public func writeSourceHealth(_ health: [SourceHealth]) async throws {
        guard !health.isEmpty else { return }
        try await write { [vantage] db in
            let st = try db.makeStatement(sql: "INSERT OR REPLACE INTO source_health VALUES (?, ?, ?, ?, ?, ?, ?)")
            for h in health {
                try st.execute(arguments: [vantage, h.source, h.state.rawValue, h.since, h.lastData, h.dataTime, h.detail])
            }
        }
    }

    public func sourceHealth(vantage: String?) async throws -> [SourceHealth] {
        try await read { db in
            guard try db.tableExists("source_health") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM source_health WHERE ?1 IS NULL OR vantage = ?1 ORDER BY vantage, source",
                                    arguments: [vantage]).map { r in
                var h = SourceHealth(source: r["source"], state: SourceHealth.State(rawValue: r["state"]) ?? .down, since: r["since"],
                                     lastData: r["last_data"], dataTime: r["data_time"], detail: r["detail"])
                h.vantage = r["vantage"]
                return h
            }
        }
    }

    public func savePrefixOrigins(_ origins: [(prefix: Prefix, origin: UInt32, seen: Int64)]) async throws {
        try await write { db in
            let st = try db.makeStatement(sql: "INSERT OR REPLACE INTO prefix_origin VALUES (?, ?, ?)")
            for o in origins { try st.execute(arguments: [o.prefix.description, Int64(o.origin), o.seen]) }
        }
    }

    public func prefixOrigins() async throws -> [(prefix: Prefix, origin: UInt32, seen: Int64)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT prefix, origin, seen FROM prefix_origin").compactMap { r in
                // A row no version of Vigil writes (an origin beyond 32 bits) is skipped, not a trap.
                guard let p = Prefix(r["prefix"] as String), let origin = UInt32(exactly: r["origin"] as Int64) else { return nil }
                return (p, origin, r["seen"] as Int64)
            }.sorted { $0.prefix < $1.prefix }
        }
    }

    public func saveEntityMap(_ map: EntityMap) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM asn_country")
            try db.execute(sql: "DELETE FROM block_country")
            let a = try db.makeStatement(sql: "INSERT INTO asn_country VALUES (?, ?, ?)")
            for r in map.asnRanges { try a.execute(arguments: [Int64(r.start), Int64(r.end), r.country]) }
            let b = try db.makeStatement(sql: "INSERT INTO block_country VALUES (?, ?)")
            for r in map.v4Blocks + map.v6Blocks { try b.execute(arguments: [r.prefix.description, r.country]) }
        }
    }

    public func loadEntityMap() async throws -> EntityMap {
        try await read { db in
            var m = EntityMap()
            for row in try Row.fetchAll(db, sql: "SELECT first, last, country FROM asn_country") {
                guard let first = UInt32(exactly: row["first"] as Int64), let last = UInt32(exactly: row["last"] as Int64) else { continue }
                m.addASNRange(first, last, row["country"])
            }
            for row in try Row.fetchAll(db, sql: "SELECT prefix, country FROM block_country") {
                if let p = Prefix(row["prefix"] as String) { m.addBlock(p, row["country"]) }
            }
            m.finish()
            return m
        }
    }
}
