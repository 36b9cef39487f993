import Foundation
import XCTest
import BGPWire
import Entities
import Probing
import Signals
@testable import Store

/// What every store backend must do alike, run against each: in memory, SQLite and a real
/// PostgreSQL 15 (`PostgresLab`). Ranges are [from, until); writing the same key
/// again replaces; readers and writers on several threads at once.
final class StoreConformanceTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-conformance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Each backend, fresh.
    func backends() throws -> [(String, BlockingStore)] {
        [("memory", try BlockingStore.open("")),
         ("sqlite", try BlockingStore.open(dir.appendingPathComponent("vigil-\(UUID().uuidString).db").path)),
         ("postgres", try BlockingStore.open(try PostgresLab.database()))]
    }

    static func row(_ entity: String, _ bin: Int64, _ v4: Double, announcements: Int = 0) -> SeriesRow {
        SeriesRow(entity: entity, bin: bin, routedV4: v4, routedV6: 0, visiblePrefixes: Int(v4), meanVisibility: 0.5,
                  announcements: announcements, withdrawals: 0, pathChanges: 0, originChanges: 0, fullFeedPeers4: 3, fullFeedPeers6: 1)
    }

    static func event(_ entity: String, _ start: Int64, _ end: Int64?, scope: Double = 1) -> Event {
        Event(entity: entity, kind: .outage, cause: .bgpWithdrawal, start: start, end: end, scope: scope, severity: 1, level: "critical",
              precededByInstability: false, evidence: Event.Evidence(signal: "routed", baseline: 4, before: 4, worst: 0))
    }

    func testSeriesRangesAndReplacement() throws {
        for (name, store) in try backends() {
            try store.write([Self.row("AS1", 0, 4), Self.row("AS2", 0, 1), Self.row("AS1", 300, 4)], step: 300)
            // 300 again: replaced whole (AS2 is not in it either way).
            try store.write([Self.row("AS1", 600, 2), Self.row("AS1", 300, 3, announcements: 7)], step: 300)
            XCTAssertEqual(try store.series(entity: "AS1", from: nil, until: nil).map(\.bin), [0, 300, 600], name)
            XCTAssertEqual(try store.series(entity: "AS1", from: nil, until: nil).map(\.routedV4), [4, 3, 2], name)
            XCTAssertEqual(try store.series(entity: "AS1", from: 300, until: 600).map(\.routedV4), [3], name)
            XCTAssertEqual(try store.series(entity: "AS1", from: 300, until: 600).first?.announcements, 7, name)
            XCTAssertEqual(try store.series(entity: "AS1", from: 301, until: nil).map(\.bin), [600], name)
            XCTAssertEqual(try store.series(entity: "AS9", from: nil, until: nil), [], "\(name): an unknown entity has no rows")
            XCTAssertEqual(try store.entityNames(), ["AS1", "AS2"], name)
            let back = try store.series(entity: "AS2", from: nil, until: nil)
            XCTAssertEqual(back.map(\.bin), [0], "\(name): not in a bin is not measured there")
            XCTAssertEqual(back.first?.fullFeedPeers4, 3, name)
            XCTAssertEqual(back.first?.meanVisibility, 0.5, name)
        }
    }

    /// Long unchanged stretches, gaps, entities that come and go, and a stretch written again in the
    /// middle: every bin reads back as written, and nothing outside what was written again moves.
    func testRunsGapsAndRewritesReadBackBinForBin() throws {
        for (name, store) in try backends() {
            var expect: [Int64: [String: SeriesRow]] = [:]
            func put(_ bins: [Int64], _ value: (String, Int64) -> SeriesRow?) throws {
                for b in bins {
                    let rows = ["AS1", "AS2", "AS3"].compactMap { value($0, b) }
                    try store.write(rows, step: 300)
                    expect[b] = Dictionary(uniqueKeysWithValues: rows.map { ($0.entity, $0) })
                }
            }
            // AS1 flat, AS2 changing every 7th bin, AS3 present only in bins 20–39; a gap at bins 50–59.
            try put((0..<50).map { $0 * 300 } + (60..<100).map { $0 * 300 }) { e, b in
                switch e {
                case "AS1": Self.row(e, b, 10)
                case "AS2": Self.row(e, b, Double(b / 300 / 7))
                default: (20..<40).contains(b / 300) ? Self.row(e, b, 1, announcements: Int(b / 300)) : nil
                }
            }
            // Bins 30–44 again with other values: AS1 dips, AS3 leaves early.
            try put((30..<45).map { $0 * 300 }) { e, b in
                switch e {
                case "AS1": Self.row(e, b, 5)
                case "AS2": Self.row(e, b, Double(b / 300 / 7))
                default: b / 300 < 35 ? Self.row(e, b, 2) : nil
                }
            }
            for e in ["AS1", "AS2", "AS3"] {
                let want = expect.keys.sorted().compactMap { expect[$0]![e] }
                XCTAssertEqual(try store.series(entity: e, from: nil, until: nil), want, "\(name) \(e)")
                let part = want.filter { $0.bin >= 13_000 && $0.bin < 27_001 }
                XCTAssertEqual(try store.series(entity: e, from: 13_000, until: 27_001), part, "\(name) \(e) in a range")
            }
        }
    }

    /// Old bins become hours (the dip kept, counts summed); older hours go; recent bins stay as written.
    func testRetentionRollsUpThenDrops() throws {
        for (name, store) in try backends() {
            // The dip at the last bin of the first hour: the run after it begins on the hour and outlives the cut-off.
            for b in 0..<36 { try store.write([Self.row("AS1", Int64(b) * 300, b == 11 ? 2 : 10, announcements: 1)], step: 300) }
            try store.applyRetention(now: 10_800, raw: 3600, keep: nil)
            let after = try store.series(entity: "AS1", from: nil, until: nil)
            XCTAssertEqual(after.map(\.bin), [0, 3600] + (24..<36).map { Int64($0) * 300 }, name)
            XCTAssertEqual(after.map(\.routedV4).prefix(3), [2, 10, 10], "\(name): the dip is the hour's level")
            XCTAssertEqual(after.map(\.announcements).prefix(3), [12, 12, 1], name)
            try store.applyRetention(now: 10_800, raw: 3600, keep: nil)
            XCTAssertEqual(try store.series(entity: "AS1", from: nil, until: nil), after, "\(name): a second pass changes nothing")
            try store.applyRetention(now: 10_800, raw: 3600, keep: 7200)
            XCTAssertEqual(try store.series(entity: "AS1", from: nil, until: nil).map(\.bin), [3600] + (24..<36).map { Int64($0) * 300 }, name)
            // The writer goes on after a pass: its open run was moved, not lost.
            try store.write([Self.row("AS1", 36 * 300, 4)], step: 300)
            XCTAssertEqual(try store.series(entity: "AS1", from: 35 * 300, until: nil).map(\.routedV4), [10, 4], name)
        }
    }

    func testEventsOverlapTheRangeAndReplaceByKey() throws {
        for (name, store) in try backends() {
            try store.writeEvents([Self.event("AS1", 1000, 2000), Self.event("AS2", 5000, nil), Self.event("AS1", 3000, 3600)])
            try store.writeEvents([Self.event("AS1", 1000, 2400, scope: 0.5)])  // same entity, kind and start: replaced
            let all = try store.events(entity: nil, from: nil, until: nil)
            XCTAssertEqual(all.map(\.id), ["AS1|outage|1000", "AS1|outage|3000", "AS2|outage|5000"], name)
            XCTAssertEqual(all.first?.end, 2400, name)
            XCTAssertEqual(all.first?.scope, 0.5, name)
            // Events overlapping [2500, 5001): the one ending at 3600 and the ongoing one, not the one ended at 2400.
            XCTAssertEqual(try store.events(entity: nil, from: 2500, until: 5001).map(\.id), ["AS1|outage|3000", "AS2|outage|5000"], name)
            XCTAssertEqual(try store.events(entity: "AS2", from: 9_000_000, until: nil).map(\.id), ["AS2|outage|5000"], "\(name): ongoing")
            XCTAssertEqual(try store.events(entity: "AS1", from: nil, until: 1000), [], name)
            XCTAssertEqual(all.first?.evidence.baseline, 4, name)
        }
    }

    func testProbesBlocksOriginsAndTheEntityMap() throws {
        for (name, store) in try backends() {
            try store.writeProbes([ProbeRow(entity: "AS1", time: 60, blocks: 4, up: 4), ProbeRow(entity: "AS1", time: 120, blocks: 4, up: 3)])
            try store.writeProbes([ProbeRow(entity: "AS1", time: 120, blocks: 4, up: 1)])
            XCTAssertEqual(try store.probeSeries(entity: "AS1", from: nil, until: nil).map(\.up), [4, 1], name)
            XCTAssertEqual(try store.probeSeries(entity: "AS1", from: 61, until: nil).map(\.time), [120], name)

            let b1 = BlockRecord(block: Prefix("192.0.2.0/24")!, entity: "AS1", why: "target", state: .up, belief: 0.9, availability: 0.5,
                                 responsive: 12, censusAt: 60)
            var b2 = BlockRecord(block: Prefix("198.51.100.0/24")!, entity: "AS2", why: "target", state: .down, belief: 0.1,
                                 availability: 0.2, responsive: 3, censusAt: 60)
            try store.writeBlocks([b1, b2])
            b2.state = .up
            try store.writeBlocks([b2])
            XCTAssertEqual(try store.blocks(entity: nil).map(\.block.description), ["192.0.2.0/24", "198.51.100.0/24"], name)
            XCTAssertEqual(try store.blocks(entity: "AS2").map(\.state), [.up], name)

            try store.savePrefixOrigins([(Prefix("203.0.113.0/24")!, 64500, 10), (Prefix("192.0.2.0/24")!, 64501, 10)])
            try store.savePrefixOrigins([(Prefix("203.0.113.0/24")!, 64502, 20)])
            XCTAssertEqual(try store.prefixOrigins().map { "\($0.prefix) \($0.origin) \($0.seen)" },
                           ["192.0.2.0/24 64501 10", "203.0.113.0/24 64502 20"], name)

            var map = EntityMap()
            map.addASNRange(131279, 131279, "KP")
            map.addBlock(Prefix("175.45.176.0/22")!, "KP")
            map.finish()
            try store.saveEntityMap(map)
            let back = try store.loadEntityMap()
            XCTAssertEqual(back.asnRanges.map(\.country), ["KP"], name)
            XCTAssertEqual(back.v4Blocks.map(\.prefix), [Prefix("175.45.176.0/22")!], name)
        }
    }

    /// The pipeline writes while the prober writes and readers read: nothing lost, nothing torn.
    func testWritersAndReadersOnSeveralThreads() throws {
        for (name, store) in try backends() {
            DispatchQueue.concurrentPerform(iterations: 8) { t in
                for bin in 0..<50 {
                    if t < 4 {
                        // Each writer its own bins (a bin is written whole): interleaved, never contiguous.
                        try? store.write((0..<20).map { e in Self.row("AS\(e)", Int64(t * 50 + bin) * 300, Double(bin)) }, step: 300)
                    } else if t == 4 {
                        try? store.writeProbes([ProbeRow(entity: "AS1", time: Int64(bin) * 60, blocks: 1, up: 1)])
                    } else {
                        _ = try? store.series(entity: "AS\(bin % 20)", from: nil, until: nil)
                    }
                }
            }
            XCTAssertEqual(try store.entityNames().count, 20, name)
            XCTAssertEqual(try store.series(entity: "AS7", from: nil, until: nil).map(\.routedV4), (0..<4).flatMap { _ in (0..<50).map(Double.init) }, name)
            XCTAssertEqual(try store.series(entity: "AS7", from: nil, until: nil).map(\.bin), (0..<200).map { Int64($0) * 300 }, name)
            XCTAssertEqual(try store.probeSeries(entity: "AS1", from: nil, until: nil).count, 50, name)
        }
    }

    /// The dashboard's reads: a long series in a few points (a dip kept), events by kind, cause and
    /// whether ongoing, entity search, and the entities that dropped most in the last bin.
    func testTheDashboardQueries() throws {
        for (name, store) in try backends() {
            // 1,000 bins of AS1 at 10 /24s with a one-bin dip to 2 at bin 500; 1 announcement a bin.
            for b in 0..<998 { try store.write([Self.row("AS1", Int64(b) * 300, b == 500 ? 2 : 10, announcements: 1)], step: 300) }
            var withdrawn = Self.event("AS2", 100, nil)
            withdrawn.cause = .unreachableWhileRouted
            try store.writeEvents([Self.event("AS1", 100, 400), withdrawn, Self.event("AS3", 200, nil)])
            XCTAssertEqual(try store.events(EventQuery(ongoing: true)).map(\.entity), ["AS2", "AS3"], name)
            XCTAssertEqual(try store.events(EventQuery(ongoing: false)).map(\.entity), ["AS1"], name)
            XCTAssertEqual(try store.events(EventQuery(cause: .unreachableWhileRouted)).map(\.entity), ["AS2"], name)
            XCTAssertEqual(try store.events(EventQuery(kind: .instability)), [], name)

            // Search: AS numbers, country codes, prefixes, whatever the case typed.
            let last: Int64 = 999 * 300, prev: Int64 = 998 * 300
            try store.write([Self.row("AS1", prev, 10, announcements: 1), Self.row("AS131279", prev, 4), Self.row("AS13", prev, 100), Self.row("KP", prev, 4),
                             Self.row("2001:db8::/32", prev, 1), Self.row("AS7", prev, 5)], step: 300)
            // AS7 has no row in the last bin: unknown, not a drop.
            try store.write([Self.row("AS1", last, 10, announcements: 1), Self.row("AS131279", last, 0), Self.row("AS13", last, 90), Self.row("KP", last, 3),
                             Self.row("2001:db8::/32", last, 1)], step: 300)
            let few = try store.series(entity: "AS1", from: nil, until: nil, points: 100)
            XCTAssertEqual(few.count, 100, name)
            XCTAssertEqual(few.map(\.routedV4).min(), 2, "\(name): the dip survives downsampling")
            XCTAssertEqual(few.reduce(0) { $0 + $1.announcements }, 1000, "\(name): counts are summed")
            XCTAssertEqual(few[1].bin, 3000, name)
            XCTAssertEqual(try store.series(entity: "AS1", from: 0, until: 3000, points: 100).count, 10, "\(name): short ranges unchanged")

            XCTAssertEqual(try store.searchEntities("as13", limit: 10), ["AS13", "AS131279"], name)
            XCTAssertEqual(try store.searchEntities("AS131", limit: 10), ["AS131279"], name)
            XCTAssertEqual(try store.searchEntities("kp", limit: 10), ["KP"], name)
            XCTAssertEqual(try store.searchEntities("2001:DB8", limit: 10), ["2001:db8::/32"], name)
            XCTAssertEqual(try store.searchEntities("AS", limit: 2).count, 2, name)
            let drops = try store.biggestDrops(limit: 10)
            XCTAssertEqual(drops.map(\.entity), ["AS131279", "KP", "AS13"], name)
            XCTAssertEqual(drops.first?.drop, 1, name)
            XCTAssertEqual(drops.first?.bin, last, name)
            XCTAssertEqual(try store.biggestDrops(limit: 1).map(\.entity), ["AS131279"], name)
        }
    }

    func testTheFactory() throws {
        XCTAssertTrue(try BlockingStore.open(nil).base is MemoryStore)
        XCTAssertTrue(try BlockingStore.open(dir.appendingPathComponent("x.db").path).base is SQLiteStore)
        // Reading needs something to read: no database is an error naming it, never an empty answer.
        XCTAssertThrowsError(try BlockingStore.open("", readOnly: true))
        XCTAssertThrowsError(try BlockingStore.open(dir.appendingPathComponent("missing.db").path, readOnly: true)) { e in
            XCTAssertTrue("\(e)".contains("missing.db: no such database"), "\(e)")
        }
        XCTAssertTrue(try BlockingStore.open(try PostgresLab.database()).base is PostgresStore)
        // No server there: an error naming the database (never its password), not a wait.
        XCTAssertThrowsError(try BlockingStore.open("postgres://vigil:secret@127.0.0.1:1/vigil")) { e in
            XCTAssertTrue("\(e)".contains("postgres://vigil@127.0.0.1:1/vigil: cannot connect"), "\(e)")
            XCTAssertFalse("\(e)".contains("secret"), "\(e)")
        }
        XCTAssertThrowsError(try BlockingStore.open("postgres://127.0.0.1/vigil")) { e in
            XCTAssertTrue("\(e)".contains("not a PostgreSQL URL"), "\(e)")
        }
    }
}
