import Foundation
import XCTest
import BGPWire
import Entities
@testable import Replay
@testable import Signals
@testable import Simulator
@testable import Store

/// Vigil's own end of observation (archive over, collector stopped) is not the end of an event,
/// and how events read: durations, numbers, and evidence written by any version.
final class ObservationStoppedTests: XCTestCase {
    let t0: Int64 = 1_419_206_400

    func row(_ i: Int, space: Double, visibility: Double = 1) -> SeriesRow {
        var r = SeriesRow(entity: "E", bin: t0 + Int64(i) * 300, routedV4: space, visiblePrefixes: Int(space), meanVisibility: visibility,
                          fullFeedPeers4: 8)
        r.presentV4 = space
        return r
    }

    func testAnEventOpenWhenObservationStopsEndsThereAsSuch() throws {
        let d = Detector()
        for i in 0..<24 { _ = d.observe(row(i, space: 100)) }
        let note = WithdrawalNote(time: UInt32(t0 + 24 * 300), peer: "P", prefix: "p", lostPath: [1, 2])
        XCTAssertEqual(d.observe(row(24, space: 0, visibility: 0), withdrawals: [note]).count, 0, "pending: not yet an outage")
        XCTAssertEqual(d.observe(row(25, space: 0, visibility: 0)).count, 1)
        let stopAt = t0 + 25 * 300 + 14
        let stopped = d.stopObserving(at: stopAt)
        XCTAssertEqual(stopped.count, 1)
        let e = try XCTUnwrap(stopped.first)
        XCTAssertEqual(e.end, stopAt)
        XCTAssertTrue(e.observationStopped)
        XCTAssertTrue(d.openEvents.isEmpty)
        XCTAssertEqual(d.events[e.id], e, "the detector's record says so too")
        XCTAssertEqual(EventFormat.duration(e), "5m+ (observation stopped)")
        XCTAssertTrue(EventFormat.json(e).contains("\"observation_stopped\":true"), EventFormat.json(e))
        XCTAssertTrue(EventFormat.table([e]).contains("(observation stopped)"), EventFormat.table([e]))

        let live = LiveDetector()
        XCTAssertTrue(live.stopObserving(at: stopAt).isEmpty)
    }

