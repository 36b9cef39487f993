import XCTest
import BGPWire
@testable import Routing
@testable import Signals

/// Records from several collectors interleave (merged in time order): the engine must take
/// each element's own path, even where two batches hold different paths at the same place.
final class RouteBatchEngineTests: XCTestCase {
    func testInterleavedBatchesKeepTheirOwnPaths() {
        let engine = SignalEngine(binSeconds: 300)
        func batch(_ path: [UInt32], _ prefix: String) -> RouteBatch {
            var b = RouteBatch()
            b.reset(timestamp: 1_419_264_000, microseconds: 0)
            let (s, n) = b.appendPath(ASPath(sequence: path))
            b.elements.append(RouteElement(kind: .announcement, peerAddress: IPAddress("10.0.0.1")!, peerAS: 65001,
                                           prefix: Prefix(prefix)!, pathStart: s, pathLength: n))
            return b
        }
        let a = batch([65001, 64501], "192.0.2.0/24"), b = batch([65001, 64502], "198.51.100.0/24")
        for x in [a, b, a] {
            let peer = engine.peerIndex(x.elements[0].peerAddress, x.elements[0].peerAS)
            _ = engine.apply(x.elements[0], peer: peer, in: x)
        }
        let st = engine.state
        XCTAssertEqual(st.origin[Int(st.prefixes.existingID(Prefix("192.0.2.0/24")!)!)], 64501)
        XCTAssertEqual(st.origin[Int(st.prefixes.existingID(Prefix("198.51.100.0/24")!)!)], 64502)
        XCTAssertEqual(st.paths.count, 3, "the empty path and the two")
    }
}
