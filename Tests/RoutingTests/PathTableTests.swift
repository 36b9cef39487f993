import XCTest
import BGPWire
@testable import Routing

/// Paths interned from decoded values and from record bytes share one id space.
final class PathTableTests: XCTestCase {
    func id(_ t: inout PathTable, _ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { t.id(canonical: $0) } }

    func testBytesAndValuesAgree() {
        var t = PathTable()
        XCTAssertEqual(t.id(ASPath([])), 0)
        XCTAssertEqual(id(&t, []), 0)
        let p = ASPath([ASPathSegment(.sequence, [3356, 4837, 131279]), ASPathSegment(.set, [1, 2])])
        let a = t.id(p)
        var bytes: [UInt8] = []
        p.appendCanonical(to: &bytes)
        XCTAssertEqual(id(&t, bytes), a)
        XCTAssertEqual(t[a], p)
        XCTAssertEqual(t.origins[Int(a)], 0, "a path ending in a set has no origin")
        let q = ASPath(sequence: [3356, 4837, 131279])
        let b = t.id(q)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(t.origins[Int(b)], 131279)
        // A 2-octet session's bytes, widened, are the same path.
        var batch = RouteBatch()
        let two: [UInt8] = [2, 3, 0x0d, 0x1c, 0x12, 0xe5, 0x00, 0x07]
        let (s, n) = two.withUnsafeBytes { batch.appendPath(twoOctet: $0) }
        let c = batch.pathBytes.withUnsafeBytes { t.id(canonical: UnsafeRawBufferPointer(rebasing: $0[Int(s)..<Int(s + n)])) }
        XCTAssertEqual(t[c], ASPath(sequence: [3356, 4837, 7]))
        XCTAssertEqual(t.origins[Int(c)], 7)
    }

    func testIdsStayPutAsTheTableGrows() {
        var t = PathTable()
        var ids: [UInt32] = []
        for i in 0..<5000 { ids.append(t.id(ASPath(sequence: [64512, UInt32(i), UInt32(i % 7)]))) }
        XCTAssertEqual(Set(ids).count, 5000)
        for i in 0..<5000 {
            XCTAssertEqual(t.id(ASPath(sequence: [64512, UInt32(i), UInt32(i % 7)])), ids[i])
            XCTAssertEqual(t.origins[Int(ids[i])], UInt32(i % 7))
        }
        XCTAssertEqual(t.count, 5001)
    }
}