    /// A replay whose archive ends during an outage: the outage is not "ongoing" for ever,
    /// it ends where the archive does, marked so; and the last bin is no drop to zero.
    func testTheEndOfAnArchiveIsNeitherARecoveryNorAnOutage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-end-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let toml = """
            name = "ends during an outage"
            start = "2014-12-22T00:00:00Z"
            end = "2014-12-22T06:00:00Z"
            seed = 7
            [background]
            prefixes = 200
            origins = 30
            [[entity]]
            name = "AS64500"
            origin = 64500
            upstream = 64501
            prefixes = ["192.0.2.0/24", "198.51.100.0/24"]
            [[entity]]
            name = "AS64510"
            origin = 64510
            upstream = 64501
            prefixes = ["203.0.113.0/24"]
            [[event]]
            kind = "withdraw"
            entity = "AS64500"
            start = "2014-12-22T04:00:00Z"
            end = "2014-12-22T09:00:00Z"
            """
        var g = Generator(try Scenario(toml: toml, file: "end.toml"))
        let out = try g.write(to: dir)
        var o = ReplayRunner.Options()
        o.ribs = [out.rib]
        o.updates = [out.updates]
        o.watch = [Entity("AS64500")!, Entity("AS64510")!]
        o.detect = true
        let store = MemoryStore()
        let r = ReplayRunner(options: o, store: store, entityMap: nil)
        r.report = { _ in }
        _ = try r.run()
        let events = try blockingWait { try await store.events(entity: nil, from: nil, until: nil) }
        let outage = try XCTUnwrap(events.first { $0.kind == .outage && $0.entity == "AS64500" }, EventFormat.table(events))
        XCTAssertTrue(outage.observationStopped, EventFormat.table(events))
        XCTAssertEqual(try XCTUnwrap(outage.end), UTCTime.parse("2014-12-22T06:00Z")!, accuracy: 300)
        XCTAssertFalse(events.contains { $0.end == nil }, "nothing stays ongoing: \(EventFormat.table(events))")
        XCTAssertFalse(events.contains { $0.entity == "AS64510" }, EventFormat.table(events))
        let steady = try blockingWait { try await store.series(entity: "AS64510", from: nil, until: nil) }
        XCTAssertGreaterThan(steady.count, 60)
        XCTAssertTrue(steady.allSatisfy { $0.routedV4 == 1 }, "the last bin of an archive is no drop: \(steady.suffix(3))")
    }

    func testDurationsUnderAMinuteReadInSeconds() {
        XCTAssertEqual(EventFormat.duration(seconds: 14), "14s")
        XCTAssertEqual(EventFormat.duration(seconds: 0), "0s")
        XCTAssertEqual(EventFormat.duration(seconds: 59), "59s")
        XCTAssertEqual(EventFormat.duration(seconds: 60), "1m")
        XCTAssertEqual(EventFormat.duration(seconds: 3599), "59m")
        XCTAssertEqual(EventFormat.duration(seconds: 7500), "2h05m")
        let e = Event(entity: "AS1", kind: .outage, cause: .bgpWithdrawal, start: t0, end: t0 + 14, scope: 1, severity: 0, level: "critical",
                      precededByInstability: false, evidence: .init(signal: "routed_space"))
        XCTAssertEqual(EventFormat.duration(e), "14s")
    }

    func testTableNumbersHaveAFixedPrecision() {
        XCTAssertEqual(NumberText.decimal(0.7799999999999999), "0.78")
        XCTAssertEqual(NumberText.decimal(0.1 + 0.2), "0.3")
        XCTAssertEqual(NumberText.decimal(3), "3")
        XCTAssertEqual(NumberText.decimal(-2.5), "-2.5")
        XCTAssertEqual(NumberText.decimal(1.0 / 3), "0.3333")
        XCTAssertEqual(NumberText.decimal(0.00001), "0")
        XCTAssertEqual(NumberText.decimal(123_456_789_012.7), "123456789013", "large values do not trap")
        let e = Event(entity: "AS1", kind: .outage, cause: .bgpWithdrawal, start: t0, end: nil, scope: 0.7799999999999999, severity: 1e300,
                      level: "critical", precededByInstability: false, evidence: .init(signal: "routed_space", visibilityBefore: 0.30000000000000004))
        XCTAssertFalse(EventFormat.table([e]).contains("0.7799999"), EventFormat.table([e]))
        XCTAssertFalse(EventFormat.json(e).contains("0.30000000000000004"), EventFormat.json(e))
    }

    /// Evidence as older (fewer fields) and newer (unknown fields) versions wrote it.
    func testEvidenceOfAnyVersionDecodes() throws {
        let dec = JSONDecoder()
        let old = try dec.decode(Event.Evidence.self, from: Data(#"{"signal":"routed_space","baseline":12,"before":12,"worst":0,"note":"v1"}"#.utf8))
        XCTAssertEqual(old.baseline, 12)
        XCTAssertEqual(old.peersInOrder, [])
        XCTAssertNil(old.commonUpstream)
        let empty = try dec.decode(Event.Evidence.self, from: Data("{}".utf8))
        XCTAssertEqual(empty, Event.Evidence(signal: ""))
        let newer = try dec.decode(Event.Evidence.self, from: Data(#"{"signal":"rtt","worst":2,"confidence":0.9,"hops":[1,2]}"#.utf8))
        XCTAssertEqual(newer.worst, 2)
        // A whole event as an older status file held it (no observationStopped).
        let event = try dec.decode(Event.self, from: Data(#"{"entity":"AS1","kind":"outage","cause":"bgp-withdrawal","start":5,"scope":1,"severity":0,"level":"critical","precededByInstability":false,"evidence":{"signal":"routed_space"}}"#.utf8))
        XCTAssertFalse(event.observationStopped)
        XCTAssertNil(event.end)
    }

    /// Times in a scenario: strings with offsets, and TOML's own date-times.
    func testScenarioTimesHonourOffsets() throws {
        let s = try Scenario(toml: """
            name = "x"
            start = "2016-08-11T16:02:00+02:00"
            end = 2016-08-11T18:00:00-01:30
            """, file: "s.toml")
        XCTAssertEqual(UTCTime.format(s.start), "2016-08-11T14:02:00Z")
        XCTAssertEqual(UTCTime.format(s.end), "2016-08-11T19:30:00Z")
    }
}
