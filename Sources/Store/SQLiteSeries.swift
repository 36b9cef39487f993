import GRDB
public import Signals

/// The series in SQLite: one row per run of unchanged bins (see `SeriesRun`), keyed by entity,
/// vantage point and first bin. A run still growing has no end (`until` NULL): it lasts to its
/// vantage point's `open_until`, moved once per bin, so a bin that repeats the one before costs
/// nothing to write. A write that is not the next bin of this store's writer (a gap, a re-run, a
/// bin written again) first closes what was open and cuts older runs around the bin it replaces.
extension SQLiteStore {
    static func seriesMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v6-series-runs") { db in
            // Entities and vantage points by number: the runs' key is three integers, small and quick to compare.
            try db.execute(sql: "CREATE TABLE entities (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
            try db.execute(sql: """
                CREATE TABLE vantage_points (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    step INTEGER NOT NULL,
                    open_until INTEGER NOT NULL,
                    written_until INTEGER NOT NULL
                )
                """)
            try db.execute(sql: """
                CREATE TABLE runs (
                    entity INTEGER NOT NULL,
                    vantage INTEGER NOT NULL,
                    bin INTEGER NOT NULL,
                    until INTEGER,
                    step INTEGER NOT NULL,
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
                    prev_space REAL,
                    PRIMARY KEY (entity, vantage, bin)
                ) WITHOUT ROWID
                """)
            // The entities that changed in a bin (the biggest drops now, a bin written again).
            try db.execute(sql: "CREATE INDEX runs_by_bin ON runs (bin, vantage)")
            // The runs a writer left open (closed when the next one starts).
            try db.execute(sql: "CREATE INDEX runs_open ON runs (vantage) WHERE until IS NULL")
            // Earlier versions stored every bin: each becomes a run of one bin, the step the
            // smallest gap between bins (300 s, the default, if there is one bin).
            let gap = try Int64.fetchOne(db, sql: """
                SELECT MIN(b2 - b1) FROM (SELECT bin AS b1, LEAD(bin) OVER (ORDER BY bin) AS b2 FROM (SELECT DISTINCT bin FROM series))
                """) ?? 300
            try db.execute(sql: "INSERT INTO entities (name) SELECT DISTINCT entity FROM series ORDER BY entity")
            try db.execute(sql: """
                INSERT INTO runs SELECT e.id, 1, bin, bin + ?1, ?1, routed_v4, routed_v6, visible_prefixes, mean_visibility,
                    announcements, withdrawals, path_changes, origin_changes, full_feed_peers_v4, full_feed_peers_v6, NULL
                FROM series JOIN entities e ON e.name = series.entity
                """, arguments: [gap])
            if let last = try Int64.fetchOne(db, sql: "SELECT MAX(bin) FROM series") {
                try db.execute(sql: "INSERT INTO vantage_points VALUES (1, '', ?, ?, ?)", arguments: [gap, last + gap, last + gap])
            }
            try db.execute(sql: "DROP TABLE series")
        }
        m.registerMigration("v7-runs-drops") { db in
            // The biggest drops now read from the index alone: only runs that began lower than the run before.
            try db.execute(sql: """
                CREATE INDEX runs_drops ON runs (bin, vantage, entity, prev_space, routed_v4, routed_v6) WHERE prev_space > routed_v4 + routed_v6
                """)
        }
    }

    public func write(_ rows: [SeriesRow], step: Int64) async throws {
        guard !rows.isEmpty else { return }
        precondition(step > 0, "a bin lasts a positive number of seconds")
        try await write { [self] db in
            // GRDB runs one write at a time; the lock keeps retention's reads of the writer's state apart.
            try sessionLock.withLock {
                // Taken, not copied (one dictionary entry per entity, not to be duplicated per bin). If the
                // write fails, the next one starts afresh from what was committed, as after a restart.
                var w = writer
                writer = RunWriter()
                if !w.started {
                    try db.execute(sql: "INSERT OR IGNORE INTO vantage_points (name, step, open_until, written_until) VALUES (?, ?, 0, 0)",
                                   arguments: [vantage, step])
                    w.vantageID = try Int64.fetchOne(db, sql: "SELECT id FROM vantage_points WHERE name = ?", arguments: [vantage])!
                    // A writer that stopped without closing (killed, crashed) left its runs open: they end where it got to.
                    try db.execute(sql: """
                        UPDATE runs SET until = (SELECT open_until FROM vantage_points WHERE id = ?1) WHERE vantage = ?1 AND until IS NULL
                        """, arguments: [w.vantageID])
                    for r in try Row.fetchAll(db, sql: "SELECT id, name FROM entities") { w.entities[r[1]] = .init(id: r[0]) }
                    w.started = true
                }
                try RunWriter.bins(rows) { b, bin in
                    for name in w.unknown(bin) {
                        try db.execute(sql: "INSERT INTO entities (name) VALUES (?)", arguments: [name])
                        w.entities[name] = .init(id: db.lastInsertedRowID)
                    }
                    try carryOut(w.plan(b, bin, step: step), vantage: w.vantageID, db)
                }
                writer = w
            }
        }
    }

    private func carryOut(_ p: BinPlan, vantage v: Int64, _ db: Database) throws {
        let b = p.bin
        if p.discontinuous {
            if let u = p.closeOpenAt {
                try db.execute(sql: "UPDATE runs SET until = ? WHERE vantage = ? AND until IS NULL", arguments: [u, v])
            }
            for r in try Row.fetchAll(db, sql: "SELECT entity, bin FROM runs WHERE vantage = ? AND bin < ? AND until > ?", arguments: [v, b, b]) {
                let (e, start): (Int64, Int64) = (r[0], r[1])
                try db.execute(sql: """
                    INSERT INTO runs SELECT entity, vantage, ?, until, step, routed_v4, routed_v6, visible_prefixes, mean_visibility, announcements,
                        withdrawals, path_changes, origin_changes, full_feed_peers_v4, full_feed_peers_v6, prev_space
                    FROM runs WHERE entity = ? AND vantage = ? AND bin = ?
                    """, arguments: [b, e, v, start])
                try db.execute(sql: "UPDATE runs SET until = ? WHERE entity = ? AND vantage = ? AND bin = ?", arguments: [b, e, v, start])
            }
        }
        // Runs that began at this bin in an earlier write: this bin is replaced, the rest of each run kept.
        for r in try Row.fetchAll(db, sql: "SELECT entity, until, step FROM runs WHERE bin = ? AND vantage = ?", arguments: [b, v]) {
            let (e, until, own): (Int64, Int64?, Int64) = (r[0], r[1], r[2])
            if let until, until > b + own {
                try db.execute(sql: "UPDATE runs SET bin = ?, prev_space = NULL WHERE entity = ? AND vantage = ? AND bin = ?", arguments: [b + own, e, v, b])
            } else {
                try db.execute(sql: "DELETE FROM runs WHERE entity = ? AND vantage = ? AND bin = ?", arguments: [e, v, b])
            }
        }
        let close = try db.cachedStatement(sql: "UPDATE runs SET until = ? WHERE entity = ? AND vantage = ? AND bin = ?")
        for c in p.closes { try close.execute(arguments: [b, c.entity, v, c.start]) }
        let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for (e, x, prev) in p.inserts {
            try insert.execute(arguments: [e, v, b, p.step, x.routedV4, x.routedV6, x.visiblePrefixes, x.meanVisibility, x.announcements,
                                           x.withdrawals, x.pathChanges, x.originChanges, x.fullFeedPeers4, x.fullFeedPeers6, prev])
        }
        try db.execute(sql: "UPDATE vantage_points SET step = ?, open_until = ?2, written_until = MAX(written_until, ?2) WHERE id = ?3",
                       arguments: [p.step, b + p.step, v])
    }

    /// Each vantage point's number, name and where its open runs end.
    func vantagePoints(_ db: Database) throws -> [VantagePoint] {
        try Row.fetchAll(db, sql: "SELECT id, name, open_until FROM vantage_points ORDER BY name").map { ($0[0], $0[1], $0[2]) }
    }

    /// `SeriesRun.inRange` with SQLite's numbered parameters (`$1` would be a name, numbered by first use).
    static let inRange = SeriesRun.inRange.replacingOccurrences(of: "$", with: "?")

    static let runColumns = """
        vantage, bin, until, step, routed_v4, routed_v6, visible_prefixes, mean_visibility, announcements, withdrawals,
        path_changes, origin_changes, full_feed_peers_v4, full_feed_peers_v6
        """

    /// A row of `runColumns` as a run; an open one ends at `openUntil`.
    static func run(_ r: Row, openUntil: Int64?) -> SeriesRun {
        SeriesRun(bin: r[1], until: (r[2] as Int64?) ?? openUntil ?? ((r[1] as Int64) + (r[3] as Int64)), step: r[3],
                  values: StoredValues(routedV4: r[4], routedV6: r[5], visiblePrefixes: r[6], meanVisibility: r[7], announcements: r[8],
                                       withdrawals: r[9], pathChanges: r[10], originChanges: r[11], fullFeedPeers4: r[12], fullFeedPeers6: r[13]))
    }

    public func series(entity: String, vantage: String?, from: Int64?, until: Int64?) async throws -> [SeriesRow] {
        try await read { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM entities WHERE name = ?", arguments: [entity]) else { return [] }
            let runs = try vantagePoints(db).filter { vantage == nil || $0.name == vantage }.map { vp in
                // A cursor's rows are read in place; fetchAll would copy each (with its column names) first.
                try Array(Row.fetchCursor(db, sql: "SELECT \(Self.runColumns) FROM runs WHERE \(Self.inRange)",
                                          arguments: [id, vp.id, from ?? Int64.min, until ?? Int64.max]).map { Self.run($0, openUntil: vp.openUntil) })
            }
            return SeriesRun.rows(entity, runs, from: from, until: until)
        }
    }

    public func entityNames() async throws -> [String] {
        try await read { db in try String.fetchAll(db, sql: "SELECT name FROM entities WHERE EXISTS (SELECT 1 FROM runs WHERE entity = id) ORDER BY name") }
    }

    public func searchEntities(_ text: String, limit: Int) async throws -> [String] {
        try await read { db in
            Self.searchResult(try Self.searchRanges(text).flatMap { lo, hi in
                try String.fetchAll(db, sql: "SELECT name FROM entities WHERE name >= ? AND name < ? ORDER BY name LIMIT ?", arguments: [lo, hi, limit])
            }, limit: limit)
        }
    }

    /// The runs that began in each vantage point's last bin carry the space before them: a drop is
    /// read from the last bin's changes alone. An entity whose run ended there is unknown, left out.
    public func biggestDrops(limit: Int) async throws -> [EntityDrop] {
        try await read { db in
            var drops: [EntityDrop] = []
            for vp in try Row.fetchAll(db, sql: "SELECT id, step, written_until FROM vantage_points") {
                let last = (vp["written_until"] as Int64) - (vp["step"] as Int64)
                for r in try Row.fetchAll(db, sql: """
                    SELECT e.name AS entity, routed_v4 + routed_v6 AS space, prev_space FROM runs INDEXED BY runs_drops
                    JOIN entities e ON e.id = runs.entity WHERE bin = ? AND vantage = ? AND prev_space > routed_v4 + routed_v6
                    """, arguments: [last, vp["id"] as Int64]) {
                    drops.append(EntityDrop(entity: r["entity"], bin: last, before: r["prev_space"], now: r["space"]))
                }
            }
            return EntityDrop.strongest(drops, limit: limit)
        }
    }
}
