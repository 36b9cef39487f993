import Foundation
import GRDB
import XCTest
import Signals
@testable import Store

/// The store reads back what any version wrote, and says which file when it cannot.
final class StoreTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Inserts an events row as an older version would have (the columns of v2, evidence as given).
    func insertOld(_ db: DatabaseQueue, entity: String, start: Int64, end: Int64?, evidence: String) throws {
        try db.write { db in
            try db.execute(sql: """
                INSERT INTO events (id, entity, kind, cause, start, "end", scope, severity, level, preceded_by_instability, evidence)
                VALUES (?, ?, 'outage', 'bgp-withdrawal', ?, ?, 1, 0.5, 'critical', 0, ?)
                """, arguments: ["\(entity)|outage|\(start)", entity, start, end, evidence])
        }
    }

    func testEventsOfEveryEvidenceShapeReadBack() throws {
        let path = dir.appendingPathComponent("vigil.db").path
        let store = BlockingStore(try SQLiteStore(path: path))
        let now = Event(entity: "AS4", kind: .outage, cause: .bgpWithdrawal, start: 400, end: 460, scope: 1, severity: 0.1, level: "critical",
                        precededByInstability: false, evidence: .init(signal: "routed_space", baseline: 4, peersInOrder: ["10.0.0.1 AS1"]))
        try store.writeEvents([now])
        let raw = try DatabaseQueue(path: path)
        // The first shape (no visibility, peers or churn), a bare one, and one from a later version with fields this one does not know.
        try insertOld(raw, entity: "AS1", start: 100, end: 200, evidence: #"{"signal":"routed_space","baseline":12,"before":12,"worst":0,"note":"v1"}"#)
        try insertOld(raw, entity: "AS2", start: 200, end: nil, evidence: "{}")
        try insertOld(raw, entity: "AS3", start: 300, end: 350, evidence: #"{"signal":"routed_space","worst":1,"confidence":0.9,"hops":[1,2],"commonUpstream":4837}"#)
        let events = try store.events(entity: nil, from: nil, until: nil)
        XCTAssertEqual(events.map(\.entity), ["AS1", "AS2", "AS3", "AS4"])
        XCTAssertEqual(events[0].evidence.baseline, 12)
        XCTAssertEqual(events[0].evidence.note, "v1")
        XCTAssertEqual(events[0].end, 200)
        XCTAssertFalse(events[0].observationStopped)
        XCTAssertNil(events[1].end)
        XCTAssertEqual(events[2].evidence.commonUpstream, 4837)
        XCTAssertEqual(events[3], now)
    }

    func testAStoredEventThatCannotBeReadIsAnErrorNamingIt() throws {
        let path = dir.appendingPathComponent("vigil.db").path
        let store = BlockingStore(try SQLiteStore(path: path))
        try insertOld(try DatabaseQueue(path: path), entity: "AS9", start: 900, end: nil, evidence: #"{"baseline":"twelve"}"#)
        XCTAssertThrowsError(try store.events(entity: nil, from: nil, until: nil)) { error in
            XCTAssertTrue("\(error)".contains("AS9|outage|900"), "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
        }
    }

    /// A database written before events could end as "observation stopped": migrated, its events intact.
    func testAnOlderDatabaseIsMigrated() throws {
        let path = dir.appendingPathComponent("old.db").path
        // As an older version left it: the last migration not run.
        _ = BlockingStore(try SQLiteStore(path: path))
        let raw = try DatabaseQueue(path: path)
        try raw.write { db in
            try db.execute(sql: "ALTER TABLE events DROP COLUMN observation_stopped")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v4-events-observation-stopped'")
        }
        try insertOld(raw, entity: "AS1", start: 100, end: 200, evidence: #"{"signal":"routed_space"}"#)
        // Read-only, not migrated: still readable.
        let ro = try BlockingStore(try SQLiteStore(path: path, readOnly: true)).events(entity: nil, from: nil, until: nil)
        XCTAssertEqual(ro.map(\.entity), ["AS1"])
        let store = BlockingStore(try SQLiteStore(path: path))
        let events = try store.events(entity: nil, from: nil, until: nil)
        XCTAssertEqual(events.map(\.entity), ["AS1"])
        XCTAssertFalse(events[0].observationStopped)
        try store.writeEvents([events[0].stoppedObserving(at: 150)])
        XCTAssertTrue(try store.events(entity: nil, from: nil, until: nil)[0].observationStopped)
    }

    func testErrorsNameTheDatabase() throws {
        let missingDir = dir.appendingPathComponent("no/such/dir/vigil.db").path
        XCTAssertThrowsError(BlockingStore(try SQLiteStore(path: missingDir))) { XCTAssertTrue("\($0)".hasPrefix(missingDir + ": "), "\($0)") }
        let garbage = dir.appendingPathComponent("garbage.db").path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try SQLiteStore(path: garbage)) { XCTAssertTrue("\($0)".hasPrefix(garbage + ": "), "\($0)") }
        XCTAssertThrowsError(try BlockingStore(try SQLiteStore(path: garbage, readOnly: true)).events(entity: nil, from: nil, until: nil)) {
            XCTAssertTrue("\($0)".hasPrefix(garbage + ": "), "\($0)")
        }
    }

    func testReadingNeverCreatesADatabase() throws {
        let path = dir.appendingPathComponent("vigil.db").path
        XCTAssertThrowsError(BlockingStore(try SQLiteStore(path: path, readOnly: true))) {
            XCTAssertEqual("\($0)", "\(path): no such database (vigil replay, collect or probe makes one; --db names another)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }
}
