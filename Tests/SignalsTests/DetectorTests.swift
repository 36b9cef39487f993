import XCTest
@testable import Signals

final class DetectorTests: XCTestCase {
    let t0: Int64 = 1_419_206_400

    /// One bin of entity "E": `space` is both routed and present (withdrawn by nearly every peer when it falls),
    /// `routed` alone when only some peers dropped it.
    func row(_ i: Int, space: Double, routed: Double? = nil, churn: Int = 0, flaps: Int = 0, repeats: Int = 0, visibility: Double = 1,
             visible: Int = 4) -> SeriesRow {
        var r = SeriesRow(entity: "E", bin: t0 + Int64(i) * 300, routedV4: routed ?? space, visiblePrefixes: visible, meanVisibility: visibility,
                          announcements: churn / 2, withdrawals: churn - churn / 2, fullFeedPeers4: 8)
        r.presentV4 = space
        r.flaps = flaps
        r.repeatFlaps = repeats
        return r
    }

    /// Feeds rows, each bin whose present space fell with a withdrawal of the entity's routes (as the
    /// signal engine notes them); returns every change.
    func feed(_ d: Detector, _ rows: [SeriesRow]) -> [Detector.Change] {
        var last: Double?
        return rows.flatMap { r in
            defer { last = r.presentV4 }
            let fell = last.map { r.presentV4 < $0 } ?? false
            return d.observe(r, withdrawals: fell ? [WithdrawalNote(time: UInt32(r.bin), peer: "P", prefix: "p", lostPath: [1, 2])] : [])
        }
    }
    func alerts(_ c: [Detector.Change]) -> [Detector.Change] { c.filter { $0.event.kind.isAlert } }
    func opened(_ c: [Detector.Change]) -> [Event] { c.compactMap { if case let .opened(e) = $0 { e } else { nil } } }

    func testOutageLifecycleThresholdsAndSeverity() {
        let d = Detector()
        var rows = (0..<24).map { row($0, space: 100, visible: 100) }
        rows.append(row(24, space: 85, visibility: 0.85, visible: 85))   // 15%: warning, pending
        rows.append(row(25, space: 40, visibility: 0.4, visible: 40))    // 60%: second bin down, the outage opens
        rows.append(row(26, space: 95, visibility: 0.95, visible: 95))   // 5%: back within the threshold
        let changes = feed(d, rows)
        guard changes.count == 2, case let .opened(o) = changes[0], case let .closed(c) = changes[1] else { return XCTFail("\(changes)") }
        XCTAssertEqual(o.start, t0 + 24 * 300, "the outage starts at its first bin")
        XCTAssertEqual(o.level, "critical")
        XCTAssertEqual(o.cause, .bgpWithdrawal)
        XCTAssertEqual(o.scope, 0.6, accuracy: 1e-9)
        XCTAssertEqual(c.end, t0 + 26 * 300)
        // Severity: mean depth × hours × log2(2 + baseline).
        let expected: Double = (0.15 + 0.6) / 2 * 600 / 3600 * log2(102.0)
        XCTAssertEqual(c.severity, expected, accuracy: 1e-9)
        XCTAssertEqual(c.evidence.baseline, 100)
        XCTAssertEqual(c.evidence.worst, 40)
    }

    func testALossShorterThanTheMinimumIsABlip() {
        // One prefix of eleven withdrawn by every peer for one bin: a blip, not an outage.
        let d = Detector()
        let changes = feed(d, (0..<24).map { row($0, space: 11) } + [row(24, space: 10, visible: 3), row(25, space: 11)])
        XCTAssertTrue(alerts(changes).isEmpty, "\(changes)")
        XCTAssertEqual(changes.map(\.event.kind), [.blip])
        XCTAssertEqual(changes.first?.event.end, t0 + 25 * 300)
        // A minimum of one bin restores the old behaviour.
        var cfg = Detector.Config()
        cfg.minimumOutageBins = 1
        XCTAssertEqual(opened(feed(Detector(config: cfg), (0..<24).map { row($0, space: 11) } + [row(24, space: 10, visible: 3)])).map(\.kind), [.outage])
    }

