import XCTest
@testable import Signals

final class DetectorTests: XCTestCase {
    let t0: Int64 = 1_419_206_400

    func row(_ i: Int, space: Double, churn: Int = 0, visibility: Double = 1, visible: Int = 4) -> SeriesRow {
        SeriesRow(entity: "E", bin: t0 + Int64(i) * 300, routedV4: space, visiblePrefixes: visible, meanVisibility: visibility,
                  announcements: churn / 2, withdrawals: churn - churn / 2, fullFeedPeers4: 8)
    }

    /// Feeds rows; returns every change.
    func feed(_ d: Detector, _ rows: [SeriesRow]) -> [Detector.Change] { rows.flatMap { d.observe($0) } }

    func testOutageLifecycleThresholdsAndSeverity() {
        let d = Detector()
        var rows = (0..<24).map { row($0, space: 100, visible: 100) }
        rows.append(row(24, space: 85, visibility: 0.85, visible: 85))   // 15%: warning
        rows.append(row(25, space: 40, visibility: 0.4, visible: 40))    // 60%: critical
        rows.append(row(26, space: 95, visibility: 0.95, visible: 95))   // 5%: back within the threshold
        let changes = feed(d, rows)
        guard case let .opened(o) = changes[0] else { return XCTFail("\(changes)") }
        XCTAssertEqual(o.start, t0 + 24 * 300)
        XCTAssertEqual(o.level, "warning")
        XCTAssertEqual(o.cause, .bgpWithdrawal)
        guard case let .updated(u) = changes[1] else { return XCTFail("\(changes)") }
        XCTAssertEqual(u.level, "critical")
        XCTAssertEqual(u.scope, 0.6, accuracy: 1e-9)
        guard case let .closed(c) = changes[2] else { return XCTFail("\(changes)") }
        XCTAssertEqual(c.end, t0 + 26 * 300)
        // Severity: depth × duration, in bin-hours: (0.15 + 0.6) × 5 min.
        XCTAssertEqual(c.severity, (0.15 + 0.6) * 300 / 3600, accuracy: 1e-9)
        XCTAssertEqual(c.evidence.baseline, 100)
        XCTAssertEqual(c.evidence.worst, 40)
        XCTAssertEqual(changes.count, 3)
    }

    func testBaselineIsTheTrailingMedianAndFrozenDuringOutage() {
        let d = Detector()
        // A noisy history whose median is 100 (dips of 4% stay below the 10% threshold);
        // the fall to 80 opens an outage.
        var rows = (0..<30).map { row($0, space: [100, 104, 96, 100, 102][$0 % 5], visible: 100) }
        rows.append(row(30, space: 80, visibility: 0.8, visible: 80))
        // Hours at 80 must not drag the baseline down: still an outage until it is back.
        rows += (31..<100).map { row($0, space: 80, visibility: 0.8, visible: 80) }
        rows.append(row(100, space: 100, visible: 100))
        let changes = feed(d, rows)
        XCTAssertEqual(changes.filter { if case .opened = $0 { true } else { false } }.count, 1)
        guard case let .closed(c)? = changes.last else { return XCTFail("\(changes.last.map { "\($0)" } ?? "none")") }
        XCTAssertEqual(c.evidence.baseline, 100)
        XCTAssertEqual(c.end, t0 + 100 * 300)
    }

    func testTinyEntityEveryRouteMatters() {
        let d = Detector()
        var rows = (0..<24).map { row($0, space: 4) }
        rows.append(row(24, space: 3, visibility: 0.75, visible: 3))
        rows.append(row(25, space: 4))
        let changes = feed(d, rows)
        XCTAssertEqual(changes.count, 2)
        guard case let .opened(o) = changes[0], case let .closed(c) = changes[1] else { return XCTFail("\(changes)") }
        XCTAssertEqual(o.scope, 0.25)
        XCTAssertEqual(c.end, t0 + 25 * 300)
        // A large entity losing 1 of 100 /24s is no outage.
        let big = Detector()
        XCTAssertTrue(feed(big, (0..<24).map { row($0, space: 100) } + [row(24, space: 99)]).isEmpty)
    }

