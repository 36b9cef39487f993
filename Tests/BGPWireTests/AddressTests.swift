import XCTest
@testable import BGPWire

final class AddressTests: XCTestCase {
    /// bgpdump's own `fmt_ipv6` test cases, plus its single-zero compression.
    func testIPv6TextMatchesBgpdump() {
        for s in ["fe80::", "2001:db8::1", "::ffff:192.168.2.1", "::192.168.1.2", "2001:7f8:30::2:1:0:8447", "::", "::1"] {
            XCTAssertEqual(IPAddress(s)?.description, s)
        }
        XCTAssertEqual(IPAddress("2001:db8:0:1:1:1:1:1")?.description, "2001:db8::1:1:1:1:1")
        XCTAssertEqual(IPAddress("1:0:0:2:0:0:0:3")?.description, "1:0:0:2::3")
        XCTAssertEqual(IPAddress("1:0:0:2:0:0:3:4")?.description, "1::2:0:0:3:4")
    }

    func testParsing() {
        XCTAssertEqual(IPAddress("192.0.2.1"), .v4(0xC000_0201))
        XCTAssertNil(IPAddress("192.0.2"))
        XCTAssertNil(IPAddress("256.0.0.1"))
        XCTAssertNil(IPAddress("1::2::3"))
        XCTAssertEqual(Prefix("10.1.2.3/8"), Prefix(address: .v4(0x0A00_0000), length: 8))
        XCTAssertNil(Prefix("10.0.0.0/33"))
        XCTAssertTrue(Prefix("10.0.0.0/8")!.contains(Prefix("10.1.0.0/16")!))
        XCTAssertFalse(Prefix("10.1.0.0/16")!.contains(Prefix("10.0.0.0/8")!))
        XCTAssertTrue(Prefix("2001:db8::/32")!.contains(Prefix("2001:db8:ff::/48")!))
    }

    func testNLRIRoundTripAllLengths() throws {
        for len in 0...32 {
            let p = Prefix(address: .v4(0xFFFF_FFFF), length: UInt8(len)).masked
            var w = ByteWriter()
            p.writeNLRI(&w)
            XCTAssertEqual(w.count, 1 + (len + 7) / 8)
            XCTAssertEqual(try withReader(w.bytes) { (r) throws(WireError) in try Prefix.readNLRI(&r, v6: false) }, p)
        }
        for len in 0...128 {
            let p = Prefix(address: .v6(~0, ~0), length: UInt8(len)).masked
            var w = ByteWriter()
            p.writeNLRI(&w)
            XCTAssertEqual(try withReader(w.bytes) { (r) throws(WireError) in try Prefix.readNLRI(&r, v6: true) }, p)
        }
        XCTAssertThrowsError(try withReader([33, 1, 2, 3, 4, 5]) { (r) throws(WireError) in try Prefix.readNLRI(&r, v6: false) })
    }
}
