import Foundation
import XCTest
import BGPWire
import Entities
import MRT
@testable import Replay
@testable import Routing
@testable import Signals
@testable import Store

final class SignalTests: XCTestCase {
    let t0: UInt32 = 1_419_235_200  // 2014-12-22 08:00 UTC
    let background = (0..<40).map { Prefix(address: .v4(0x0B00_0000 | UInt32($0) << 8), length: 24) }

    func replay(rib: String, updates: [String], watch: [String], bin: Int64 = 300) throws -> (BlockingStore, ReplayRunner.Summary) {
        var o = ReplayRunner.Options()
        o.ribs = [rib]
        o.updates = updates.map { [$0] }
        o.binSeconds = bin
        o.watch = watch.map { Entity($0)! }
        o.fullFeed = FullFeedPolicy(relativeShare: 0.8)
        let store = BlockingStore(MemoryStore())
        let r = ReplayRunner(options: o, store: store.base, entityMap: nil)
        r.report = { _ in }
        return (store, try r.run())
    }

    /// Replays with the detector on, watching AS131279.
    func detect(rib: String, updates: String) throws -> (BlockingStore, ReplayRunner) {
        var o = ReplayRunner.Options()
        o.ribs = [rib]
        o.updates = [[updates]]
        o.watch = [Entity("AS131279")!]
        o.fullFeed = FullFeedPolicy(relativeShare: 0.8)
        o.detect = true
        let store = BlockingStore(MemoryStore())
        let r = ReplayRunner(options: o, store: store.base, entityMap: nil)
        r.report = { _ in }
        _ = try r.run()
        return (store, r)
    }

