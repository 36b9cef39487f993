import BGPWire
import Entities
import Signals
import XCTest

/// A new watch list while running (SIGHUP in `vigil serve`): entities join and leave from
/// the next element on, measured from the state they already have.
final class WatchReloadTests: XCTestCase {
    func announce(_ prefix: String, origin: UInt32, at t: UInt32) -> BGPElement {
        BGPElement(kind: .announcement, timestamp: t, peerAddress: .v4(1), peerAS: 65001, prefix: Prefix(prefix)!,
                   asPath: ASPath(sequence: [65001, origin]))
    }

    func testEntitiesJoinAndLeaveWithTheWatchList() {
        let engine = SignalEngine(binSeconds: 300, watch: [Entity("AS64500")!])
        _ = engine.apply(announce("192.0.2.0/24", origin: 64500, at: 10))
        _ = engine.apply(announce("198.51.100.0/24", origin: 64501, at: 20))
        XCTAssertEqual(Set(engine.advance(to: 300).map(\.entity)), ["AS64500"], "only the watched entity before the reload")

        engine.setWatch([Entity("AS64501")!, Entity("198.51.100.0/23")!])
        _ = engine.apply(announce("203.0.113.0/24", origin: 64500, at: 310))
        let rows = engine.advance(to: 600)
        XCTAssertEqual(Set(rows.map(\.entity)), ["AS64501", "198.51.100.0/23"], "AS64500 left; the new ones are measured from the state held")
        XCTAssertEqual(rows.first { $0.entity == "AS64501" }?.routedV4, 1)
        XCTAssertEqual(rows.first { $0.entity == "198.51.100.0/23" }?.routedV4, 1)

        engine.setWatch([])
        XCTAssertEqual(Set(engine.advance(to: 900).map(\.entity)), ["AS64500", "AS64501"],
                       "an empty list watches every origin AS; a prefix is an entity only while watched")
    }
}
