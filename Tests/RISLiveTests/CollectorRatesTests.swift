import XCTest
@testable import RISLive

/// A collector whose share of the stream falls to a trickle while the connection holds.
final class CollectorRatesTests: XCTestCase {
    func testACollectorThatFallsToATrickleIsNamedAndTheOthersAreNot() {
        var r = CollectorRates()
        r.setConnected(true)
        var t: Int64 = 1_796_169_600
        func minute(_ counts: [String: Int]) {
            for (c, n) in counts { for _ in 0..<n { r.message(from: c) } }
            t += 60
            r.roll(now: t)
        }
        r.roll(now: t)
        for _ in 0..<40 { minute(["rrc00": 1200, "rrc21": 900, "rrc05": 20]) }
        XCTAssertNil(r.problem(now: t))
        // rrc21 falls to 5 a minute; rrc05 (20 a minute, below what is judged) goes silent.
        for _ in 0..<4 { minute(["rrc00": 1150, "rrc21": 5]) }
        XCTAssertNil(r.problem(now: t), "not five minutes yet")
        for _ in 0..<2 { minute(["rrc00": 1150, "rrc21": 5]) }
        XCTAssertEqual(r.problem(now: t), "rrc21 fell below 10% of its usual 900 messages a minute")
        // The connection drops: that is the source's down state, not this; back, the rate is judged afresh.
        r.setConnected(false)
        XCTAssertNil(r.problem(now: t))
        r.setConnected(true)
        r.roll(now: t)
        for _ in 0..<3 { minute(["rrc00": 1200, "rrc21": 880]) }
        XCTAssertNil(r.problem(now: t))
        // Minutes with no roll at all (a stalled process) count as quiet ones for everybody.
        t += 600
        r.roll(now: t)
        t += 300
        r.roll(now: t)
        XCTAssertEqual(r.problem(now: t)?.contains("rrc00 fell below"), true)
    }
}
