import Signals
import XCTest

/// A source's health from what it says of itself at each look.
final class SourceHealthTests: XCTestCase {
    func testStartingUpSilentDownAndBack() {
        var t = SourceHealthTracker(source: "bgp", limits: .init(silentAfter: 60), now: 1000)
        XCTAssertEqual(t.health.state, .starting)
        // Nothing yet, within the silence limit: still starting, no change to tell.
        XCTAssertNil(t.observe(now: 1030, connected: nil, count: 0, dataTime: nil, detail: "0 of 0 sessions"))
        // Data arrives: up.
        XCTAssertEqual(t.observe(now: 1031, connected: true, count: 5, dataTime: nil, detail: "1 of 1")?.state, .up)
        XCTAssertEqual(t.health.lastData, 1031)
        XCTAssertNil(t.observe(now: 1080, connected: true, count: 5, dataTime: nil, detail: "1 of 1"), "49 s without data is not silence yet")
        let silent = t.observe(now: 1092, connected: true, count: 5, dataTime: nil, detail: "1 of 1")
        XCTAssertEqual(silent?.state, .silent)
        XCTAssertEqual(silent?.since, 1092)
        XCTAssertEqual(silent?.lastData, 1031, "silent since when it last heard something")
        // The connection goes: down, whatever the counts say.
        XCTAssertEqual(t.observe(now: 1093, connected: false, count: 6, dataTime: nil, detail: "0 of 1")?.state, .down)
        XCTAssertEqual(t.observe(now: 1094, connected: true, count: 7, dataTime: nil, detail: "1 of 1")?.state, .up)
    }

    func testNeverHeardFromIsSilentAfterTheLimitNotUp() {
        var t = SourceHealthTracker(source: "probe", limits: .init(silentAfter: 60), now: 0)
        XCTAssertNil(t.observe(now: 60, connected: nil, count: 0, dataTime: nil, detail: ""))
        XCTAssertEqual(t.observe(now: 61, connected: nil, count: 0, dataTime: nil, detail: "")?.state, .silent)
    }

    func testAFollowerWhoseNewestFileIsOldIsLagging() {
        var t = SourceHealthTracker(source: "follow rrc00", limits: .init(silentAfter: 3600, lagAfter: 1800), now: 10_000)
        // A file of 20 minutes ago: up (archives are published minutes late).
        XCTAssertEqual(t.observe(now: 10_000, connected: true, count: 1, dataTime: 8_800, detail: "")?.state, .up)
        // The next look finds nothing new and the newest data is now over 30 minutes old: lagging.
        XCTAssertEqual(t.observe(now: 10_700, connected: true, count: 1, dataTime: nil, detail: "")?.state, .lagging)
        // New files catch it up.
        XCTAssertEqual(t.observe(now: 10_800, connected: true, count: 4, dataTime: 10_500, detail: "")?.state, .up)
        // Nothing for over an hour: silent outranks lagging.
        XCTAssertEqual(t.observe(now: 14_500, connected: true, count: 4, dataTime: nil, detail: "")?.state, .silent)
        // The mirror unreachable: down.
        XCTAssertEqual(t.observe(now: 14_600, connected: false, count: 4, dataTime: nil, detail: "")?.state, .down)
    }
}
