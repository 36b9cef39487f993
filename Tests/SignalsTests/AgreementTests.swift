import XCTest
@testable import Signals

/// Several vantage points' events combined: what at least k of them saw at once.
final class AgreementTests: XCTestCase {
    func outage(_ vantage: String, _ start: Int64, _ end: Int64?, cause: Event.Cause = .bgpWithdrawal, scope: Double = 1,
                stopped: Bool = false, kind: Event.Kind = .outage, entity: String = "AS1") -> Event {
        Event(entity: entity, kind: kind, cause: cause, start: start, end: end, scope: scope, severity: scope, level: "critical",
              precededByInstability: false, evidence: Event.Evidence(signal: vantage), observationStopped: stopped, vantage: vantage)
    }

    func testTwoOfThreeSpanWhileTwoSeeIt() {
        let events = [outage("a", 100, 400), outage("b", 200, 600, scope: 0.5), outage("c", 500, nil, cause: .unreachableWhileRouted)]
        let two = Agreement.combine(events, required: 2)
        // a and b overlap in [200, 400); b and c in [500, 600); in [400, 500) only b saw it.
        XCTAssertEqual(two.map { [$0.start, $0.end ?? -1] }, [[200, 400], [500, 600]])
        XCTAssertEqual(two.map(\.seenBy), [["a", "b"], ["b", "c"]])
        XCTAssertEqual(two.map(\.vantage), ["", ""])
        XCTAssertEqual(two.first?.scope, 1, "the largest scope of those that saw it")
        XCTAssertEqual(two.first?.evidence.signal, "a", "the evidence of the first to see it")
        XCTAssertEqual(Agreement.combine(events, required: 3), [], "never three at once")
        let one = Agreement.combine(events, required: 1)
        XCTAssertEqual(one.map { [$0.start, $0.end ?? -1] }, [[100, -1]], "one vantage point is enough: open while c sees it")
        XCTAssertEqual(one.first?.seenBy, ["a", "b", "c"])
    }

    func testEndingAsAnotherBeginsIsNoOverlapAndCausesAreByMajority() {
        XCTAssertEqual(Agreement.combine([outage("a", 0, 300), outage("b", 300, 600)], required: 2), [])
        let e = Agreement.combine([outage("a", 0, 900, cause: .unreachableWhileRouted), outage("b", 0, 900), outage("c", 0, 900)], required: 2)
        XCTAssertEqual(e.map(\.cause), [.bgpWithdrawal], "two of three said withdrawal")
        XCTAssertEqual(e.first?.seenBy, ["a", "b", "c"])
    }

    func testKindsEntitiesAndStoppingAreKeptApart() {
        let events = [outage("a", 0, 600), outage("b", 0, 300, stopped: true), outage("b", 0, 600, kind: .instability),
                      outage("a", 0, 600, entity: "AS2"), outage("a", 0, 10, kind: .feed)]
        let two = Agreement.combine(events, required: 2)
        XCTAssertEqual(two.map(\.kind), [.outage, .feed], "an instability and an outage are not one event; feed annotations kept")
        let both = two.first { $0.kind == .outage }!
        XCTAssertEqual([both.start, both.end], [0, 300])
        XCTAssertTrue(both.observationStopped, "agreement ended because b stopped observing: not a recovery")
    }
}
