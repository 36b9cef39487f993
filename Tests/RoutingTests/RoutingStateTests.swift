import XCTest
import BGPWire
@testable import Routing

final class RoutingStateTests: XCTestCase {
    let a = PeerKey(address: .v4(0x0A00_0001), asn: 65001)
    let b = PeerKey(address: .v4(0x0A00_0002), asn: 65002)
    let nk = Prefix("175.45.176.0/24")!
    let path1 = ASPath(sequence: [65001, 4837, 131279])
    let path2 = ASPath(sequence: [65001, 3356, 4837, 131279])

    func testAnnounceWithdrawImplicitWithdraw() {
        let s = RoutingState()
        let pa = s.peer(a)
        guard case let .announced(p, _) = s.announce(peer: pa, prefix: nk, asPath: path1) else { return XCTFail() }
        XCTAssertEqual(s.announce(peer: pa, prefix: nk, asPath: path1), .duplicate(prefix: p))
        guard case .pathChanged = s.announce(peer: pa, prefix: nk, asPath: path2) else { return XCTFail() }
        XCTAssertEqual(s.tables[pa].count, 1)
        XCTAssertEqual(s.origin[Int(p)], 131279)
        guard case .withdrawn = s.withdraw(peer: pa, prefix: nk) else { return XCTFail() }
        XCTAssertEqual(s.withdraw(peer: pa, prefix: nk), .unknownWithdrawal)
        XCTAssertEqual(s.withdraw(peer: pa, prefix: Prefix("192.0.2.0/24")!), .unknownWithdrawal)
        XCTAssertEqual(s.tables[pa].count, 0)
    }

    func testFullFeedVisibilityAndSessionDown() {
        let s = RoutingState(policy: FullFeedPolicy(relativeShare: 0.5))
        let pa = s.peer(a), pb = s.peer(b)
        let many = (0..<100).map { Prefix(address: .v4(0x0A00_0000 | UInt32($0) << 8), length: 24) }
        for p in many { _ = s.announce(peer: pa, prefix: p, asPath: path1) }
        for p in many.prefix(60) { _ = s.announce(peer: pb, prefix: p, asPath: path2) }
        s.updateFullFeed()
        XCTAssertEqual(s.fullFeedPeers4, 2)  // 60 ≥ 0.5 × 100
        let first = s.prefixes.existingID(many[0])!, last = s.prefixes.existingID(many[99])!
        XCTAssertEqual(s.fullFeedVisibility[Int(first)], 2)
        XCTAssertEqual(s.fullFeedVisibility[Int(last)], 1)
        // Incremental updates keep counts right.
        _ = s.withdraw(peer: pb, prefix: many[0])
        XCTAssertEqual(s.fullFeedVisibility[Int(first)], 1)
        // The session of a drops: all its routes go.
        var removed = 0
        s.sessionDown(peer: pa) { _, _ in removed += 1 }
        XCTAssertEqual(removed, 100)
        XCTAssertEqual(s.fullFeedVisibility[Int(first)], 0)
        XCTAssertEqual(s.fullFeedVisibility[Int(last)], 0)
        s.updateFullFeed()
        XCTAssertEqual(s.fullFeedPeers4, 1)
        XCTAssertEqual(s.fullFeedVisibility[Int(s.prefixes.existingID(many[1])!)], 1)
    }

    func testFrozenFullFeedSetAndPeakVisibility() {
        // Tables learnt from updates: a holds 100 prefixes, b 90, c 10 (it named few of them).
        let c = PeerKey(address: .v4(0x0A00_0003), asn: 65003)
        let s = RoutingState(policy: FullFeedPolicy(relativeShare: 0.8))
        let pa = s.peer(a), pb = s.peer(b), pc = s.peer(c)
        let many = (0..<400).map { Prefix(address: .v4(0x0A00_0000 | UInt32($0) << 8), length: 24) }
        for p in many.prefix(100) { _ = s.announce(peer: pa, prefix: p, asPath: path1) }
        for p in many.prefix(90) { _ = s.announce(peer: pb, prefix: p, asPath: path2) }
        for p in many.prefix(10) { _ = s.announce(peer: pc, prefix: p, asPath: path2) }
        s.freezeFullFeed()
        XCTAssertEqual(s.fullFeedPeers4, 2)
        let first = Int(s.prefixes.existingID(many[0])!)
        XCTAssertEqual(s.peakVisibility[first], 2)
        // c re-sends its whole table (400 prefixes): left to the sizes, a and b would stop being full-feed.
        for p in many { _ = s.announce(peer: pc, prefix: p, asPath: path2) }
        s.updateFullFeed()
        XCTAssertEqual(s.fullFeedPeers4, 2, "the set stays as decided")
        XCTAssertEqual(s.fullFeedVisibility[first], 2)
        // Feed health still takes a peer out and gives it back.
        s.exclude(peer: pb, true)
        XCTAssertEqual(s.fullFeedPeers4, 1)
        XCTAssertEqual(s.fullFeedVisibility[first], 1)
        XCTAssertEqual(s.peakVisibility[first], 2, "the peak is kept")
        s.exclude(peer: pb, false)
        s.updateFullFeed()
        XCTAssertEqual(s.fullFeedPeers4, 2)
        XCTAssertEqual(s.fullFeedVisibility[first], 2)
    }