    func testNoJudgementWithoutHistory() {
        let d = Detector()
        XCTAssertTrue(feed(d, [row(0, space: 4), row(1, space: 0, visibility: 0, visible: 0)]).isEmpty)
    }

    func testCauseFromEvidence() {
        // Space fell but every prefix is still seen as before: signals disagree → unknown.
        let d = Detector()
        let c = feed(d, (0..<24).map { row($0, space: 4) } + [row(24, space: 0, visibility: 1, visible: 4)])
        XCTAssertEqual(c.first?.event.cause, .unknown)
        // Withdrawal notes name the peers in order and the common upstream.
        let w = Detector()
        _ = feed(w, (0..<24).map { row($0, space: 4) })
        let notes = [WithdrawalNote(time: 10, peer: "B", prefix: "p1", lostPath: [2, 4837, 131279]),
                     WithdrawalNote(time: 5, peer: "A", prefix: "p1", lostPath: [1, 4837, 131279])]
        let o = w.observe(row(24, space: 0, visibility: 0, visible: 0), withdrawals: notes)
        XCTAssertEqual(o.first?.event.cause, .bgpWithdrawal)
        XCTAssertEqual(o.first?.event.evidence.peersInOrder, ["A", "B"])
        XCTAssertEqual(o.first?.event.evidence.commonUpstream, 4837)
        let mixed = Detector()
        _ = feed(mixed, (0..<24).map { row($0, space: 4) })
        let m = mixed.observe(row(24, space: 0, visibility: 0, visible: 0),
                              withdrawals: [notes[0], WithdrawalNote(time: 6, peer: "C", prefix: "p2", lostPath: [3, 174, 131279])])
        XCTAssertNil(m.first?.event.evidence.commonUpstream)
    }

    func testInstabilityNeedsRepeatedBurstsAndAnnotatesOutages() {
        let quiet = (0..<24).map { row($0, space: 4) }
        // One burst (a session reset) is no instability.
        let one = Detector()
        XCTAssertTrue(feed(one, quiet + [row(24, space: 4, churn: 30)] + (25..<40).map { row($0, space: 4) }).isEmpty)
        // Bursts for two hours, then a full withdrawal: instability, then an outage marked as preceded by it.
        let d = Detector()
        var rows = quiet
        rows += (24..<48).map { row($0, space: $0 % 3 == 0 ? 3 : 4, churn: $0 % 2 == 0 ? 30 : 0, visibility: 0.9) }
        rows.append(row(48, space: 0, churn: 0, visibility: 0, visible: 0))
        let changes = feed(d, rows)
        let opened = changes.compactMap { if case let .opened(e) = $0 { e } else { nil } }
        XCTAssertEqual(opened.map(\.kind), [.instability, .outage], "partial drops while flapping are not outages")
        XCTAssertEqual(opened[0].start, t0 + 24 * 300)
        XCTAssertEqual(opened[0].cause, .routeInstability)
        XCTAssertTrue(opened[1].precededByInstability)
        // The same withdrawal with no flapping before it is a clean one.
        let clean = Detector()
        let c = feed(clean, quiet + [row(24, space: 0, visibility: 0, visible: 0)])
        XCTAssertEqual(c.first?.event.precededByInstability, false)
        // Instability closes after quiet bins.
        let closes = Detector()
        let cc = feed(closes, quiet + [row(24, space: 4, churn: 30), row(25, space: 4, churn: 30)] + (26..<50).map { row($0, space: 4) })
        guard case let .closed(e)? = cc.last else { return XCTFail("\(cc)") }
        XCTAssertEqual(e.kind, .instability)
        XCTAssertEqual(e.end, t0 + 26 * 300)
    }
}
