import BGPWire
import Entities
import Foundation
import Routing
import XCTest
@testable import Replay
@testable import Signals
import Probing
import Store

/// The live pipeline's own start and stop are gaps in observation: no rows of zeros
/// before any route arrived, and events open at the stop end as "observation stopped".
final class LivePipelineTests: XCTestCase {
    let peer = IPAddress("10.0.0.1")!
    let prefixes = ["198.51.100.0/24", "198.51.101.0/24", "198.51.102.0/24"].map { Prefix($0)! }

    func pipeline(_ store: BlockingStore) -> LivePipeline {
        var o = LivePipeline.Options()
        o.binSeconds = 1
        o.tick = 0.05
        o.watch = [Entity("AS65020")!]
        o.fullFeed = FullFeedPolicy(minIPv4: 1, minIPv6: 1)
        o.live.warmup = 1
        o.live.minimumOutage = 0
        return LivePipeline(options: o, store: store.base)
    }

    func now() -> UInt32 { UInt32(Date().timeIntervalSince1970) }

    func up() -> [BGPElement] {
        [BGPElement(kind: .state, timestamp: now(), peerAddress: peer, peerAS: 65010, oldState: 5, newState: 6)]
            + prefixes.map { BGPElement(kind: .announcement, timestamp: now(), peerAddress: peer, peerAS: 65010, prefix: $0,
                                        asPath: ASPath(sequence: [65010, 65020])) }
    }

    func down() -> [BGPElement] {
        [BGPElement(kind: .state, timestamp: now(), peerAddress: peer, peerAS: 65010, oldState: 6, newState: 1)]
    }

    func testStartAndStopAreGapsNotOutages() throws {
        let store = BlockingStore(MemoryStore())
        let p = pipeline(store)
        p.start()
        // Bins close on the wall clock before any session is up: nothing measured, nothing stored.
        Thread.sleep(forTimeInterval: 2.2)
        XCTAssertEqual(try store.series(entity: "AS65020", from: nil, until: nil), [])
        p.submit(up())
        Thread.sleep(forTimeInterval: 2.5)
        p.stop()
        // The sessions close after the pipeline stopped: not seen, not an outage.
        p.submit(down())
        Thread.sleep(forTimeInterval: 0.2)
        let rows = try store.series(entity: "AS65020", from: nil, until: nil)
        XCTAssertGreaterThanOrEqual(rows.count, 2)
        XCTAssertTrue(rows.allSatisfy { $0.routedV4 == 3 }, "\(rows.map(\.routedV4))")
        XCTAssertEqual(try store.events(entity: nil, from: nil, until: nil), [])
    }

    func testAnOutageOpenAtTheStopEndsAsObservationStopped() throws {
        let store = BlockingStore(MemoryStore())
        let p = pipeline(store)
        p.start()
        p.submit(up())
        Thread.sleep(forTimeInterval: 1.5)
        p.submit(down())
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(try store.events(entity: "AS65020", from: nil, until: nil).map(\.end), [nil], "the outage opened")
        p.stop()
        let stopped = Int64(Date().timeIntervalSince1970)
        let events = try store.events(entity: "AS65020", from: nil, until: nil)
        XCTAssertEqual(events.count, 1)
        XCTAssertTrue(events[0].observationStopped)
        XCTAssertEqual(Double(try XCTUnwrap(events[0].end)), Double(stopped), accuracy: 1)
        XCTAssertTrue(p.snapshot().openEvents.isEmpty)
    }

    /// `vigil probe` alone: no source feeds routes, so an empty routing table is no evidence of a
    /// withdrawal; down blocks are unreachable with routing not observed. Beside a BGP source the
    /// same empty table does say the blocks are not routed.
    func testWithoutARoutingSourceDownBlocksAreNotCalledWithdrawn() throws {
        let blocks = ["10.1.0.0/24", "10.1.1.0/24"].map { Prefix($0)! }
        for routing in [false, true] {
            let store = BlockingStore(MemoryStore())
            var o = LivePipeline.Options()
            o.tick = 0.05
            o.routing = routing
            let p = LivePipeline(options: o, store: store.base)
            p.start()
            let t0 = Int64(Date().timeIntervalSince1970)
            for i in 0..<4 {
                p.submitProbes(rows: [ProbeRow(entity: "AS64500", time: t0 + Int64(i), blocks: 2, judged: 2, up: 2, sent: 2, answered: 2,
                                               rttMedian: 0.001, rttP95: 0.002)],
                               verdicts: blocks.map { BlockVerdict(block: $0, entity: "AS64500", state: .up, belief: 0.99) }, blocks: [])
            }
            p.submitProbes(rows: [ProbeRow(entity: "AS64500", time: t0 + 4, blocks: 2, judged: 2, down: 2, sent: 28)],
                           verdicts: blocks.map { BlockVerdict(block: $0, entity: "AS64500", state: .down, belief: 0.01) }, blocks: [])
            Thread.sleep(forTimeInterval: 0.5)
            p.stop()
            let e = try XCTUnwrap(store.events(entity: "AS64500", from: nil, until: nil).first, "routing \(routing)")
            XCTAssertEqual(e.kind, .outage)
            XCTAssertEqual(e.cause, routing ? .bgpWithdrawal : .unknown, e.evidence.note)
            if !routing { XCTAssertTrue(e.evidence.note.contains("routing not observed"), e.evidence.note) }
        }
    }
}
