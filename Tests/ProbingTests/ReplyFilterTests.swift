import BGPWire
import Foundation
import XCTest

@testable import Probing

/// Raw ICMP sockets see every ICMP packet of the host; the BPF filter keeps
/// another prober's replies out of ours (they would crowd our socket buffer).
final class ReplyFilterTests: XCTestCase {
    func testAnotherProbersRepliesNeverReachOurSocket() throws {
        guard getuid() == 0 else { return XCTFail("raw sockets and namespaces need root (run scripts/test.sh as root)") }
        let lab = try TwoHopLab()
        defer { lab.remove() }
        let ours = try Prober(identifier: 0x1111, rate: 5000, timeout: 1)
        let theirs = try Prober(identifier: 0x2222, rate: 5000, timeout: 1)
        XCTAssertTrue(ours.headerIncluded, "raw IPv4 probes carry their own IP header (IP_HDRINCL)")
        let targets = (0..<256).map { lab.address(0, $0) }
        let r = theirs.probe(targets)
        XCTAssertEqual(r.filter { $0.answered == 1 }.count, 256, "the other prober gets its replies")
        var queued: Int32 = -1
        XCTAssertEqual(ioctl(ours.fd4, UInt(FIONREAD), &queued), 0)
        XCTAssertEqual(queued, 0, "256 foreign echo replies, none queued on our socket")
        // And ours still get through the filter.
        let mine = ours.probe(Array(targets.prefix(16)))
        XCTAssertEqual(mine.filter { $0.answered == 1 }.count, 16)
        XCTAssertEqual(ours.lastStats.unmatched, 0)
    }
}
