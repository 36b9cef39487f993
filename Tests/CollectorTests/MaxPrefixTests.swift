import XCTest
import BGPWire
@testable import Collector

/// A peer's route limit: a warning near it, Cease / Maximum Number of Prefixes Reached past
/// it (RFC 4486), and the other sessions carry on. Withdrawals, repeats and treat-as-withdraw
/// count as they change what the peer holds.
final class MaxPrefixTests: XCTestCase {
    func testPastTheLimitTheSessionCloses() throws {
        let lab = try MalformedPeerTests.Lab(maxPrefixes: 4)
        defer { lab.stop() }
        let a = try lab.connect("127.0.0.2", asn: 65001)
        let b = try lab.connect("127.0.0.3", asn: 65002)
        defer { a.close(); b.close() }
        try a.send(Raw.update(nlri: Raw.prefix4(10, 1, 1) + Raw.prefix4(10, 1, 2)))
        try a.send(Raw.update(withdrawn: Raw.prefix4(10, 1, 1), nlri: Raw.prefix4(10, 1, 3)))
        // Malformed ORIGIN: treat-as-withdraw of 10.1.2.0/24 (RFC 7606).
        try a.send(Raw.update(attributes: Raw.origin(7) + Raw.asPath([65001]) + Raw.nextHop("127.0.0.1"), nlri: Raw.prefix4(10, 1, 2)))
        try a.send(Raw.update(nlri: Raw.prefix4(10, 1, 4) + Raw.prefix4(10, 1, 5) + Raw.prefix4(10, 1, 6)))  // 4: at the limit
        lab.waitAccepted("127.0.0.2", "10.1.6.0/24")
        lab.assertLogged("127.0.0.2", "90% of the limit of 4")
        try b.send(Raw.update(nlri: Raw.prefix4(10, 2, 1)))
        lab.waitAccepted("127.0.0.3", "10.2.1.0/24")
        try a.send(Raw.update(nlri: Raw.prefix4(10, 1, 7)))  // 5
        let n = a.expectNotification()
        XCTAssertEqual(n.map { [$0.code, $0.subcode] }, [6, 1])
        XCTAssertEqual(n?.data, [0, 1, 1, 0, 0, 0, 4])
        XCTAssertTrue(a.expectClosed())
        XCTAssertFalse(lab.rec.with { $0.accepted["127.0.0.2"] ?? [] }.contains("10.1.7.0/24"), "the update past the limit is not applied")
        lab.wait("the session down logged") { lab.rec.with { $0.logs }.contains { $0.contains("127.0.0.2") && $0.contains("maximum number of prefixes reached (4)") } }
        // The other session is untouched.
        try b.send(Raw.update(nlri: Raw.prefix4(10, 2, 2)))
        lab.waitAccepted("127.0.0.3", "10.2.2.0/24")
        XCTAssertEqual(lab.rec.with { $0.downs["127.0.0.3"] }, nil)
    }
}
