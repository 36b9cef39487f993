import XCTest
import BGPWire
@testable import Routing

/// Live feeds release what no route holds: a peer that announces and withdraws junk leaves
/// nothing behind, while a prefix that was really routed is remembered after it goes dark.
final class ForgettingTests: XCTestCase {
    let good = PeerKey(address: .v4(0x0A00_0001), asn: 65001)
    let junk = PeerKey(address: .v4(0x0A00_0002), asn: 65002)

    static func prefix(_ i: Int) -> Prefix { Prefix(address: .v4(0x6400_0000 | UInt32(i) << 8), length: 24) }

    func testJunkIsForgottenRoutedPrefixesAreRemembered() {
        let s = RoutingState()
        s.forgetting = true
        let g = s.peer(good), j = s.peer(junk)
        // The good peer's table: 5,000 routes held for a day.
        s.now = 1_000_000
        let routed = (0..<5000).map { Prefix(address: .v4(0x0B00_0000 | UInt32($0) << 8), length: 24) }
        for p in routed { _ = s.announce(peer: g, prefix: p, asPath: ASPath(sequence: [65001, 64500])) }
        let goodBytes = s.tables[g].storageBytes

        // Junk: 10 rounds of 50,000 distinct prefixes with distinct paths, announced and withdrawn within minutes.
        var peakIDs = 0
        for round in 0..<10 {
            s.now = 1_086_400 + UInt32(round * 60)
            for i in 0..<50_000 {
                _ = s.announce(peer: j, prefix: Self.prefix(round * 50_000 + i), asPath: ASPath(sequence: [65002, UInt32(100_000 + round * 50_000 + i)]))
            }
            // Meanwhile the good peer learns a few new prefixes: their ids fall among the junk's.
            for k in 0..<3 { _ = s.announce(peer: g, prefix: Prefix(address: .v4(0x0C00_0000 | UInt32(round * 3 + k) << 8), length: 24), asPath: ASPath(sequence: [65001, 64501])) }
            for i in 0..<50_000 { _ = s.withdraw(peer: j, prefix: Self.prefix(round * 50_000 + i)) }
            peakIDs = max(peakIDs, s.prefixes.count)
            let (released, _) = s.forget(all: false)
            XCTAssertEqual(released.count, 50_000, "the junk of round \(round) released")
        }
        XCTAssertEqual(s.prefixes.live, 5000 + 30, "only the good peer's prefixes are known")
        XCTAssertLessThanOrEqual(s.prefixes.count, 50_000 + 5000 + 30 + 1, "ids are handed out again: 10 rounds cost one round's ids")
        XCTAssertEqual(peakIDs, s.prefixes.count)
        // Paths no route holds were compacted away: the good peer's two, and the empty path.
        XCTAssertEqual(s.paths.count, 3)
        // Every route of the good peer still has its path (renumbered with the table).
        for p in routed.prefix(100) {
            XCTAssertEqual(s.paths[s.tables[g].path(s.prefixes.existingID(p)!)!], ASPath(sequence: [65001, 64500]))
        }
        // The good peer's table grew by a page per new prefix at most, not to the junk's ids.
        XCTAssertLessThanOrEqual(s.tables[g].storageBytes - goodBytes, 30 * 4096 + 65536)

        // A routed prefix that goes dark is remembered (the entity is judged an outage, not unknown)...
        s.now = 1_200_000
        _ = s.withdraw(peer: g, prefix: routed[0])
        XCTAssertTrue(s.forget(all: true).released.isEmpty)
        XCTAssertNotNil(s.prefixes.existingID(routed[0]))
        // ...until it has been dark for `rememberSeconds`; a transient one goes at once.
        s.now = 1_200_000 + s.rememberSeconds - 1
        XCTAssertTrue(s.forget(all: true).released.isEmpty)
        s.now = 1_200_000 + s.rememberSeconds
        XCTAssertEqual(s.forget(all: true).released.count, 1)
        XCTAssertNil(s.prefixes.existingID(routed[0]))
        // Re-held before it is forgotten: kept, and not listed again.
        _ = s.withdraw(peer: g, prefix: routed[1])
        _ = s.announce(peer: g, prefix: routed[1], asPath: ASPath(sequence: [65001, 64500]))
        s.now += s.rememberSeconds
        XCTAssertTrue(s.forget(all: true).released.isEmpty)
        XCTAssertEqual(s.holders[Int(s.prefixes.existingID(routed[1])!)], 1)
    }

    /// Vigil (re)started: the first tables' prefixes are of unknown age. One withdrawn seconds later
    /// is remembered (its entity is judged, an outage), while a prefix that appears later and goes
    /// as quickly is junk.
    func testTheFirstTablesAreNeverTransient() {
        let s = RoutingState()
        s.forgetting = true
        let g = s.peer(good)
        s.now = 1_000_000
        _ = s.announce(peer: g, prefix: Self.prefix(1), asPath: ASPath(sequence: [65001, 64500]))
        s.now += s.startupGrace - 1
        _ = s.announce(peer: g, prefix: Self.prefix(2), asPath: ASPath(sequence: [65001, 64500]))
        s.now += 5
        _ = s.withdraw(peer: g, prefix: Self.prefix(1))
        _ = s.withdraw(peer: g, prefix: Self.prefix(2))
        XCTAssertTrue(s.forget(all: false).released.isEmpty, "the first tables' prefixes are remembered")
        XCTAssertNotNil(s.prefixes.existingID(Self.prefix(1)))
        s.now += 10
        _ = s.announce(peer: g, prefix: Self.prefix(3), asPath: ASPath(sequence: [65001, 64500]))
        s.now += 60
        _ = s.withdraw(peer: g, prefix: Self.prefix(3))
        XCTAssertEqual(s.forget(all: false).released.count, 1, "seen to appear and go within the hour: transient")
        XCTAssertNil(s.prefixes.existingID(Self.prefix(3)))
    }

    func testSessionDownAndAddPathRelease() {
        let s = RoutingState()
        s.forgetting = true
        let j = s.peer(junk), g = s.peer(good)
        // The first tables (never transient), then a peer that comes later with junk.
        s.now = 100
        _ = s.announce(peer: g, prefix: Prefix(address: .v4(0x0B00_0000), length: 24), asPath: ASPath(sequence: [65001, 64500]))
        s.now += s.startupGrace
        for i in 0..<70_000 {
            _ = s.announce(peer: j, prefix: Self.prefix(i), pathIdentifier: UInt32(i % 3), asPath: ASPath(sequence: [65002, UInt32(200_000 + i)]))
        }
        s.sessionDown(peer: j)
        let (released, renumbered) = s.forget(all: false)
        XCTAssertEqual(released.count, 70_000)
        XCTAssertTrue(renumbered)
        XCTAssertEqual(s.paths.count, 2, "the empty path and the good peer's")
        XCTAssertEqual(s.paths.unused, 0)
        XCTAssertEqual(s.prefixes.live, 1)
    }

    func testReplayKeepsEverything() {
        let s = RoutingState()
        let j = s.peer(junk)
        for i in 0..<1000 { _ = s.announce(peer: j, prefix: Self.prefix(i), asPath: ASPath(sequence: [65002, UInt32(i)])) }
        for i in 0..<1000 { _ = s.withdraw(peer: j, prefix: Self.prefix(i)) }
        XCTAssertTrue(s.forget(all: true).released.isEmpty)
        XCTAssertEqual(s.prefixes.live, 1000)
    }
}
