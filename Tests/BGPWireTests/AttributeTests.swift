import XCTest
@testable import BGPWire

final class AttributeTests: XCTestCase {
    let ctx4 = AttributeContext(options: .fourOctet)

    func testEveryAttributeRoundTrips() throws {
        for a in Samples.allAttributes4 {
            var w = ByteWriter()
            a.encode(&w, ctx4)
            let back = try withReader(w.bytes) { (r) throws(WireError) in try PathAttribute.decodeOne(&r, ctx4) }
            XCTAssertEqual(back, a)
        }
    }

    /// RFC 6793 §4.2.3: the AS4 path replaces the tail of the 2-octet path.
    func testAS4PathMerge() {
        let attrs = Samples.update2.attributes
        XCTAssertEqual(attrs.asPath(fourOctetSession: false), ASPath(sequence: [65001, 4_200_000_001, 4_200_000_002]))
        XCTAssertEqual(attrs.asPath(fourOctetSession: true), ASPath(sequence: [65001, 23456, 23456]))
        XCTAssertEqual(attrs.aggregator(fourOctetSession: false)?.asn, 4_200_000_009)
        // An AS4_PATH longer than AS_PATH is ignored.
        let p = ASPath(sequence: [1]).merged(withAS4: ASPath(sequence: [2, 3]))
        XCTAssertEqual(p, ASPath(sequence: [1]))
        XCTAssertEqual(ASPath(sequence: [1, 2, 3]).origin, 3)
        XCTAssertNil(ASPath([ASPathSegment(.sequence, [1]), ASPathSegment(.set, [2, 3])]).origin)
    }

    /// RFC 7606: bad content is kept as `.malformed` with its bytes, and re-encoded unchanged.
    func testMalformedAttributeIsKept() throws {
        let bytes: [UInt8] = [0x40, 0x01, 0x02, 0x00, 0x00]  // ORIGIN of two bytes
        let a = try withReader(bytes) { (r) throws(WireError) in try PathAttribute.decodeOne(&r, ctx4) }
        guard case let .malformed(raw, reason) = a else { return XCTFail("expected malformed, got \(a)") }
        XCTAssertEqual(raw.value, [0, 0])
        XCTAssertTrue(reason.contains("length 2"), reason)
        var w = ByteWriter()
        a.encode(&w, ctx4)
        XCTAssertEqual(w.bytes, bytes)
        // A bad AS_PATH segment type.
        let path: [UInt8] = [0x40, 0x02, 0x04, 0x07, 0x01, 0x00, 0x01]
        let b = try withReader(path) { (r) throws(WireError) in try PathAttribute.decodeOne(&r, AttributeContext(options: .twoOctet)) }
        guard case .malformed = b else { return XCTFail("expected malformed, got \(b)") }
    }

    func testAttributeLongerThanBlockThrows() {
        let bytes: [UInt8] = [0x40, 0x01, 0x05, 0x00]
        XCTAssertThrowsError(try withReader(bytes) { (r) throws(WireError) in try PathAttribute.decodeOne(&r, ctx4) })
    }

    func testExtendedLengthUsedWhenNeeded() {
        let many = PathAttribute.communities(Array(0..<100))
        var w = ByteWriter()
        many.encode(&w, ctx4)
        XCTAssertEqual(w.bytes[0] & AttributeFlags.extendedLength, AttributeFlags.extendedLength)
        XCTAssertEqual(w.count, 4 + 400)
    }

    func testLongASPathSplitsIntoSegments() throws {
        let path = ASPath(sequence: Array(1...300))
        var w = ByteWriter()
        path.encode(&w, asnWidth: 4)
        let back = try withReader(w.bytes) { (r) throws(WireError) in try ASPath.decode(&r, asnWidth: 4) }
        XCTAssertEqual(back.segments.map(\.asns.count), [255, 45])
        XCTAssertEqual(back.pathLength, 300)
    }
}
