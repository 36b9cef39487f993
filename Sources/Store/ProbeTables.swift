import GRDB
public import Probing
import BGPWire

/// The data-plane tables, beside the BGP `series`: `probes` (one row per entity
/// per round) and `probe_blocks` (each probed block's latest state and why it is probed).
enum ProbeTables {
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE probes (
                entity TEXT NOT NULL,
                time INTEGER NOT NULL,
                blocks INTEGER NOT NULL,
                judged INTEGER NOT NULL,
                up INTEGER NOT NULL,
                down INTEGER NOT NULL,
                uncertain INTEGER NOT NULL,
                sent INTEGER NOT NULL,
                answered INTEGER NOT NULL,
                loss REAL NOT NULL,
                rtt_median REAL NOT NULL,
                rtt_p95 REAL NOT NULL,
                PRIMARY KEY (entity, time)
            ) WITHOUT ROWID
            """)
        try db.execute(sql: """
            CREATE TABLE probe_blocks (
                block TEXT PRIMARY KEY,
                entity TEXT NOT NULL,
                why TEXT NOT NULL,
                state TEXT NOT NULL,
                belief REAL NOT NULL,
                availability REAL NOT NULL,
                responsive INTEGER NOT NULL,
                census_at INTEGER NOT NULL
            ) WITHOUT ROWID
            """)
    }

    /// v8: the vantage point first in each key (a table rebuilt: SQLite cannot change a primary key).
    static func addVantage(_ db: Database) throws {
        for (table, key) in [("probes", "vantage, entity, time"), ("probe_blocks", "vantage, block")] {
            try db.execute(sql: "ALTER TABLE \(table) RENAME TO \(table)_v7")
            let columns = try db.columns(in: "\(table)_v7")
            let defs = columns.map { "\($0.name) \($0.type) NOT NULL" }.joined(separator: ", ")
            try db.execute(sql: "CREATE TABLE \(table) (vantage TEXT NOT NULL, \(defs), PRIMARY KEY (\(key))) WITHOUT ROWID")
            let names = columns.map(\.name).joined(separator: ", ")
            try db.execute(sql: "INSERT INTO \(table) (vantage, \(names)) SELECT '', \(names) FROM \(table)_v7")
            try db.execute(sql: "DROP TABLE \(table)_v7")
        }
    }
}

extension SQLiteStore {
    /// The vantage column of `table`, or '' in a database not yet migrated (opened read-only): all one vantage point's.
    static func vantageColumn(_ db: Database, _ table: String) throws -> String {
        try db.columns(in: table).contains { $0.name == "vantage" } ? "vantage" : "''"
    }

    public func writeProbes(_ rows: [ProbeRow]) async throws {
        guard !rows.isEmpty else { return }
        try await write { [vantage] db in
            let st = try db.makeStatement(sql: """
                INSERT OR REPLACE INTO probes (vantage, entity, time, blocks, judged, up, down, uncertain, sent, answered, loss, rtt_median, rtt_p95)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in rows {
                try st.execute(arguments: [vantage, r.entity, r.time, r.blocks, r.judged, r.up, r.down, r.uncertain, r.sent, r.answered,
                                           r.loss, r.rttMedian, r.rttP95])
            }
        }
    }

    public func probeSeries(entity: String, vantage: String?, from: Int64?, until: Int64?) async throws -> [ProbeRow] {
        try await read { db in
            // Columns by position (a name is looked up, lower-cased, per row and column), rows read in place.
            try Array(Row.fetchCursor(db, sql: """
                SELECT entity, time, blocks, judged, up, down, uncertain, sent, answered, rtt_median, rtt_p95 FROM probes
                WHERE entity = ?1 AND (?2 IS NULL OR \(Self.vantageColumn(db, "probes")) = ?2) AND time >= ?3 AND time < ?4 ORDER BY time
                """, arguments: [entity, vantage, from ?? Int64.min, until ?? Int64.max]).map { r in
                ProbeRow(entity: r[0], time: r[1], blocks: r[2], judged: r[3], up: r[4], down: r[5], uncertain: r[6], sent: r[7], answered: r[8],
                         rttMedian: r[9], rttP95: r[10])
            })
        }
    }

    public func writeBlocks(_ blocks: [BlockRecord]) async throws {
        guard !blocks.isEmpty else { return }
        try await write { [vantage] db in
            let st = try db.makeStatement(sql: """
                INSERT OR REPLACE INTO probe_blocks (vantage, block, entity, why, state, belief, availability, responsive, census_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for b in blocks {
                try st.execute(arguments: [vantage, b.block.description, b.entity, b.why, b.state.rawValue, b.belief, b.availability,
                                           b.responsive, b.censusAt])
            }
        }
    }

    public func blocks(entity: String?, vantage: String?) async throws -> [BlockRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM probe_blocks WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR \(Self.vantageColumn(db, "probe_blocks")) = ?2)",
                             arguments: [entity, vantage])
                .compactMap { r -> BlockRecord? in
                    guard let p = Prefix(r["block"] as String), let state = BlockVerdict.State(rawValue: r["state"]) else { return nil }
                    return BlockRecord(block: p, entity: r["entity"], why: r["why"], state: state, belief: r["belief"],
                                       availability: r["availability"], responsive: r["responsive"], censusAt: r["census_at"])
                }.sorted { $0.block < $1.block }
        }
    }
}
