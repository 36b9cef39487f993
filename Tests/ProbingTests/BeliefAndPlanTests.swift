import BGPWire
import XCTest

import Probing

final class BeliefTests: XCTestCase {
    func testHealthyBlockStaysUpOnOneMissAndGoesDownOnThree() {
        var b = Belief.ceiling
        b = Belief.update(b, availability: 0.9, answered: false)
        XCTAssertEqual(Belief.verdict(b), .up, "one miss of a dense block: still up (\(b))")
        b = Belief.update(b, availability: 0.9, answered: false)
        XCTAssertEqual(Belief.verdict(b), .uncertain, "\(b)")
        b = Belief.update(b, availability: 0.9, answered: false)
        XCTAssertEqual(Belief.verdict(b), .down, "\(b)")
        // Recovery: two replies bring it back even from the floor.
        var r = Belief.floor
        r = Belief.update(r, availability: 0.9, answered: true)
        XCTAssertEqual(Belief.verdict(r), .uncertain, "\(r)")
        r = Belief.update(r, availability: 0.9, answered: true)
        XCTAssertEqual(Belief.verdict(r), .up, "\(r)")
    }

    func testSparseBlockStaysUncertainWithinARound() {
        // A = 0.2: a miss is weak evidence; 14 misses do not make it down, and it is not forced.
        var b = Belief.ceiling
        for _ in 0..<14 { b = Belief.update(b, availability: 0.2, answered: false) }
        XCTAssertEqual(Belief.verdict(b), .uncertain, "\(b)")
        // Below the judging threshold availability is clamped, never a division by zero.
        XCTAssertTrue(Belief.update(0.5, availability: 0, answered: true).isFinite)
        XCTAssertLessThanOrEqual(Belief.update(0.5, availability: 1, answered: true), Belief.ceiling)
        XCTAssertGreaterThanOrEqual(Belief.update(0.5, availability: 1, answered: false), Belief.floor)
    }

    func testBitmap() {
        var m = Bitmap256()
        XCTAssertTrue(m.isEmpty)
        XCTAssertNil(m.next(from: 0))
        for i in [0, 63, 64, 200, 255] { m[i] = true }
        XCTAssertEqual(m.count, 5)
        XCTAssertEqual(m.next(from: 1), 63)
        XCTAssertEqual(m.next(from: 65), 200)
        XCTAssertEqual(m.next(from: 256 - 0), 0, "wraps")
        XCTAssertEqual(m.next(from: 201), 255)
        m[63] = false
        XCTAssertEqual(m.next(from: 1), 64)
        XCTAssertLessThanOrEqual(MemoryLayout<BlockTable.Block>.stride, 80, "a block record stays small")
    }
}

final class ProbePlanTests: XCTestCase {
    func p(_ s: String) -> Prefix { Prefix(s)! }

    func testTargetsAreCutIntoBlocksAndTheNeverListIsHonoured() throws {
        var plan = ProbePlan()
        plan.targets = [ProbePlan.Target(prefix: p("192.0.0.0/22"), entity: "AS64500", why: "test network"),
                        ProbePlan.Target(prefix: p("198.51.100.64/26")),
                        ProbePlan.Target(prefix: p("192.0.1.0/24"), entity: "AS1"),  // already in the first target
                        ProbePlan.Target(prefix: p("127.0.0.0/23"))]  // loopback: never, whatever is configured
        plan.never = [p("192.0.2.128/25"), p("192.0.3.0/24")]
        let (blocks, excluded) = try plan.blocks()
        XCTAssertEqual(blocks.map(\.prefix.description), ["192.0.0.0/24", "192.0.1.0/24", "192.0.2.0/24", "198.51.100.64/26"])
        XCTAssertEqual(blocks.map(\.target), [0, 0, 0, 1], "a block in two targets belongs to the first")
        XCTAssertEqual(excluded, 3, "192.0.3.0/24 and the two loopback /24s")
        for (a, ok) in [("192.0.2.5", true), ("192.0.2.200", false), ("192.0.3.1", false), ("10.0.0.1", false), ("127.0.0.1", false),
                        ("198.51.100.70", true), ("198.51.100.130", false)] {
            XCTAssertEqual(plan.allows(IPAddress(a)!), ok, a)
        }
        let table = try BlockTable(plan: plan)
        var n2 = 0, n4 = 0
        table.forEachCandidate(2) { _, a in n2 += 1; XCTAssertTrue(plan.allows(a)) }
        table.forEachCandidate(3) { _, _ in n4 += 1 }
        XCTAssertEqual(n2, 128, "the never-probe half of 192.0.2.0/24 is not a candidate")
        XCTAssertEqual(n4, 64)
        XCTAssertEqual(table.entity(0), "AS64500")
        XCTAssertEqual(table.why(0), "test network")
        XCTAssertEqual(table.entity(3), "198.51.100.64/26")
        XCTAssertEqual(table.why(3), "configured target 198.51.100.64/26")
        XCTAssertTrue(table.blocks.allSatisfy { !$0.judged }, "nothing is judged before a census")
    }

