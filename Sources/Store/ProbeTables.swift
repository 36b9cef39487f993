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
}

extension SQLiteStore {
    public func writeProbes(_ rows: [ProbeRow]) throws {
        guard !rows.isEmpty else { return }
        try write { db in
            let st = try db.makeStatement(sql: "INSERT OR REPLACE INTO probes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for r in rows {
                try st.execute(arguments: [r.entity, r.time, r.blocks, r.judged, r.up, r.down, r.uncertain, r.sent, r.answered,
                                           r.loss, r.rttMedian, r.rttP95])
            }
        }
    }

    public func probeSeries(entity: String, from: Int64?, until: Int64?) throws -> [ProbeRow] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM probes WHERE entity = ? AND time >= ? AND time < ? ORDER BY time",
                             arguments: [entity, from ?? Int64.min, until ?? Int64.max]).map { r in
                ProbeRow(entity: r["entity"], time: r["time"], blocks: r["blocks"], judged: r["judged"], up: r["up"], down: r["down"],
                         uncertain: r["uncertain"], sent: r["sent"], answered: r["answered"], rttMedian: r["rtt_median"],
                         rttP95: r["rtt_p95"])
            }
        }
    }

    public func writeBlocks(_ blocks: [BlockRecord]) throws {
        guard !blocks.isEmpty else { return }
        try write { db in
            let st = try db.makeStatement(sql: "INSERT OR REPLACE INTO probe_blocks VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for b in blocks {
                try st.execute(arguments: [b.block.description, b.entity, b.why, b.state.rawValue, b.belief, b.availability,
                                           b.responsive, b.censusAt])
            }
        }
    }

    public func blocks(entity: String?) throws -> [BlockRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM probe_blocks WHERE ? IS NULL OR entity = ?", arguments: [entity, entity])
                .compactMap { r -> BlockRecord? in
                    guard let p = Prefix(r["block"] as String), let state = BlockVerdict.State(rawValue: r["state"]) else { return nil }
                    return BlockRecord(block: p, entity: r["entity"], why: r["why"], state: state, belief: r["belief"],
                                       availability: r["availability"], responsive: r["responsive"], censusAt: r["census_at"])
                }.sorted { $0.block < $1.block }
        }
    }
}
