import BGPWire
import Probing
import Signals
import XCTest

final class DataPlaneDetectorTests: XCTestCase {
    let blocks = ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24"].map { Prefix($0)! }

    func row(_ t: Int64, up: Int, down: Int = 0, rtt: Double = 0.001, sent: Int = 4, answered: Int? = nil) -> ProbeRow {
        ProbeRow(entity: "AS64500", time: t, blocks: 4, judged: 4, up: up, down: down, uncertain: 4 - up - down, sent: sent,
                 answered: answered ?? up, rttMedian: up > 0 ? rtt : 0, rttP95: up > 0 ? rtt * 2 : 0)
    }

    func testUnreachableWhileRoutedThenWithdrawn() throws {
        let d = DataPlaneDetector()
        for t in 0..<3 { XCTAssertTrue(d.observe(row(Int64(t) * 60, up: 4), down: [], routes: [:]).changes.isEmpty) }
        let covering = DataPlaneDetector.Route(prefix: Prefix("10.1.0.0/22")!, peers: 3, origin: 64500)
        // Two blocks down, still routed: the data plane's own diagnosis.
        var r = d.observe(row(180, up: 2, down: 2, sent: 8), down: Array(blocks.prefix(2)),
                          routes: [blocks[0]: covering, blocks[1]: covering])
        let opened = try XCTUnwrap(r.changes.first?.event)
        guard case .opened = r.changes[0] else { return XCTFail("\(r.changes)") }
        XCTAssertEqual(opened.cause, .unreachableWhileRouted)
        XCTAssertEqual(opened.kind, .outage)
        XCTAssertEqual(opened.scope, 0.5)
        XCTAssertEqual(opened.evidence.prefixes, ["10.1.0.0/24", "10.1.1.0/24"])
        XCTAssertTrue(opened.evidence.note.contains("via 10.1.0.0/22 (origin AS64500, 3 peers)"), opened.evidence.note)
        // Then all down and the routes gone: the cause follows, and the note keeps the story.
        r = d.observe(row(240, up: 0, down: 4, sent: 16), down: blocks, routes: Dictionary(uniqueKeysWithValues: blocks.map { ($0, nil) }))
        let updated = try XCTUnwrap(r.changes.first?.event)
        XCTAssertEqual(updated.cause, .bgpWithdrawal)
        XCTAssertEqual(updated.scope, 1)
        XCTAssertEqual(updated.level, "critical")
        XCTAssertTrue(updated.evidence.note.contains("the cause became bgp-withdrawal"), updated.evidence.note)
        // Back.
        r = d.observe(row(300, up: 4), down: [], routes: [:])
        guard case let .closed(closed)? = r.changes.first else { return XCTFail("\(r.changes)") }
        XCTAssertEqual(closed.end, 300)
        XCTAssertEqual(closed.start, 180)
        XCTAssertTrue(d.openEvents.isEmpty)
    }

    func testAWithdrawalTheControlPlaneReportsIsConfirmedNotDuplicated() {
        let d = DataPlaneDetector()
        let gone = Dictionary(uniqueKeysWithValues: blocks.map { ($0, DataPlaneDetector.Route?.none) })
        var r = d.observe(row(0, up: 0, down: 4), down: blocks, routes: gone, bgpOutageOpen: true)
        XCTAssertTrue(r.changes.isEmpty)
        XCTAssertTrue(r.confirmation?.contains("the data plane confirms the withdrawal") ?? false, "\(String(describing: r.confirmation))")
        r = d.observe(row(60, up: 0, down: 4), down: blocks, routes: gone, bgpOutageOpen: true)
        XCTAssertNil(r.confirmation, "confirmed once")
        // Without a BGP outage open (not watched, or no baseline yet) the data plane opens its own.
        let d2 = DataPlaneDetector()
        let own = d2.observe(row(0, up: 0, down: 4), down: blocks, routes: gone, bgpOutageOpen: false)
        XCTAssertEqual(own.changes.first?.event.cause, .bgpWithdrawal)
        // Probing alone: routing unknown, the cause is not guessed.
        let d3 = DataPlaneDetector()
        let alone = d3.observe(row(0, up: 0, down: 4), down: blocks, routes: nil)
        XCTAssertEqual(alone.changes.first?.event.cause, .unknown)
        XCTAssertTrue(alone.changes.first?.event.evidence.note.contains("routing not observed") ?? false)
    }

    func testLatencyDegradationAgainstTheEntitysBaseline() throws {
        let d = DataPlaneDetector()
        // Before a baseline is trusted nothing is judged slow.
        XCTAssertTrue(d.observe(row(0, up: 4, rtt: 0.5), down: [], routes: nil).changes.isEmpty)
        let d2 = DataPlaneDetector()
        for t in 0..<5 { XCTAssertTrue(d2.observe(row(Int64(t) * 60, up: 4, rtt: 0.010 + Double(t) * 0.001), down: [], routes: nil).changes.isEmpty) }
        // One probe of three lost: noise, not loss.
        XCTAssertTrue(d2.observe(row(290, up: 4, rtt: 0.011, sent: 3, answered: 2), down: [], routes: nil).changes.isEmpty)
        // Twice the baseline: noise, not degradation (factor 3 and +20 ms).
        XCTAssertTrue(d2.observe(row(300, up: 4, rtt: 0.025), down: [], routes: nil).changes.isEmpty)
        var r = d2.observe(row(360, up: 4, rtt: 0.250, sent: 6, answered: 4), down: [], routes: nil)
        let e = try XCTUnwrap(r.changes.first?.event)
        XCTAssertEqual(e.kind, .degradation)
        XCTAssertEqual(e.cause, .latencyDegradation)
        XCTAssertEqual(e.evidence.signal, "rtt_median")
        XCTAssertEqual(e.evidence.baseline, 0.012, accuracy: 1e-9, "median of the seven normal rounds, the 25 ms one included")
        XCTAssertEqual(e.evidence.worst, 0.25)
        XCTAssertEqual(e.level, "critical")
        XCTAssertTrue(e.evidence.note.contains("250 ms"), e.evidence.note)
        r = d2.observe(row(420, up: 4, rtt: 0.400), down: [], routes: nil)
        XCTAssertEqual(r.changes.first?.event.evidence.worst, 0.4)
        r = d2.observe(row(480, up: 4, rtt: 0.011), down: [], routes: nil)
        guard case let .closed(c)? = r.changes.first else { return XCTFail("\(r.changes)") }
        XCTAssertEqual(c.end, 480)
        // Loss alone also degrades: 60% loss (6 probes) against a 0% baseline.
        r = d2.observe(row(540, up: 4, rtt: 0.011, sent: 10, answered: 4), down: [], routes: nil)
        XCTAssertEqual(r.changes.first?.event.evidence.signal, "loss")
    }
}