    /// Four full-feed peers; the four /24s of AS131279 plus the covering /22.
    /// Worked out by hand, bin by bin.
    func testSpaceVisibilityAndChurnByHand() throws {
        let w = try World()
        defer { w.remove() }
        var routes: [(Prefix, [Int])] = background.map { ($0, [0, 1, 2, 3]) }
        routes += World.nk.map { ($0, [0, 1, 2, 3]) }
        routes.append((World.nk22, [0, 1]))  // only 2 of 4 peers: not > 50%, not visible
        let rib = try w.writeRIB("bview.gz", time: t0, routes: routes)
        let p = [65001 as UInt32, 4837, 131279]
        let upd = try w.writeUpdates("updates.mrt", [
            // bin 1 (t0+300): peer 2 sees a new path for .176 (path change), then withdraws .179.
            (t0 + 310, .announce(peer: 2, [World.nk[0]], path: [65003, 3356, 4837, 131279])),
            (t0 + 320, .withdraw(peer: 2, [World.nk[3]])),
            // bin 2 (t0+600): peers 0 and 1 withdraw .179 too: 1 of 4 left → not visible.
            (t0 + 610, .withdraw(peer: 0, [World.nk[3]])),
            (t0 + 620, .withdraw(peer: 1, [World.nk[3]])),
            // bin 3 (t0+900): everything of AS131279 withdrawn by all peers.
            (t0 + 901, .withdraw(peer: 0, World.nk + [World.nk22])),
            (t0 + 902, .withdraw(peer: 1, World.nk + [World.nk22])),
            (t0 + 903, .withdraw(peer: 2, World.nk)),
            (t0 + 904, .withdraw(peer: 3, World.nk)),
            // bin 4 (t0+1200): back, from peers 0-2, and an unknown withdrawal.
            (t0 + 1210, .announce(peer: 0, World.nk, path: p)),
            (t0 + 1211, .announce(peer: 1, World.nk, path: [65002, 4837, 131279])),
            (t0 + 1212, .announce(peer: 2, World.nk, path: [65003, 4837, 131279])),
            (t0 + 1213, .withdraw(peer: 3, [Prefix("192.0.2.0/24")!])),
        ])
        let (store, s) = try replay(rib: rib, updates: [upd], watch: ["AS131279", "175.45.176.0/22", "AS4837"])
        // .179 withdrawn again by peers 0, 1, 2 in bin 3, and 192.0.2.0/24 never announced.
        XCTAssertEqual(s.unknownWithdrawals, 4)
        let rows = try store.series(entity: "AS131279", from: nil, until: nil)
        XCTAssertEqual(rows.map(\.bin), [0, 1, 2, 3, 4].map { Int64(t0) + $0 * 300 })
        XCTAssertEqual(rows.map(\.routedV4), [4, 4, 3, 0, 4])
        XCTAssertEqual(rows.map(\.visiblePrefixes), [4, 4, 3, 0, 4])
        XCTAssertEqual(rows.map(\.fullFeedPeers4), [4, 4, 4, 4, 4])
        // Present: carried by at least a quarter of the peers (.179 by one of four in bin 2).
        XCTAssertEqual(rows.map(\.presentV4), [4, 4, 4, 0, 4])
        // Flaps: a prefix falling to two thirds of the peers or fewer (.179 in bin 2, the other three in bin 3).
        XCTAssertEqual(rows.map(\.flaps), [0, 0, 1, 3, 0])
        XCTAssertEqual(rows.map(\.repeatFlaps), [0, 0, 0, 0, 0])
        // Mean visibility over the 5 known prefixes (4 /24s + the /22 seen by 2 of 4).
        let mean0 = (4.0 * 1 + 0.5) / 5
        XCTAssertEqual(rows[0].meanVisibility, mean0, accuracy: 1e-9)
        XCTAssertEqual(rows[1].meanVisibility, (3 + 0.75 + 0.5) / 5, accuracy: 1e-9)
        XCTAssertEqual(rows[2].meanVisibility, (3 + 0.25 + 0.5) / 5, accuracy: 1e-9)
        XCTAssertEqual(rows[3].meanVisibility, 0, accuracy: 1e-9)
        XCTAssertEqual(rows[4].meanVisibility, 4 * 0.75 / 5, accuracy: 1e-9)
        XCTAssertEqual(rows.map(\.announcements), [0, 1, 0, 0, 12])
        XCTAssertEqual(rows.map(\.pathChanges), [0, 1, 0, 0, 0])
        // Bin 3: peers 0 and 1 hold .176-.178 and the /22, peer 2 .176-.178, peer 3 all four /24s.
        XCTAssertEqual(rows.map(\.withdrawals), [0, 1, 2, 4 + 4 + 3 + 4, 0])
        // The watched /22 counts its more-specifics, and the /22 itself, once.
        let pfx = try store.series(entity: "175.45.176.0/22", from: nil, until: nil)
        XCTAssertEqual(pfx.map(\.routedV4), [4, 4, 3, 0, 4])
        // AS4837 originates nothing: no prefix of it is known, so nothing is measured (no rows, not zeros).
        XCTAssertEqual(try store.series(entity: "AS4837", from: nil, until: nil), [])
    }

    func testSessionDownDropsVisibility() throws {
        let w = try World()
        defer { w.remove() }
        let routes: [(Prefix, [Int])] = (background + World.nk).map { ($0, [0, 1, 2]) }
        let rib = try w.writeRIB("bview.gz", time: t0, routes: routes)
        let upd = try w.writeUpdates("u.mrt", [(t0 + 300, .down(peer: 0)), (t0 + 600, .down(peer: 1))])
        let (store, _) = try replay(rib: rib, updates: [upd], watch: ["AS131279"])
        let rows = try store.series(entity: "AS131279", from: nil, until: nil)
        // 3 full-feed peers; one drops (2 of 3 still > 50%); another drops: the one left is
        // now the only full-feed peer, so visibility is 1 of 1.
        XCTAssertEqual(rows.map(\.routedV4), [4, 4, 4])
        XCTAssertEqual(rows.map(\.fullFeedPeers4), [3, 2, 1])
        XCTAssertEqual(rows.map(\.withdrawals), [0, 4, 4])
    }

