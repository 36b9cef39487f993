import BGPWire
import Foundation
import Signals
import XCTest

@testable import Probing

final class BlockProbingTests: XCTestCase {
    override func setUpWithError() throws {
        guard getuid() == 0 else {
            XCTFail("raw sockets and namespaces need root (run scripts/test.sh as root)")
            throw NSError(domain: "BlockProbingTests", code: 1)
        }
    }

    func makeProber(_ lab: TwoHopLab) throws -> BlockProber {
        var plan = ProbePlan()
        plan.targets = [ProbePlan.Target(prefix: Prefix(lab.target)!, entity: "AS64500", why: "test: the lab's /22")]
        plan.rate = 5000
        plan.timeout = 0.5
        return BlockProber(table: try BlockTable(plan: plan), prober: try Prober(rate: plan.rate, timeout: plan.timeout))
    }

    func testCensusRoundsOutageBeyondTheFirstHopAndRecovery() throws {
        let lab = try TwoHopLab()
        defer { lab.remove() }
        let bp = try makeProber(lab)
        let census = bp.census(now: Int64(Date().timeIntervalSince1970))
        XCTAssertEqual(census.probed, 1024)
        XCTAssertEqual(census.answered, 256 + 16 + 256)
        XCTAssertEqual(census.responsiveBlocks, 3)
        XCTAssertEqual(census.judged, 3, "the dark /24 is not judged")
        XCTAssertEqual(bp.table.blocks.map(\.responsive.count), [256, 16, 0, 256])
        XCTAssertFalse(bp.censusDue(now: Int64(Date().timeIntervalSince1970)))
        let records = bp.blockRecords()
        XCTAssertEqual(records.map(\.why), Array(repeating: "test: the lab's /22", count: 4))
        XCTAssertEqual(records.map(\.state), [.up, .up, .unjudged, .up])

        // A quiet healthy round: one probe per judged block, all answered.
        let r1 = bp.round(at: 1)
        let row1 = try XCTUnwrap(r1.rows.first)
        XCTAssertEqual([row1.blocks, row1.judged, row1.up, row1.down, row1.uncertain], [4, 3, 3, 0, 0])
        XCTAssertEqual([row1.sent, row1.answered], [3, 3])
        XCTAssertEqual(r1.waves, 1)
        XCTAssertTrue(row1.rttMedian > 0 && row1.rttMedian < 0.1 && row1.rttP95 >= row1.rttMedian, "\(row1)")
        XCTAssertTrue(r1.verdicts.isEmpty, "nothing changed")

        // The link behind the router goes down: every judged block is down within the round.
        try lab.breakLink()
        let r2 = bp.round(at: 2)
        let row2 = try XCTUnwrap(r2.rows.first)
        XCTAssertEqual([row2.up, row2.down, row2.uncertain], [0, 3, 0], "\(row2)")
        XCTAssertEqual(row2.answered, 0)
        XCTAssertEqual(row2.sent, 9, "three probes each: one miss of a dense block is not enough, three are")
        XCTAssertEqual(r2.sendErrors, 0, "the outage is beyond our link: our probes still leave")
        XCTAssertEqual(Set(r2.verdicts.filter { $0.state == .down }.map(\.block.description)), [lab.block(0), lab.block(1), lab.block(3)])

        // Repaired: two replies each bring the blocks back up.
        try lab.repairLink()
        let r3 = bp.round(at: 3)
        let row3 = try XCTUnwrap(r3.rows.first)
        XCTAssertEqual([row3.up, row3.down], [3, 0], "\(row3)")
        XCTAssertEqual(row3.sent, 6)
        XCTAssertEqual(Set(r3.verdicts.map(\.state)), [.up], "the recovered blocks are reported as changed")
        XCTAssertEqual(bp.blockRecords(r3.blockIndices).count, 3)
    }

    func testLossRaisesTheLossSignalAndTheProbeCount() throws {
        let lab = try TwoHopLab()
        defer { lab.remove() }
        let bp = try makeProber(lab)
        _ = bp.census(now: Int64(Date().timeIntervalSince1970))
        try ensureNft()
        try lab.inTarget(["nft", "add", "table", "inet", "t"])
        try lab.inTarget(["nft", "add", "chain", "inet", "t", "c", "{ type filter hook input priority 0; }"])
        try lab.inTarget(["nft", "add", "rule", "inet", "t", "c", "icmp", "type", "echo-request", "numgen", "random", "mod", "100", "<", "50", "drop"])
        var sent = 0, answered = 0
        for k in 0..<10 {
            let row = try XCTUnwrap(bp.round(at: Int64(k)).rows.first)
            sent += row.sent
            answered += row.answered
        }
        let loss = Double(sent - answered) / Double(sent)
        print("probing with 50% drop: \(answered)/\(sent) answered over 10 rounds of 3 judged blocks")
        XCTAssertGreaterThan(sent, 30, "misses make the prober probe more than once per block")
        XCTAssertTrue(loss > 0.2 && loss < 0.8, "loss \(loss)")
    }

    func testASparseBlockIsUncertainNotForcedDown() throws {
        let lab = try TwoHopLab()
        defer { lab.remove() }
        let bp = try makeProber(lab)
        _ = bp.census(now: Int64(Date().timeIntervalSince1970))
        // The /28 block answers only 2 times in 10: a miss is weak evidence.
        bp.table.blocks[1].availability = 0.2
        try lab.breakLink()
        let r = bp.round(at: 1)
        let row = try XCTUnwrap(r.rows.first)
        XCTAssertEqual([row.up, row.down, row.uncertain], [0, 2, 1], "\(row)")
        XCTAssertEqual(r.verdicts.first { $0.block.description == lab.block(1) }?.state, .uncertain)
        XCTAssertEqual(r.waves, 14, "the sparse block used the whole per-block budget")
        XCTAssertEqual(row.sent, 3 + 3 + 14)
        XCTAssertTrue(r.seconds < 14 * 0.5 + 3, "\(r.seconds) s: waves wait the timeout, no longer")
    }
}
