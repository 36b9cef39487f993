import XCTest
@testable import Signals

/// The live (per-second) detector follows the bin detector's rules: space withdrawn by
/// nearly every peer, a minimum duration before a loss is an outage, a longer one while flapping.
final class LiveDetectorTests: XCTestCase {
    func row(_ space: Double, routed: Double? = nil) -> SeriesRow {
        var r = SeriesRow(entity: "AS1", bin: 0, routedV4: routed ?? space, visiblePrefixes: Int(space), meanVisibility: space > 0 ? 1 : 0,
                          fullFeedPeers4: 4)
        r.presentV4 = space
        return r
    }

    /// Feeds one sample a second from `from` to `to` (exclusive); returns the changes.
    /// `withdrawn`: the entity's routes were withdrawn in this stretch (the signal engine's notes).
    func run(_ d: LiveDetector, _ from: Int64, _ to: Int64, space: Double, routed: Double? = nil, unstable: Bool = false,
             withdrawn: Bool = true) -> [Detector.Change] {
        let notes = withdrawn ? [WithdrawalNote(time: UInt32(from), peer: "P", prefix: "p", lostPath: [1])] : []
        return (from..<to).flatMap { d.observe(row(space, routed: routed), at: $0, withdrawals: notes, unstable: unstable, instabilitySince: nil) }
    }

    func testSpaceThatMovedWithoutAWithdrawalIsNotAnOutage() {
        let d = LiveDetector(config: config(minimum: 60))
        XCTAssertTrue(run(d, 0, 100, space: 4).isEmpty)
        XCTAssertTrue(run(d, 100, 400, space: 2, withdrawn: false).isEmpty, "half the space left with no withdrawal")
        // What is left is the normal now: losing it is an outage of that.
        let c = run(d, 400, 500, space: 0)
        guard case let .opened(e)? = c.first else { return XCTFail("\(c)") }
        XCTAssertEqual(e.evidence.baseline, 2)
    }

    func config(minimum: Int64) -> LiveDetector.Config {
        var c = LiveDetector.Config()
        c.warmup = 10
        c.minimumOutage = minimum
        c.flappingOutage = 3 * minimum
        c.flappingPartialOutage = 4 * minimum
        return c
    }

    func testALossIsAnOutageOnlyOnceItHasLastedTheMinimum() {
        let d = LiveDetector(config: config(minimum: 60))
        XCTAssertTrue(run(d, 0, 100, space: 4).isEmpty)
        // 59 s down and back: a blip, nothing raised.
        XCTAssertTrue(run(d, 100, 159, space: 0).isEmpty)
        XCTAssertTrue(run(d, 159, 200, space: 4).isEmpty)
        // Down for good: the outage opens 60 s after the loss began, starting when it began.
        let c = run(d, 200, 300, space: 0)
        XCTAssertEqual(c.count, 1)
        guard case let .opened(e)? = c.first else { return XCTFail("\(c)") }
        XCTAssertEqual(e.start, 200)
        XCTAssertEqual(e.evidence.baseline, 4, "the baseline froze when the loss began")
        let back = run(d, 300, 301, space: 4)
        guard case let .closed(end)? = back.first else { return XCTFail("\(back)") }
        XCTAssertEqual(end.end, 300)
    }

    func testSpaceStillCarriedByAQuarterOfThePeersIsNotLost() {
        let d = LiveDetector(config: config(minimum: 0))
        XCTAssertTrue(run(d, 0, 100, space: 4).isEmpty)
        // Half of the peers dropped everything: not visible to most, still carried: no outage.
        XCTAssertTrue(run(d, 100, 400, space: 4, routed: 0).isEmpty)
    }

    func testWhileFlappingATotalLossMustLastLonger() {
        let d = LiveDetector(config: config(minimum: 10))
        XCTAssertTrue(run(d, 0, 100, space: 4).isEmpty)
        // While flapping a loss must outlast the flaps: a partial one four times the minimum...
        XCTAssertTrue(run(d, 100, 139, space: 2, unstable: true).isEmpty)
        XCTAssertTrue(run(d, 139, 150, space: 4, unstable: true).isEmpty)
        // ...a total one three times.
        XCTAssertTrue(run(d, 150, 179, space: 0, unstable: true).isEmpty)
        XCTAssertEqual(run(d, 179, 181, space: 0, unstable: true).count, 1)
    }
}
