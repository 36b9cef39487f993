/// PostgreSQL's tables, as named forward-only migrations (`vigil_migrations` records those applied).
/// Names are compared byte by byte (COLLATE "C"), as SQLite and Swift compare them, so entity search
/// by prefix is a range of the index and orders agree across backends.
enum PostgresSchema {
    static let migrations: [(String, [String])] = [
        ("v1-series-runs", [
            "CREATE TABLE entities (id BIGSERIAL PRIMARY KEY, name TEXT COLLATE \"C\" NOT NULL UNIQUE)",
            """
            CREATE TABLE vantage_points (id BIGSERIAL PRIMARY KEY, name TEXT COLLATE "C" NOT NULL UNIQUE, step BIGINT NOT NULL,
                open_until BIGINT NOT NULL, written_until BIGINT NOT NULL)
            """,
            // Partitioned by time (30-day ranges of `bin`, made as bins arrive): old data goes a partition at a time.
            """
            CREATE TABLE runs (entity BIGINT NOT NULL, vantage BIGINT NOT NULL, bin BIGINT NOT NULL, until BIGINT, step BIGINT NOT NULL,
                routed_v4 FLOAT8 NOT NULL, routed_v6 FLOAT8 NOT NULL, visible_prefixes BIGINT NOT NULL, mean_visibility FLOAT8 NOT NULL,
                announcements BIGINT NOT NULL, withdrawals BIGINT NOT NULL, path_changes BIGINT NOT NULL, origin_changes BIGINT NOT NULL,
                full_feed_peers_v4 BIGINT NOT NULL, full_feed_peers_v6 BIGINT NOT NULL, prev_space FLOAT8,
                PRIMARY KEY (entity, vantage, bin)) PARTITION BY RANGE (bin)
            """,
            "CREATE INDEX runs_by_bin ON runs (bin, vantage)",
            "CREATE INDEX runs_open ON runs (vantage) WHERE until IS NULL",
            // The biggest drops now read from the index alone: only runs that began lower than the run before.
            """
            CREATE INDEX runs_drops ON runs (bin, vantage, entity) INCLUDE (prev_space, routed_v4, routed_v6)
                WHERE prev_space > routed_v4 + routed_v6
            """,
        ]),
        ("v1-events", [
            """
            CREATE TABLE events (id TEXT COLLATE "C" PRIMARY KEY, entity TEXT COLLATE "C" NOT NULL, kind TEXT NOT NULL, cause TEXT NOT NULL,
                start BIGINT NOT NULL, "end" BIGINT, scope FLOAT8 NOT NULL, severity FLOAT8 NOT NULL, level TEXT NOT NULL,
                preceded_by_instability BOOLEAN NOT NULL, evidence TEXT NOT NULL, observation_stopped BOOLEAN NOT NULL DEFAULT false)
            """,
            "CREATE INDEX events_by_entity ON events (entity, start)",
        ]),
        ("v1-entity-map-and-origins", [
            "CREATE TABLE asn_country (first BIGINT NOT NULL, last BIGINT NOT NULL, country TEXT NOT NULL)",
            "CREATE TABLE block_country (prefix TEXT NOT NULL, country TEXT NOT NULL)",
            "CREATE TABLE prefix_origin (prefix TEXT COLLATE \"C\" PRIMARY KEY, origin BIGINT NOT NULL, seen BIGINT NOT NULL)",
        ]),
        ("v1-probes", [
            """
            CREATE TABLE probes (entity TEXT COLLATE "C" NOT NULL, time BIGINT NOT NULL, blocks BIGINT NOT NULL, judged BIGINT NOT NULL,
                up BIGINT NOT NULL, down BIGINT NOT NULL, uncertain BIGINT NOT NULL, sent BIGINT NOT NULL, answered BIGINT NOT NULL,
                loss FLOAT8 NOT NULL, rtt_median FLOAT8 NOT NULL, rtt_p95 FLOAT8 NOT NULL, PRIMARY KEY (entity, time))
            """,
            """
            CREATE TABLE probe_blocks (block TEXT COLLATE "C" PRIMARY KEY, entity TEXT COLLATE "C" NOT NULL, why TEXT NOT NULL, state TEXT NOT NULL,
                belief FLOAT8 NOT NULL, availability FLOAT8 NOT NULL, responsive BIGINT NOT NULL, census_at BIGINT NOT NULL)
            """,
        ]),
        ("v2-vantage-points", [
            // Events and feed health by vantage point: several observatories share the database.
            "ALTER TABLE events ADD COLUMN vantage TEXT COLLATE \"C\" NOT NULL DEFAULT ''",
            "ALTER TABLE events DROP CONSTRAINT events_pkey",
            "ALTER TABLE events ADD PRIMARY KEY (vantage, id)",
            // Events in a range whatever the entity (the dashboard's timeline).
            "CREATE INDEX events_by_start ON events (start)",
            """
            CREATE TABLE source_health (vantage TEXT COLLATE "C" NOT NULL, source TEXT COLLATE "C" NOT NULL, state TEXT NOT NULL,
                since BIGINT NOT NULL, last_data BIGINT, data_time BIGINT, detail TEXT NOT NULL, PRIMARY KEY (vantage, source))
            """,
            // Probing rounds and probed blocks by vantage point: probers in different networks.
            "ALTER TABLE probes ADD COLUMN vantage TEXT COLLATE \"C\" NOT NULL DEFAULT ''",
            "ALTER TABLE probes DROP CONSTRAINT probes_pkey",
            "ALTER TABLE probes ADD PRIMARY KEY (vantage, entity, time)",
            "ALTER TABLE probe_blocks ADD COLUMN vantage TEXT COLLATE \"C\" NOT NULL DEFAULT ''",
            "ALTER TABLE probe_blocks DROP CONSTRAINT probe_blocks_pkey",
            "ALTER TABLE probe_blocks ADD PRIMARY KEY (vantage, block)",
        ]),
        ("v3-alerts", [
            """
            CREATE TABLE alert_outbox (id BIGSERIAL PRIMARY KEY, vantage TEXT COLLATE "C" NOT NULL, channel TEXT COLLATE "C" NOT NULL,
                notice TEXT COLLATE "C" NOT NULL, key TEXT COLLATE "C" NOT NULL, payload TEXT NOT NULL, created BIGINT NOT NULL,
                next_try BIGINT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0, delivered BIGINT, last_error TEXT NOT NULL DEFAULT '',
                UNIQUE (vantage, channel, notice))
            """,
            "CREATE INDEX alert_outbox_pending ON alert_outbox (vantage, next_try) WHERE delivered IS NULL",
            "CREATE TABLE alert_attempts (id BIGSERIAL PRIMARY KEY, item BIGINT NOT NULL, at BIGINT NOT NULL, delivered BOOLEAN NOT NULL, detail TEXT NOT NULL)",
            "CREATE TABLE alert_silences (entity TEXT COLLATE \"C\" NOT NULL, since BIGINT NOT NULL, until BIGINT NOT NULL, reason TEXT NOT NULL)",
        ]),
        // A run's ten signal values in one column (`PackedValues`): reading a busy entity's month cost
        // 8,640 rows × 13 values, and PostgreSQL pays per value it hands out (about 0.1–0.2 µs each);
        // packed, the server joins a run into one string of bytes and the read costs a third.
        // `space` stays a column for the biggest-drops index.
        ("v4-packed-values", [
            "ALTER TABLE runs ADD COLUMN space FLOAT8, ADD COLUMN vals BYTEA",
            "UPDATE runs SET space = routed_v4 + routed_v6, vals = \(PackedValues.sql)",
            "ALTER TABLE runs ALTER COLUMN space SET NOT NULL, ALTER COLUMN vals SET NOT NULL",
            "DROP INDEX runs_drops",
            """
            ALTER TABLE runs DROP COLUMN routed_v4, DROP COLUMN routed_v6, DROP COLUMN visible_prefixes, DROP COLUMN mean_visibility,
                DROP COLUMN announcements, DROP COLUMN withdrawals, DROP COLUMN path_changes, DROP COLUMN origin_changes,
                DROP COLUMN full_feed_peers_v4, DROP COLUMN full_feed_peers_v6
            """,
            "CREATE INDEX runs_drops ON runs (bin, vantage, entity) INCLUDE (prev_space, space) WHERE prev_space > space",
        ]),
    ]
}
