import Foundation
import XCTest
import BGPWire
import Entities
import MRT
import Replay
import Routing
import Signals

/// Counts, sizes and codes from input that used to overflow or trap
/// (issue 11, item 3): each is now an error or a bounded value.
final class InputBoundsTests: XCTestCase {
    /// A delegated IPv4 range whose count overflows 64 bits, and country codes
    /// that are not two ASCII letters, are reported lines, not traps.
    func testDelegatedCountsAndCodes() {
        var map = EntityMap()
        let errors = map.addDelegated("""
            ripencc|NL|ipv4|10.0.0.0|18446744073709551615|20000101|allocated
            ripencc|é1|ipv4|10.0.0.0|256|20000101|allocated
            ripencc|nl|ipv4|10.0.1.0|256|20000101|allocated
            """, file: "d")
        XCTAssertEqual(errors.map(\.description), ["d:1: bad IPv4 range '10.0.0.0|18446744073709551615'",
                                                  "d:2: country code 'é1' is not two letters"])
        XCTAssertEqual(map.v4Blocks.map(\.country), ["NL"])
    }

    /// An MMDB whose metadata claims more nodes than the file can hold: an error,
    /// not an overflow when the tree size is computed.
    func testMMDBNodeCountBeyondTheFile() throws {
        func key(_ s: String) -> [UInt8] { [0x40 | UInt8(s.utf8.count)] + Array(s.utf8) }
        var meta: [UInt8] = [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8) + [0xE3]  // map of 3
        meta += key("node_count") + [0x08, 0x02] + [UInt8](repeating: 0xFF, count: 8)  // uint64 2^64-1
        meta += key("record_size") + [0xA1, 24]  // uint16 24
        meta += key("ip_version") + [0xA1, 6]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID().uuidString).mmdb").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data([UInt8](repeating: 0, count: 64) + meta)))
        defer { unlink(path) }
        XCTAssertThrowsError(try MMDB(path: path)) { e in
            XCTAssertTrue("\(e)".contains("node_count 18446744073709551615 or ip_version 6 does not fit the file"), "\(e)")
        }
    }

    /// A bin as long as a 64-bit count allows: bins close (live, by the clock) and
    /// are judged without overflowing.
    func testHugeBin() {
        let bin = Int64.max / 4
        let engine = SignalEngine(binSeconds: bin)
        let detector = Detector(binSeconds: bin)
        let e = BGPElement(kind: .announcement, timestamp: 1, peerAddress: .v4(1), peerAS: 65001,
                           prefix: Prefix("192.0.2.0/24")!, asPath: ASPath(sequence: [65001, 64500]))
        _ = engine.apply(e)
        let rows = engine.advance(to: 3 * bin)
        XCTAssertEqual(rows.filter { $0.entity == "AS64500" }.map(\.bin), [0, bin, 2 * bin])
        for r in rows { _ = detector.observe(r) }
    }

    /// A RIB snapshot of more peers than a PEER_INDEX_TABLE can number: an error, not a trap.
    func testSnapshotOfTooManyPeers() throws {
        let state = RoutingState()
        state.attributeStore = AttributeStore()
        for i in 0..<65_536 { _ = state.peer(PeerKey(address: .v4(UInt32(i)), asn: 65001)) }
        _ = state.announce(peer: 65_535, prefix: Prefix("192.0.2.0/24")!, asPath: ASPath(sequence: [65001]),
                           attributes: [.origin(.igp), .asPath(ASPath(sequence: [65001])), .nextHop(1)])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("snap-\(UUID().uuidString).mrt").path
        defer { unlink(path) }
        let w = try MRTWriter(path: path)
        XCTAssertThrowsError(try RIBSnapshot.write(state, collectorID: 1, view: "v", at: 1, into: w)) { e in
            XCTAssertEqual("\(e)", "65536 peers: a TABLE_DUMP_V2 RIB holds at most 65535")
        }
        try w.close()
    }
}