    /// A target with no block of its own is named, with why, and its entity gets no rows (not rows of zeros).
    func testTargetsWithoutBlocksAreNamedAndMeasureNothing() throws {
        guard getuid() == 0 else { return XCTFail("needs root for raw ICMP sockets (run scripts/test.sh as root)") }
        var plan = ProbePlan()
        plan.targets = [ProbePlan.Target(prefix: p("198.51.100.0/23"), entity: "AS64500"),
                        ProbePlan.Target(prefix: p("192.0.2.0/24"), entity: "AS64501"),
                        ProbePlan.Target(prefix: p("198.51.101.0/24"), entity: "AS64502"),
                        ProbePlan.Target(prefix: p("127.0.0.0/23"), entity: "AS64503")]
        plan.never = [p("192.0.2.0/23")]
        let table = try BlockTable(plan: plan)
        XCTAssertEqual(table.unprobed.map(\.target), [1, 2, 3])
        XCTAssertEqual(table.unprobed.map(\.why), ["it lies wholly on the never-probe list", "its blocks belong to target 198.51.100.0/23",
                                                   "it lies wholly on the never-probe list"])
        let round = BlockProber(table: table, prober: try Prober(rate: plan.rate, timeout: 0.1)).round(at: 1000)
        XCTAssertEqual(round.rows.map(\.entity), ["AS64500"])
    }

    func testPlansTooLargeAreRefusedAndIPv6NeedsHosts() throws {
        var plan = ProbePlan()
        plan.maxBlocks = 1000
        plan.targets = [ProbePlan.Target(prefix: p("10.0.0.0/8"))]
        XCTAssertThrowsError(try plan.blocks()) { XCTAssertTrue("\($0)".contains("65536 blocks"), "\($0)") }

        var v6 = ProbePlan()
        let hosts = ["2001:db8::1", "2001:db8:1::5", "2001:db8:1::6", "2001:db8:7::1"].map { IPAddress($0)! }
        v6.targets = [ProbePlan.Target(prefix: p("2001:db8::/47"), hosts: hosts)]
        let table = try BlockTable(plan: v6)
        XCTAssertEqual(table.blocks.map(\.prefix.description), ["2001:db8::/48", "2001:db8:1::/48"])
        var got: [[String]] = [[], []]
        for i in 0..<2 { table.forEachCandidate(i) { _, a in got[i].append("\(a)") } }
        XCTAssertEqual(got, [["2001:db8::1"], ["2001:db8:1::5", "2001:db8:1::6"]], "hosts outside the target are dropped")
    }

    func testAnIPv4HitlistReplacesTheSweep() throws {
        var plan = ProbePlan()
        plan.targets = [ProbePlan.Target(prefix: p("192.0.2.0/23"), hosts: ["192.0.2.1", "192.0.2.9", "192.0.3.5", "192.0.2.9"].map { IPAddress($0)! })]
        plan.never = [p("192.0.2.9/32")]
        let table = try BlockTable(plan: plan)
        var got: [[String]] = [[], []]
        for i in 0..<2 { table.forEachCandidate(i) { slot, a in got[i].append("\(a)"); XCTAssertEqual(table.address(i, slot: slot), a) } }
        XCTAssertEqual(got, [["192.0.2.1"], ["192.0.3.5"]], "listed hosts only, never-probe removed, duplicates once")
    }
}