    func testSpaceThatLeftWithoutAWithdrawalIsNotAnOutage() {
        // Half the space gone for hours with no withdrawal of the entity's routes (another origin took
        // the prefixes): an annotation, and the new normal; a later withdrawal is judged against it.
        let d = Detector()
        var changes = (0..<24).flatMap { d.observe(row($0, space: 100, visible: 100)) }
        changes += (24..<60).flatMap { d.observe(row($0, space: 50, visibility: 0.5, visible: 50)) }
        XCTAssertTrue(alerts(changes).isEmpty, "\(changes)")
        let moved = changes.first { $0.event.kind == .blip }?.event
        XCTAssertEqual(moved?.cause, .unknown)
        XCTAssertTrue(moved?.evidence.note.contains("no withdrawal") ?? false)
        let note = WithdrawalNote(time: 1, peer: "P", prefix: "p", lostPath: [1, 2])
        _ = d.observe(row(60, space: 0, visibility: 0, visible: 0), withdrawals: [note])
        let o = opened(d.observe(row(61, space: 0, visibility: 0, visible: 0)))
        XCTAssertEqual(o.map(\.kind), [.outage])
        XCTAssertEqual(o.first?.evidence.baseline, 50)
    }

    func testOnlySpaceWithdrawnByNearlyEveryPeerIsLost() {
        // Three of five peers drop a /22 for an hour: no longer visible to most, but still
        // carried by a quarter of them (present): routing, not an outage.
        let d = Detector()
        let rows = (0..<24).map { row($0, space: 13) } + (24..<36).map { row($0, space: 13, routed: 9, visibility: 0.8) }
        XCTAssertTrue(alerts(feed(d, rows)).isEmpty)
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
        let changes = alerts(feed(d, rows))
        XCTAssertEqual(opened(changes).count, 1)
        guard case let .closed(c)? = changes.last else { return XCTFail("\(changes.last.map { "\($0)" } ?? "none")") }
        XCTAssertEqual(c.evidence.baseline, 100)
        XCTAssertEqual(c.start, t0 + 30 * 300)
        XCTAssertEqual(c.end, t0 + 100 * 300)
    }

    func testTinyEntityEveryRouteMatters() {
        let d = Detector()
        var rows = (0..<24).map { row($0, space: 4) }
        rows += [row(24, space: 3, visibility: 0.75, visible: 3), row(25, space: 3, visibility: 0.75, visible: 3), row(26, space: 4)]
        let changes = feed(d, rows)
        XCTAssertEqual(changes.count, 2)
        guard case let .opened(o) = changes[0], case let .closed(c) = changes[1] else { return XCTFail("\(changes)") }
        XCTAssertEqual(o.scope, 0.25)
        XCTAssertEqual(o.evidence.note, "25% of the entity's space withdrawn by nearly every full-feed peer", "a partial outage says its scope")
        XCTAssertEqual(c.end, t0 + 26 * 300)
        // A large entity losing 1 of 100 /24s is no outage.
        let big = Detector()
        XCTAssertTrue(feed(big, (0..<24).map { row($0, space: 100) } + [row(24, space: 99), row(25, space: 99)]).isEmpty)
    }

    func testNoJudgementWithoutHistory() {
        let d = Detector()
        XCTAssertTrue(feed(d, [row(0, space: 4), row(1, space: 0, visibility: 0, visible: 0), row(2, space: 0, visibility: 0, visible: 0)]).isEmpty)
    }

    func testCauseFromEvidence() {
        // Space fell but every prefix is still seen as before and no peer withdrew: no outage, an annotation of cause unknown.
        let d = Detector()
        let c = ((0..<24).map { row($0, space: 4) } + [row(24, space: 0, visibility: 1, visible: 4), row(25, space: 0, visibility: 1, visible: 4)])
            .flatMap { d.observe($0) }
        XCTAssertEqual(c.map(\.event.kind), [.blip])
        XCTAssertEqual(c.first?.event.cause, .unknown)
        // Withdrawal notes name the peers in order and the common upstream.
        let w = Detector()
        _ = feed(w, (0..<24).map { row($0, space: 4) })
        let notes = [WithdrawalNote(time: 10, peer: "B", prefix: "p1", lostPath: [2, 4837, 131279]),
                     WithdrawalNote(time: 5, peer: "A", prefix: "p1", lostPath: [1, 4837, 131279])]
        XCTAssertTrue(w.observe(row(24, space: 0, visibility: 0, visible: 0), withdrawals: notes).isEmpty)
        let o = w.observe(row(25, space: 0, visibility: 0, visible: 0))
        XCTAssertEqual(o.first?.event.cause, .bgpWithdrawal)
        XCTAssertEqual(o.first?.event.evidence.peersInOrder, ["A", "B"])
        XCTAssertEqual(o.first?.event.evidence.commonUpstream, 4837)
        let mixed = Detector()
        _ = feed(mixed, (0..<24).map { row($0, space: 4) })
        _ = mixed.observe(row(24, space: 0, visibility: 0, visible: 0),
                          withdrawals: [notes[0], WithdrawalNote(time: 6, peer: "C", prefix: "p2", lostPath: [3, 174, 131279])])
        XCTAssertNil(mixed.observe(row(25, space: 0, visibility: 0, visible: 0)).first?.event.evidence.commonUpstream)
    }

