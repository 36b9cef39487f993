import Hummingbird
import NIOCore
@testable import Web
import XCTest

final class ResponseCacheTests: XCTestCase {
    func answer(_ n: Int) -> Answer { Answer(type: "application/json", bytes: ByteBuffer(repeating: 0x30, count: n)) }

    func testBoundedInBytesOldestOutFirst() {
        let c = ResponseCache(maxAge: nil, maxBytes: 4000)
        for i in 0..<10 { c.put("k\(i)", answer(900)) }
        XCTAssertLessThanOrEqual(c.bytes, 4000)
        XCTAssertNil(c.get("k0"), "the oldest went first")
        XCTAssertNotNil(c.get("k9"))
        c.put("huge", answer(2000))
        XCTAssertNil(c.get("huge"), "an answer over a quarter of the bound is not kept")
        c.put("k9", answer(100))
        XCTAssertEqual(c.get("k9")?.bytes.readableBytes, 100, "a key put again replaces its answer")
    }

    func testAnswersOlderThanMaxAgeAreNotReused() throws {
        let c = ResponseCache(maxAge: 0.2)
        c.put("k", answer(10))
        XCTAssertNotNil(c.get("k"))
        usleep(300_000)
        XCTAssertNil(c.get("k"))
    }
}
