import GRDB

/// The alert outbox, its attempts and the silences in SQLite (`AlertOutbox.swift` says why in the store).
extension SQLiteStore {
    static func alertMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v9-alerts") { db in
            try db.execute(sql: """
                CREATE TABLE alert_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    vantage TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    notice TEXT NOT NULL,
                    key TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    next_try INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    delivered INTEGER,
                    last_error TEXT NOT NULL DEFAULT '',
                    UNIQUE (vantage, channel, notice)
                )
                """)
            // The deliverer's question, asked every second: what is due and not delivered.
            try db.execute(sql: "CREATE INDEX alert_outbox_pending ON alert_outbox (vantage, next_try) WHERE delivered IS NULL")
            try db.execute(sql: """
                CREATE TABLE alert_attempts (item INTEGER NOT NULL, at INTEGER NOT NULL, delivered INTEGER NOT NULL, detail TEXT NOT NULL)
                """)
            try db.execute(sql: "CREATE TABLE alert_silences (entity TEXT NOT NULL, since INTEGER NOT NULL, until INTEGER NOT NULL, reason TEXT NOT NULL)")
        }
    }

    static let outboxColumns = "id, channel, notice, key, payload, created, next_try, attempts, delivered, last_error, vantage"

    static func outboxItem(_ r: Row) -> OutboxItem {
        OutboxItem(id: r[0], channel: r[1], notice: r[2], key: r[3], payload: r[4], created: r[5], nextTry: r[6], attempts: r[7],
                   delivered: r[8], lastError: r[9], vantage: r[10])
    }

    @discardableResult
    public func enqueueAlerts(_ items: [OutboxItem]) async throws -> Int {
        guard !items.isEmpty else { return 0 }
        return try await write { [vantage] db in
            let st = try db.makeStatement(sql: """
                INSERT OR IGNORE INTO alert_outbox (vantage, channel, notice, key, payload, created, next_try) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            var added = 0
            for i in items {
                try st.execute(arguments: [vantage, i.channel, i.notice, i.key, i.payload, i.created, i.nextTry])
                added += db.changesCount
            }
            return added
        }
    }

    public func pendingAlerts(channel: String?, due: Int64?, limit: Int) async throws -> [OutboxItem] {
        try await read { [vantage] db in
            guard try db.tableExists("alert_outbox") else { return [] }
            return try Row.fetchAll(db, sql: """
                SELECT \(Self.outboxColumns) FROM alert_outbox WHERE vantage = ? AND delivered IS NULL AND next_try <= ?
                    AND (? IS NULL OR channel = ?) ORDER BY next_try, id LIMIT ?
                """, arguments: [vantage, min(due ?? OutboxItem.never - 1, OutboxItem.never - 1), channel, channel, limit]).map(Self.outboxItem)
        }
    }

    public func recordAlertAttempt(_ id: Int64, at: Int64, delivered: Bool, detail: String, nextTry: Int64) async throws {
        try await write { db in
            try db.execute(sql: """
                UPDATE alert_outbox SET attempts = attempts + 1, next_try = ?, delivered = CASE WHEN ? THEN ? ELSE delivered END,
                    last_error = CASE WHEN ? THEN last_error ELSE ? END WHERE id = ?
                """, arguments: [nextTry, delivered, at, delivered, detail, id])
            try db.execute(sql: "INSERT INTO alert_attempts VALUES (?, ?, ?, ?)", arguments: [id, at, delivered, detail])
        }
    }

    public func alertOutbox(limit: Int) async throws -> [OutboxItem] {
        try await read { db in
            guard try db.tableExists("alert_outbox") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT \(Self.outboxColumns) FROM alert_outbox ORDER BY created DESC, id DESC LIMIT ?",
                                    arguments: [limit]).map(Self.outboxItem)
        }
    }

    public func alertAttempts(limit: Int) async throws -> [AlertAttempt] {
        try await read { db in
            guard try db.tableExists("alert_attempts") else { return [] }
            return try Row.fetchAll(db, sql: """
                SELECT a.item, o.channel, o.notice, a.at, a.delivered, a.detail FROM alert_attempts a JOIN alert_outbox o ON o.id = a.item
                ORDER BY a.rowid DESC LIMIT ?
                """, arguments: [limit]).map { r in AlertAttempt(item: r[0], channel: r[1], notice: r[2], at: r[3], delivered: r[4], detail: r[5]) }
        }
    }

    public func addSilence(_ s: Silence) async throws {
        try await write { db in
            try db.execute(sql: "INSERT INTO alert_silences VALUES (?, ?, ?, ?)", arguments: [s.entity, s.from, s.until, s.reason])
        }
    }

    public func silences(activeAt t: Int64?) async throws -> [Silence] {
        try await read { db in
            guard try db.tableExists("alert_silences") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM alert_silences WHERE ? IS NULL OR (since <= ? AND ? < until) ORDER BY since, entity",
                                    arguments: [t, t, t]).map { r in Silence(entity: r[0], from: r[1], until: r[2], reason: r[3]) }
        }
    }
}