    func testChurnWithoutFlapsIsNotInstability() {
        // Path and community changes at one peer: heavy churn, no prefix falls below visibility.
        let d = Detector()
        XCTAssertTrue(feed(d, (0..<24).map { row($0, space: 4) } + (24..<60).map { row($0, space: 4, churn: $0 % 2 == 0 ? 40 : 0) }).isEmpty)
        // One prefix flapping once, then nothing: no instability either.
        let once = Detector()
        XCTAssertTrue(alerts(feed(once, (0..<24).map { row($0, space: 4) } + [row(24, space: 4, flaps: 1)] + (25..<40).map { row($0, space: 4) })).isEmpty)
    }

    func testFlappingIsOneEpisodeThenAnOutagePrecededByIt() {
        let quiet = (0..<24).map { row($0, space: 4) }
        // Prefixes fall and come back every 20 minutes for three hours, some of them bins
        // where everything was gone (total losses shorter than an outage), then a long withdrawal.
        var rows = quiet
        for i in 24..<60 {
            switch i % 4 {
            case 0: rows.append(row(i, space: i % 8 == 0 ? 0 : 2, flaps: 2, repeats: i > 24 ? 2 : 0, visibility: 0.5, visible: 2))
            default: rows.append(row(i, space: 4))
            }
        }
        rows += (60..<72).map { row($0, space: 0, flaps: $0 == 60 ? 4 : 0, visibility: 0, visible: 0) }
        rows += (72..<90).map { row($0, space: 4) }
        let changes = alerts(feed(Detector(), rows))
        let o = opened(changes)
        XCTAssertEqual(o.map(\.kind), [.instability, .outage], "one episode, one outage: \(o)")
        XCTAssertEqual(o[0].start, t0 + 24 * 300)
        XCTAssertEqual(o[0].cause, .routeInstability)
        XCTAssertEqual(o[1].start, t0 + 60 * 300)
        XCTAssertTrue(o[1].precededByInstability)
        XCTAssertEqual(o[1].evidence.instabilitySince, t0 + 24 * 300)
        // The episode ended where the outage began, and counts the total losses inside it.
        let ended = changes.compactMap { if case let .closed(e) = $0, e.kind == .instability { e } else { nil } }
        XCTAssertEqual(ended.first?.end, t0 + 60 * 300)
        XCTAssertEqual(ended.first?.evidence.totalLosses, 5)
        XCTAssertEqual(ended.first?.evidence.longestLoss, 300)
        // The same withdrawal with no flapping before it is a clean one.
        let clean = opened(feed(Detector(), quiet + [row(24, space: 0, visibility: 0, visible: 0), row(25, space: 0, visibility: 0, visible: 0)]))
        XCTAssertEqual(clean.first?.precededByInstability, false)
        XCTAssertNil(clean.first?.evidence.instabilitySince)
    }

    func testInstabilityEndsAfterAQuietHour() {
        let rows = (0..<24).map { row($0, space: 4) } + [row(24, space: 4, flaps: 1), row(25, space: 4), row(26, space: 4, flaps: 1, repeats: 1)]
            + (27..<50).map { row($0, space: 4) }
        let changes = feed(Detector(), rows)
        guard case let .closed(e)? = changes.last else { return XCTFail("\(changes)") }
        XCTAssertEqual(e.kind, .instability)
        XCTAssertEqual(e.start, t0 + 24 * 300)
        XCTAssertEqual(e.end, t0 + 27 * 300, "the end of the last flap's bin")
        XCTAssertEqual(e.evidence.flaps, 2)
    }
}
