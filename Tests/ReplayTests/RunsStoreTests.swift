import Foundation
import GRDB
import XCTest
import BGPWire
import Probing
import Signals
@testable import Store

/// The runs layout in the two databases: unchanged bins cost nothing, writers that stop without
/// closing, vantage points sharing one database, and SQLite files written by earlier versions.
final class RunsStoreTests: XCTestCase {
    var path: String!

    override func setUpWithError() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-runs-\(UUID().uuidString).db").path
    }

    override func tearDown() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    static func row(_ entity: String, _ bin: Int64, _ v4: Double, announcements: Int = 0) -> SeriesRow {
        StoreConformanceTests.row(entity, bin, v4, announcements: announcements)
    }

    func count(_ sql: String) throws -> Int {
        try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    func testUnchangedBinsCostNoRows() throws {
        let store = BlockingStore(try SQLiteStore(path: path))
        // A day of a quiet entity with one dip, and a busy one changing every bin.
        for b in 0..<288 {
            try store.write([Self.row("AS1", Int64(b) * 300, b == 100 ? 3 : 8), Self.row("AS2", Int64(b) * 300, 5, announcements: b)], step: 300)
        }
        XCTAssertEqual(try count("SELECT COUNT(*) FROM runs JOIN entities e ON e.id = runs.entity WHERE e.name = 'AS1'"), 3, "before, during and after the dip")
        XCTAssertEqual(try count("SELECT COUNT(*) FROM runs JOIN entities e ON e.id = runs.entity WHERE e.name = 'AS2'"), 288)
        XCTAssertEqual(try store.series(entity: "AS1", from: nil, until: nil).count, 288)
        XCTAssertEqual(try store.series(entity: "AS1", from: 100 * 300, until: 101 * 300).map(\.routedV4), [3])
        XCTAssertEqual(try store.series(entity: "AS1", from: 287 * 300, until: nil).map(\.routedV4), [8], "the last bin of an open run")
    }

    /// Each shared database (SQLite file, PostgreSQL) as a function from a vantage point to a new writer on it.
    func databases() throws -> [(String, (String) throws -> BlockingStore)] {
        let url = try PostgresLab.database()
        return [("sqlite", { [path] in BlockingStore(try SQLiteStore(path: path!, vantage: $0)) }), ("postgres", { try BlockingStore.open(url, vantage: $0) })]
    }

    /// kill -9 leaves runs open; the next writer closes them where the first got to, and a bin
    /// never written stays unknown.
    func testAWriterThatNeverClosedLeavesWhatItWrote() throws {
        for (name, open) in try databases() {
            var first: BlockingStore? = try open("")
            for b in 0..<10 { try first!.write([Self.row("AS1", Int64(b) * 300, 8)], step: 300) }
            first = nil  // gone without a word, as a killed process
            XCTAssertEqual(try open("").series(entity: "AS1", from: nil, until: nil).count, 10, name)
            let second = try open("")
            for b in 20..<25 { try second.write([Self.row("AS1", Int64(b) * 300, 8)], step: 300) }
            XCTAssertEqual(try second.series(entity: "AS1", from: nil, until: nil).map { $0.bin / 300 }, Array(0..<10) + Array(20..<25),
                           "\(name): the writer's downtime is a gap, not the last value carried on")
            // A re-run from the start completes it: bins 10–19 filled, 20–24 kept.
            let third = try open("")
            for b in 0..<20 { try third.write([Self.row("AS1", Int64(b) * 300, b < 15 ? 8 : 6)], step: 300) }
            XCTAssertEqual(try third.series(entity: "AS1", from: nil, until: nil).map(\.routedV4),
                           Array(repeating: 8, count: 15) + Array(repeating: 6, count: 5) + Array(repeating: 8, count: 5), name)
        }
    }

    func testVantagePointsShareOneDatabase() throws {
        for (name, open) in try databases() {
            try vantagePoints(name, east: try open("east"), west: try open("west"))
        }
    }

    func vantagePoints(_ name: String, east: BlockingStore, west: BlockingStore) throws {
        for b in 0..<6 {
            try east.write([Self.row("AS1", Int64(b) * 300, b >= 3 ? 0 : 8, announcements: 1)], step: 300)
            if b < 4 { try west.write([Self.row("AS1", Int64(b) * 300, 8, announcements: 2)], step: 300) }
        }
        XCTAssertEqual(try east.series(entity: "AS1", vantage: "east", from: nil, until: nil).map(\.routedV4), [8, 8, 8, 0, 0, 0], name)
        XCTAssertEqual(try east.series(entity: "AS1", vantage: "west", from: nil, until: nil).map(\.routedV4), [8, 8, 8, 8], name)
        let both = try west.series(entity: "AS1", from: nil, until: nil)
        XCTAssertEqual(both.map(\.routedV4), [8, 8, 8, 8, 0, 0], "\(name): routed if any vantage point sees it routed")
        XCTAssertEqual(both.map(\.announcements), [3, 3, 3, 3, 1, 1], "\(name): each saw its own updates")
        XCTAssertEqual(try east.biggestDrops(limit: 5).map(\.entity), [], "\(name): east's drop was two bins ago")

        // Events: each vantage point's own, the same outage stored by both without one replacing the other.
        try east.writeEvents([StoreConformanceTests.event("AS1", 900, nil), StoreConformanceTests.event("AS2", 0, 300)])
        try west.writeEvents([StoreConformanceTests.event("AS1", 900, 1500, scope: 0.5)])
        XCTAssertEqual(try east.events(entity: nil, vantage: "east", from: nil, until: nil).map(\.entity), ["AS2", "AS1"], name)
        let all = try east.events(entity: "AS1", from: nil, until: nil)
        XCTAssertEqual(all.map(\.vantage), ["east", "west"], "\(name): every vantage point's, each named")
        XCTAssertEqual(all.map(\.end), [nil, 1500], name)
        // Agreement: both saw AS1's outage from 900 until west's ended; AS2's was east's alone.
        let agreed = try west.events(EventQuery(agreement: 2))
        XCTAssertEqual(agreed.map(\.entity), ["AS1"], name)
        XCTAssertEqual(agreed.first?.seenBy, ["east", "west"], name)
        XCTAssertEqual(agreed.first.map { [$0.start, $0.end ?? -1] }, [900, 1500], name)
        XCTAssertEqual(try west.events(EventQuery(ongoing: true, agreement: 1)).map(\.seenBy), [["east", "west"]],
                       "\(name): one vantage point is enough: AS1's outage is still open from east")

        // Feed health: each vantage point's sources, side by side.
        try east.writeSourceHealth([SourceHealth(source: "bgp", state: .up, since: 10, detail: "2 of 2 sessions established")])
        try west.writeSourceHealth([SourceHealth(source: "bgp", state: .down, since: 20)])
        try west.writeSourceHealth([SourceHealth(source: "bgp", state: .silent, since: 30, lastData: 25)])
        XCTAssertEqual(try east.sourceHealth(vantage: nil).map { "\($0.vantage) \($0.source) \($0.state.rawValue)" }, ["east bgp up", "west bgp silent"], name)
        XCTAssertEqual(try east.sourceHealth(vantage: "west").first?.lastData, 25, name)

        // Probing: two probers' rounds of one entity, even at the same second, and their blocks, kept apart.
        try east.writeProbes([ProbeRow(entity: "AS1", time: 60, up: 4), ProbeRow(entity: "AS1", time: 120, up: 3)])
        try west.writeProbes([ProbeRow(entity: "AS1", time: 60, down: 4)])
        XCTAssertEqual(try west.probeSeries(entity: "AS1", vantage: "east", from: nil, until: nil).map(\.up), [4, 3], name)
        XCTAssertEqual(try west.probeSeries(entity: "AS1", from: nil, until: nil).map(\.time), [60, 60, 120], "\(name): every prober's rounds")
        let block = BlockRecord(block: Prefix("192.0.2.0/24")!, entity: "AS1", why: "test", state: .up, belief: 0.99, availability: 0.5,
                                responsive: 40, censusAt: 0)
        var down = block
        down.state = .down
        try east.writeBlocks([block])
        try west.writeBlocks([down])
        XCTAssertEqual(try east.blocks(entity: "AS1", vantage: "west").map(\.state), [.down], name)
        XCTAssertEqual(try east.blocks(entity: nil).map(\.state).sorted { $0.rawValue < $1.rawValue }, [.down, .up], name)
    }

    /// A database from before runs (one row per entity and bin) reads back the same after migrating.
    func testADatabaseFromAnEarlierVersionMigrates() throws {
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v5-series-by-bin")
        try queue.write { db in
            for b in [0, 300, 900] as [Int64] {
                try db.execute(sql: "INSERT INTO series VALUES ('AS1', ?, 4, 0, 4, 0.5, 1, 0, 0, 0, 3, 1)", arguments: [b])
            }
        }
        try queue.close()
        let store = BlockingStore(try SQLiteStore(path: path))
        XCTAssertEqual(try store.series(entity: "AS1", from: nil, until: nil).map(\.bin), [0, 300, 900], "the missing bin stays missing")
        XCTAssertEqual(try store.series(entity: "AS1", from: nil, until: nil).map(\.announcements), [1, 1, 1])
        try store.write([Self.row("AS1", 1200, 2)], step: 300)
        XCTAssertEqual(try store.series(entity: "AS1", from: nil, until: nil).map(\.bin), [0, 300, 900, 1200])
    }

    /// A PostgreSQL database of before v4 (each value a column of its own) migrates to packed values
    /// and reads back as it was written; the next writer goes on, and the biggest drops still read.
    func testAPostgresDatabaseFromBeforePackedValuesMigrates() throws {
        let url = try PostgresLab.database()
        let lab = try PostgresLab.shared.get()
        let name = String(url.split(separator: "/").last!)
        func psql(_ sql: String) throws {
            try lab.run("\(lab.bin)/psql", ["-h", "127.0.0.1", "-p", "\(lab.port)", "-U", "vigil", "-d", name, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        }
        var sql = "CREATE TABLE vigil_migrations (name TEXT PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now());"
        for (migration, statements) in PostgresSchema.migrations.prefix(while: { $0.0 != "v4-packed-values" }) {
            sql += statements.joined(separator: ";\n") + ";\nINSERT INTO vigil_migrations (name) VALUES ('\(migration)');\n"
        }
        sql += """
            CREATE TABLE runs_p0 PARTITION OF runs FOR VALUES FROM (0) TO (2592000);
            INSERT INTO entities (id, name) VALUES (1, 'AS1'), (2, 'AS2');
            INSERT INTO vantage_points (id, name, step, open_until, written_until) VALUES (1, '', 300, 1200, 1200);
            INSERT INTO runs VALUES (1, 1, 0, 600, 300, 4, 0.5, 3, 0.75, 7, 2, 1, 0, 40, 30, NULL),
                (1, 1, 600, NULL, 300, 1, 0, 1, 0.25, 9, 8, 5, 1, 39, 29, 4.5),
                (2, 1, 0, NULL, 300, 2, 0, 1, 1, 0, 0, 0, 0, 40, 30, NULL);
            """
        try psql(sql)
        let store = try BlockingStore.open(url)
        let rows = try store.series(entity: "AS1", from: nil, until: nil)
        XCTAssertEqual(rows.map(\.bin), [0, 300, 600, 900])
        XCTAssertEqual(rows.map(\.routedV4), [4, 4, 1, 1])
        XCTAssertEqual(rows.map(\.routedV6), [0.5, 0.5, 0, 0])
        XCTAssertEqual(rows.map(\.visiblePrefixes), [3, 3, 1, 1])
        XCTAssertEqual(rows.map(\.meanVisibility), [0.75, 0.75, 0.25, 0.25])
        XCTAssertEqual(rows.map(\.announcements), [7, 7, 9, 9])
        XCTAssertEqual(rows.map(\.withdrawals), [2, 2, 8, 8])
        XCTAssertEqual(rows.map(\.pathChanges), [1, 1, 5, 5])
        XCTAssertEqual(rows.map(\.originChanges), [0, 0, 1, 1])
        XCTAssertEqual(rows.map(\.fullFeedPeers4), [40, 40, 39, 39])
        XCTAssertEqual(rows.map(\.fullFeedPeers6), [30, 30, 29, 29])
        XCTAssertEqual(try store.biggestDrops(limit: 5).map(\.entity), [], "the last bin written (900) dropped nothing")
        try store.write([Self.row("AS1", 1200, 1), Self.row("AS2", 1200, 2)], step: 300)
        try store.write([Self.row("AS1", 1500, 0.5), Self.row("AS2", 1500, 2)], step: 300)
        XCTAssertEqual(try store.series(entity: "AS1", from: nil, until: nil).map(\.routedV4), [4, 4, 1, 1, 1, 0.5])
        let drops = try store.biggestDrops(limit: 5)
        XCTAssertEqual(drops.map(\.entity), ["AS1"])
        XCTAssertEqual(drops.first?.before, 1)
        XCTAssertEqual(drops.first?.now, 0.5)
        XCTAssertEqual(try store.series(entity: "AS2", from: nil, until: nil).map(\.routedV4), [2, 2, 2, 2, 2, 2])
    }
}
