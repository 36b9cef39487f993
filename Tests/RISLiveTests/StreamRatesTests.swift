import BGPWire
import XCTest
@testable import RISLive

/// A collector, or many of its peers, whose share of the stream falls to a trickle while the connection holds.
final class StreamRatesTests: XCTestCase {
    func testACollectorThatFallsToATrickleIsNamedAndTheOthersAreNot() {
        var r = StreamRates<String>()
        r.setConnected(true)
        var t: Int64 = 1_796_169_600
        func problem() -> String? { r.low(now: t).map { "\($0.key) usually \(Int($0.usual))" }.sorted().first }
        func minute(_ counts: [String: Int]) {
            for (c, n) in counts { for _ in 0..<n { r.message(from: c) } }
            t += 60
            r.roll(now: t)
        }
        r.roll(now: t)
        for _ in 0..<40 { minute(["rrc00": 1200, "rrc21": 900, "rrc05": 20]) }
        XCTAssertNil(problem())
        XCTAssertEqual(r.judged(), 2, "rrc05's 20 a minute is below what is judged")
        // rrc21 falls to 5 a minute; rrc05 goes silent.
        for _ in 0..<4 { minute(["rrc00": 1150, "rrc21": 5]) }
        XCTAssertNil(problem(), "not five minutes yet")
        for _ in 0..<2 { minute(["rrc00": 1150, "rrc21": 5]) }
        XCTAssertEqual(problem(), "rrc21 usually 900")
        // The connection drops: that is the source's down state, not this; back, the rate is judged afresh.
        r.setConnected(false)
        XCTAssertNil(problem())
        r.setConnected(true)
        r.roll(now: t)
        for _ in 0..<3 { minute(["rrc00": 1200, "rrc21": 880]) }
        XCTAssertNil(problem())
        // Minutes with no roll at all (a stalled process) count as quiet ones for everybody.
        t += 600
        r.roll(now: t)
        t += 300
        r.roll(now: t)
        XCTAssertEqual(problem()?.hasPrefix("rrc00 usually 11"), true)
    }

    func testOneQuietPeerIsNamedAndAQuarterOfACollectorsPeersIsAProblem() {
        var r = FeedRates()
        r.setConnected(true)
        var t: Int64 = 1_796_169_600
        let peers = (1...8).map { RISPeer(collector: "rrc21", address: IPAddress("192.0.2.\($0)")!, asn: 64_500 + UInt32($0)) }
        let other = RISPeer(collector: "rrc00", address: IPAddress("2001:db8::1")!, asn: 64_999)
        func minutes(_ n: Int, quiet: Set<Int> = [], down: Set<Int> = []) {
            for _ in 0..<n {
                for (i, p) in peers.enumerated() where !quiet.contains(i) && !down.contains(i) { for _ in 0..<100 { r.message(p) } }
                for _ in 0..<500 { r.message(other) }
                t += 60
                r.roll(now: t)
            }
        }
        r.roll(now: t)
        minutes(40)
        XCTAssertNil(r.problem(now: t))
        XCTAssertNil(r.quietPeers(now: t))
        // One peer of eight goes quiet for six minutes: named in the status, not a problem of the stream.
        minutes(6, quiet: [2])
        XCTAssertEqual(r.quietPeers(now: t), "1 peer quiet: AS64503 192.0.2.3 at rrc21 (usually 100/min)")
        XCTAssertNil(r.problem(now: t))
        // A session that went down is RIS_PEER_STATE's news: that peer is not quiet, it is gone.
        r.sessionDown(peers[2])
        XCTAssertNil(r.quietPeers(now: t))
        // Two more go quiet (a quarter of the seven judged): the collector lost part of its feed.
        minutes(6, quiet: [4, 6], down: [2])
        XCTAssertEqual(r.problem(now: t), "2 of 7 peers of rrc21 fell below 10% of their usual rate")
        XCTAssertEqual(r.quietPeers(now: t)?.hasPrefix("2 peers quiet: AS64505 192.0.2.5 at rrc21"), true)
    }
}