    /// A vantage point that withdraws its whole table, and one that loses its session, are
    /// feed events: entities are judged without them, and their routes are not anyone's churn.
    func testBrokenFeedsAreFeedEventsNotOutages() throws {
        let w = try World()
        defer { w.remove() }
        let many = (0..<150).map { Prefix(address: .v4(0x0C00_0000 | UInt32($0) << 8), length: 24) }
        let rib = try w.writeRIB("bview.gz", time: t0, routes: (many + World.nk).map { ($0, [0, 1, 2, 3]) })
        var events: [(UInt32, World.Event)] = []
        // Hours of calm, then peer 0 withdraws everything at 02:00 and re-announces at 03:00;
        // peer 1's session drops at 04:00 and comes back with its table at 04:30.
        for h in 0..<8 { events.append((t0 + UInt32(h) * 3600 + 1, .announce(peer: 3, [many[0]], path: [65004, 4837, 64999]))) }
        events.append((t0 + 7200, .withdraw(peer: 0, many + World.nk)))
        events.append((t0 + 10800, .announce(peer: 0, many, path: [65001, 4837, 64999])))
        events.append((t0 + 10801, .announce(peer: 0, World.nk, path: [65001, 4837, 131279])))
        events.append((t0 + 14400, .down(peer: 1)))
        events.append((t0 + 16200, .announce(peer: 1, many, path: [65002, 4837, 64999])))
        events.append((t0 + 16201, .announce(peer: 1, World.nk, path: [65002, 4837, 131279])))
        events.sort { $0.0 < $1.0 }
        let upd = try w.writeUpdates("u.mrt", events)
        let (store, r) = try detect(rib: rib, updates: upd)
        XCTAssertEqual(r.feedEvents.map(\.kind), [.tableWithdrawn, .sessionDown])
        XCTAssertEqual(r.feedEvents.map(\.start), [Int64(t0) + 7200, Int64(t0) + 14400])
        XCTAssertEqual(r.feedEvents.map(\.end), [Int64(t0) + 10800, Int64(t0) + 16200])
        XCTAssertTrue(r.feedEvents[0].sentence.contains("withdrew"), r.feedEvents[0].sentence)
        let rows = try store.series(entity: "AS131279", from: nil, until: nil)
        XCTAssertTrue(rows.allSatisfy { $0.presentV4 == 4 && $0.routedV4 == 4 && $0.flaps == 0 })
        // The session's routes were the feed's, not churn of the entity.
        XCTAssertEqual(rows.first { $0.bin == Int64(t0) + 14400 }?.withdrawals, 0)
        XCTAssertEqual(rows.first { $0.bin == Int64(t0) + 14400 }?.fullFeedPeers4, 3, "judged without the peer whose session is down")
        XCTAssertEqual(rows.first { $0.bin == Int64(t0) + 7200 }?.fullFeedPeers4, 3, "judged without the peer that withdrew its table")
        let stored = try store.events(entity: nil, from: nil, until: nil)
        XCTAssertTrue(stored.allSatisfy { !$0.kind.isAlert }, EventFormat.table(stored))
        XCTAssertEqual(stored.filter { $0.kind == .feed }.count, 2)
    }

    /// Withdrawals are the outage's evidence even when the next element comes bins later (a quiet
    /// spell closes several bins at once): the detector takes each bin's notes after they all close.
    func testWithdrawalsSurviveAQuietSpell() throws {
        let w = try World()
        defer { w.remove() }
        let rib = try w.writeRIB("bview.gz", time: t0, routes: (background + World.nk).map { ($0, [0, 1, 2, 3]) })
        var events: [(UInt32, World.Event)] = (1..<26).map { (t0 + UInt32($0) * 300 + 1, .announce(peer: 3, [background[0]], path: [65004, 4837, 64999])) }
        events += (0..<4).map { (t0 + 26 * 300 + 10 + UInt32($0), .withdraw(peer: $0, World.nk)) }
        events.append((t0 + 32 * 300 + 1, .announce(peer: 3, [background[0]], path: [65004, 4837, 64999])))
        let upd = try w.writeUpdates("u.mrt", events)
        let (store, _) = try detect(rib: rib, updates: upd)
        let outages = try store.events(entity: "AS131279", from: nil, until: nil).filter { $0.kind == .outage }
        XCTAssertEqual(outages.count, 1, EventFormat.table(outages))
        XCTAssertEqual(outages.first?.start, Int64(t0) + 26 * 300)
        XCTAssertEqual(outages.first?.cause, .bgpWithdrawal)
        XCTAssertEqual(outages.first?.evidence.peersInOrder.count, 4)
    }

