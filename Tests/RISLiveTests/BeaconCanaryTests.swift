import BGPWire
import XCTest
@testable import RISLive

/// The RIS beacons' schedule as a check on the stream: every four hours from 00:00 UTC each beacon
/// is announced, two hours later withdrawn, and a stream that misses that is broken.
final class BeaconCanaryTests: XCTestCase {
    let day: Int64 = 1_796_169_600  // 2026-12-02T00:00Z
    let a = Prefix("84.205.64.0/24")!, b = Prefix("84.205.65.0/24")!, c = Prefix("2001:7fb:fe00::/48")!

    func change(_ p: Prefix, announce: Bool) -> BGPElement {
        announce ? BGPElement(kind: .announcement, timestamp: 0, peerAddress: IPAddress("192.0.2.1")!, peerAS: 64500, prefix: p,
                              asPath: ASPath(sequence: [64500, 12654]))
            : BGPElement(kind: .withdrawal, timestamp: 0, peerAddress: IPAddress("192.0.2.1")!, peerAS: 64500, prefix: p)
    }

    func testTheScheduleHeardIsQuietAndAMissedChangeIsNamed() {
        var canary = BeaconCanary(beacons: [a, b, c])
        canary.connected(at: day - 1000)
        XCTAssertNil(canary.problem(now: day + 100), "within the grace of 00:00: not judged yet")
        // 00:00: all three announced a minute late; 02:00: two of three withdrawn (one retired beacon is no alarm).
        canary.observe([a, b, c].map { change($0, announce: true) }, now: day + 60)
        XCTAssertNil(canary.problem(now: day + 901))
        canary.observe([a, b].map { change($0, announce: false) }, now: day + 7200 + 30)
        XCTAssertNil(canary.problem(now: day + 7200 + 901))
        // 04:00: only one of three announced: the stream is missing what every RIS peer carries.
        canary.observe([change(a, announce: true)], now: day + 4 * 3600 + 20)
        XCTAssertNil(canary.problem(now: day + 4 * 3600 + 899), "the grace is not over")
        XCTAssertEqual(canary.problem(now: day + 4 * 3600 + 901),
                       "RIS beacons: 1 of 3 announced at 2026-12-02T04:00:00Z as scheduled (by 2026-12-02T04:15:00Z)")
        // It stands until the next change is heard (06:00, withdrawn), then clears.
        XCTAssertNotNil(canary.problem(now: day + 6 * 3600 + 100))
        canary.observe([a, b, c].map { change($0, announce: false) }, now: day + 6 * 3600 + 40)
        XCTAssertNil(canary.problem(now: day + 6 * 3600 + 901))
        // Other prefixes' changes are not the beacons'.
        canary.observe([change(Prefix("10.0.0.0/8")!, announce: true)], now: day + 8 * 3600 + 10)
        XCTAssertNotNil(canary.problem(now: day + 8 * 3600 + 901))
    }

    func testAChangeMissedWhileDisconnectedIsTheDisconnectionsNotTheCanarys() {
        var canary = BeaconCanary(beacons: [a])
        XCTAssertNil(canary.problem(now: day + 901), "never connected: nothing to judge")
        canary.connected(at: day - 60)
        canary.disconnected()
        // Back at 00:05: the 00:00 announcement went by unseen, and that is not held against the stream.
        canary.connected(at: day + 300)
        XCTAssertNil(canary.problem(now: day + 3600))
        // 02:00 is judged: connected throughout, nothing heard.
        XCTAssertEqual(canary.problem(now: day + 7200 + 901)?.hasPrefix("RIS beacons: 0 of 1 withdrawn at 2026-12-02T02:00:00Z"), true)
    }

    func testAnotherSchedule() {
        var canary = BeaconCanary(beacons: [a])
        (canary.period, canary.withdrawAfter, canary.grace) = (4, 2, 1)
        canary.connected(at: 100)
        XCTAssertEqual(canary.lastDue(now: 105).at, 104)
        XCTAssertEqual(canary.lastDue(now: 105).announce, true)
        XCTAssertEqual(canary.lastDue(now: 107).at, 106)
        XCTAssertEqual(canary.lastDue(now: 107).announce, false)
        canary.observe([change(a, announce: true)], now: 104)
        XCTAssertNil(canary.problem(now: 105))
        XCTAssertNotNil(canary.problem(now: 107), "not withdrawn at 106")
    }
}
