import PostgresNIO

/// The alert outbox, its attempts and the silences in PostgreSQL: each vantage point's observatory
/// delivers its own messages; `vigil alerts list` reads everyone's.
extension PostgresStore {
    static let outboxColumns = "id, channel, notice, key, payload, created, next_try, attempts, delivered, last_error, vantage"

    static func outboxItem(_ r: PostgresRow) throws -> OutboxItem {
        let (id, channel, notice, key, payload, created, next, attempts, delivered, error, vp) =
            try r.decode((Int64, String, String, String, String, Int64, Int64, Int64, Int64?, String, String).self)
        return OutboxItem(id: id, channel: channel, notice: notice, key: key, payload: payload, created: created, nextTry: next,
                          attempts: Int(attempts), delivered: delivered, lastError: error, vantage: vp)
    }

    @discardableResult
    public func enqueueAlerts(_ items: [OutboxItem]) async throws -> Int {
        guard !items.isEmpty else { return 0 }
        return try await rows("""
            INSERT INTO alert_outbox (vantage, channel, notice, key, payload, created, next_try)
            SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::int8[])
            ON CONFLICT (vantage, channel, notice) DO NOTHING RETURNING id
            """, [vantage, items.map(\.channel), items.map(\.notice), items.map(\.key), items.map(\.payload), items.map(\.created),
                  items.map(\.nextTry)]).count
    }

    public func pendingAlerts(channel: String?, due: Int64?, limit: Int) async throws -> [OutboxItem] {
        try await rows("""
            SELECT \(Self.outboxColumns) FROM alert_outbox WHERE vantage = $1 AND delivered IS NULL AND next_try <= $2
                AND ($3::text IS NULL OR channel = $3) ORDER BY next_try, id LIMIT $4
            """, [vantage, min(due ?? OutboxItem.never - 1, OutboxItem.never - 1), channel, Int64(limit)]).map(Self.outboxItem)
    }

    public func recordAlertAttempt(_ id: Int64, at: Int64, delivered: Bool, detail: String, nextTry: Int64) async throws {
        try await transaction([
            try Self.query("""
                UPDATE alert_outbox SET attempts = attempts + 1, next_try = $1, delivered = CASE WHEN $2 THEN $3 ELSE delivered END,
                    last_error = CASE WHEN $2 THEN last_error ELSE $4 END WHERE id = $5
                """, [nextTry, delivered, at, detail, id]),
            try Self.query("INSERT INTO alert_attempts (item, at, delivered, detail) VALUES ($1, $2, $3, $4)", [id, at, delivered, detail]),
        ])
    }

    public func alertOutbox(limit: Int) async throws -> [OutboxItem] {
        try await rows("SELECT \(Self.outboxColumns) FROM alert_outbox ORDER BY created DESC, id DESC LIMIT $1", [Int64(limit)]).map(Self.outboxItem)
    }

    public func alertAttempts(limit: Int) async throws -> [AlertAttempt] {
        try await rows("""
            SELECT a.item, o.channel, o.notice, a.at, a.delivered, a.detail FROM alert_attempts a JOIN alert_outbox o ON o.id = a.item
            ORDER BY a.id DESC LIMIT $1
            """, [Int64(limit)]).map { r in
            let (item, channel, notice, at, ok, detail) = try r.decode((Int64, String, String, Int64, Bool, String).self)
            return AlertAttempt(item: item, channel: channel, notice: notice, at: at, delivered: ok, detail: detail)
        }
    }

    public func addSilence(_ s: Silence) async throws {
        try await execute("INSERT INTO alert_silences VALUES ($1, $2, $3, $4)", [s.entity, s.from, s.until, s.reason])
    }

    public func silences(activeAt t: Int64?) async throws -> [Silence] {
        try await rows("SELECT entity, since, until, reason FROM alert_silences WHERE $1::int8 IS NULL OR (since <= $1 AND $1 < until) ORDER BY since, entity",
                       [t]).map { r in
            let (e, since, until, reason) = try r.decode((String, Int64, Int64, String).self)
            return Silence(entity: e, from: since, until: until, reason: reason)
        }
    }
}
