import Foundation
import XCTest
@testable import MRT

/// The `-m` line format of every BGP4MP message and TABLE_DUMP_V2 RIB subtype,
/// ADD-PATH ones included, against bgpdump 1.6.2 (fixture made by
/// Fixtures/make-subtype-records.py; see Fixtures/README.md).
final class SubtypeFormatTests: XCTestCase {
    func testEverySubtypeFormatsAsBgpdump() throws {
        let got = try bgpdumpLines(try MRTReader(path: Fixtures.path("bgp4mp-subtypes.mrt")))
        let want = try readAll(Fixtures.path("bgp4mp-subtypes.mrt.bgpdump-m"))
        XCTAssertEqual(String(decoding: got.text, as: UTF8.self), String(decoding: want, as: UTF8.self))
        XCTAssertEqual(got.lines, 72)
    }
}