    /// Re-running a replay replaces its bins: the SQLite store ends identical.
    func testReplayIsIdempotentInSQLite() throws {
        let w = try World()
        defer { w.remove() }
        let rib = try w.writeRIB("bview.gz", time: t0, routes: (background + World.nk).map { ($0, [0, 1, 2, 3]) })
        let upd = try w.writeUpdates("u.mrt", [(t0 + 400, .withdraw(peer: 0, World.nk))])
        let db = w.path("vigil.db")
        var o = ReplayRunner.Options()
        o.ribs = [rib]
        o.updates = [[upd]]
        o.watch = [Entity("AS131279")!]
        o.fullFeed = FullFeedPolicy(relativeShare: 0.8)
        for _ in 0..<2 {
            let store = BlockingStore(try SQLiteStore(path: db))
            let r = ReplayRunner(options: o, store: store.base, entityMap: nil)
            r.report = { _ in }
            _ = try r.run()
        }
        let rows = try BlockingStore(try SQLiteStore(path: db)).series(entity: "AS131279", from: nil, until: nil)
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows.map(\.withdrawals), [0, 4])
    }

    /// Churn for one prefix on a real RIS archive, checked against bgpdump's text
    /// and an independent per-(peer, prefix) replay of it.
    func testChurnOnRealArchiveMatchesBgpdumpText() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = root.appendingPathComponent("Tests/MRTTests/Fixtures/updates.20020722.2238.gz").path
        let text = String(decoding: try readWholeInput(file + ".bgpdump-m.gz"), as: UTF8.self)
        let lines = text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        // The prefix announced most often (ties broken by name: dictionary order differs per run).
        var counts: [String: Int] = [:]
        for l in lines where l[2] == "A" { counts[l[5], default: 0] += 1 }
        let target = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
        // A watched prefix counts its more-specifics too.
        let watched = Prefix(target)!
        let bin: Int64 = 60
        var ann: [Int64: Int] = [:], wd: [Int64: Int] = [:]
        var have = Set<String>()
        for l in lines {
            let t = Int64(l[1])!, b = t - t % bin
            if l[2] == "STATE", l[5] == "6", l[6] != "6" {
                // A session leaving Established: that peer's routes go away.
                let gone = have.filter { $0.hasPrefix(l[3] + "|") }
                wd[b, default: 0] += gone.count
                have.subtract(gone)
                continue
            }
            guard l[2] == "A" || l[2] == "W", let p = Prefix(l[5]), watched.contains(p) else { continue }
            let key = l[3] + "|" + l[5]
            if l[2] == "A" { ann[b, default: 0] += 1; have.insert(key) }
            if l[2] == "W", have.remove(key) != nil { wd[b, default: 0] += 1 }
        }
        var o = ReplayRunner.Options()
        o.updates = [[file]]
        o.binSeconds = bin
        o.watch = [Entity(target)!]
        let store = BlockingStore(MemoryStore())
        let r = ReplayRunner(options: o, store: store.base, entityMap: nil)
        r.report = { _ in }
        _ = try r.run()
        let rows = try store.series(entity: Entity(target)!.description, from: nil, until: nil)
        XCTAssertFalse(rows.isEmpty)
        XCTAssertGreaterThan(ann.values.reduce(0, +), 0)
        for row in rows {
            XCTAssertEqual(row.announcements, ann[row.bin] ?? 0, "announcements in bin \(row.bin)")
            XCTAssertEqual(row.withdrawals, wd[row.bin] ?? 0, "withdrawals in bin \(row.bin)")
        }
        XCTAssertEqual(rows.reduce(0) { $0 + $1.announcements }, ann.values.reduce(0, +))
    }
}