    /// 70,000 path identifiers for one (peer, prefix) are legal on the wire; they used
    /// to overflow a 16-bit counter. Paths beyond the bound are refused and counted.
    func testAddPathBoundRefusesAndCounts() {
        let s = RoutingState()
        let pa = s.peer(a), pb = s.peer(b)
        let bound = PeerTable.maxPathsPerPrefix
        var refused = 0
        for pid in 0..<UInt32(70_000) {
            if case .refused = s.announce(peer: pa, prefix: nk, pathIdentifier: pid, asPath: pid & 1 == 0 ? path1 : path2) { refused += 1 }
        }
        XCTAssertEqual(refused, 70_000 - bound)
        XCTAssertEqual(s.refusedPaths, 70_000 - bound)
        // A known identifier still updates; another peer and another prefix have their own bound.
        guard case .pathChanged = s.announce(peer: pa, prefix: nk, pathIdentifier: 0, asPath: path2) else { return XCTFail() }
        guard case .announced = s.announce(peer: pb, prefix: nk, pathIdentifier: 70_000, asPath: path1) else { return XCTFail() }
        guard case .announced = s.announce(peer: pa, prefix: Prefix("192.0.2.0/24")!, pathIdentifier: 70_000, asPath: path1) else {
            return XCTFail()
        }
        // Withdrawing a stored path makes room for one more.
        guard case .withdrawn = s.withdraw(peer: pa, prefix: nk, pathIdentifier: 1) else { return XCTFail() }
        XCTAssertEqual(s.withdraw(peer: pa, prefix: nk, pathIdentifier: 69_999), .unknownWithdrawal)
        guard case .announced = s.announce(peer: pa, prefix: nk, pathIdentifier: 69_999, asPath: path1) else { return XCTFail() }
        XCTAssertEqual(s.refusedPaths, 70_000 - bound)
        XCTAssertEqual(s.tables[pa].count, 2)
    }

    /// Visibility counts peers, which come from input: 65,536 full-feed peers used to wrap to 0.
    func testVisibilityOfManyPeers() {
        let s = RoutingState(policy: FullFeedPolicy(minIPv4: 1, minIPv6: 1))
        for i in 0..<UInt32(65_536) {
            _ = s.announce(peer: s.peer(PeerKey(address: .v4(i), asn: 65001)), prefix: nk, asPath: path1)
        }
        s.updateFullFeed()
        XCTAssertEqual(s.fullFeedPeers4, 65_536)
        XCTAssertEqual(Int(s.fullFeedVisibility[Int(s.prefixes.existingID(nk)!)]), 65_536)
    }

    func testAddPathKeepsPrefixWhileAPathRemains() {
        let s = RoutingState(policy: FullFeedPolicy(relativeShare: 0.5))
        let pa = s.peer(a)
        _ = s.announce(peer: pa, prefix: nk, pathIdentifier: 1, asPath: path1)
        guard case .announced = s.announce(peer: pa, prefix: nk, pathIdentifier: 2, asPath: path2) else { return XCTFail() }
        s.updateFullFeed()
        let id = Int(s.prefixes.existingID(nk)!)
        XCTAssertEqual(s.fullFeedVisibility[id], 1)
        guard case .withdrawn = s.withdraw(peer: pa, prefix: nk, pathIdentifier: 1) else { return XCTFail() }
        XCTAssertEqual(s.tables[pa].count, 1)
        XCTAssertEqual(s.fullFeedVisibility[id], 1)
        _ = s.withdraw(peer: pa, prefix: nk, pathIdentifier: 2)
        XCTAssertEqual(s.tables[pa].count, 0)
        XCTAssertEqual(s.fullFeedVisibility[id], 0)
    }

    func testDenseTablesStayCompact() {
        let s = RoutingState()
        let pa = s.peer(a), pb = s.peer(b)
        for i in 0..<50_000 {
            let p = Prefix(address: .v4(UInt32(i) << 8), length: 24)
            _ = s.announce(peer: pa, prefix: p, asPath: path1)
            _ = s.announce(peer: pb, prefix: p, asPath: path2)
        }
        let m = s.memoryReport()
        XCTAssertEqual(m.routes, 100_000)
        XCTAssertLessThanOrEqual(Double(m.tableBytes) / Double(m.routes), 6, "bytes per route in peer tables")
    }
}
