import XCTest
import BGPWire
@testable import Routing

final class PrefixTrieTests: XCTestCase {
    func p(_ s: String) -> Prefix { Prefix(s)! }

    func testLongestMatch() {
        var t = PrefixTrie<String>(ipv6: false)
        t.insert(p("10.0.0.0/8"), "a")
        t.insert(p("10.1.0.0/16"), "b")
        t.insert(p("10.1.2.0/24"), "c")
        XCTAssertEqual(t.longestMatch(.v4(0x0A01_0203))?.1, "c")
        XCTAssertEqual(t.longestMatch(.v4(0x0A01_0303))?.1, "b")
        XCTAssertEqual(t.longestMatch(.v4(0x0A02_0000))?.1, "a")
        XCTAssertEqual(t.longestMatch(.v4(0x0A01_0303))?.0, p("10.1.0.0/16"))
        XCTAssertNil(t.longestMatch(.v4(0x0B00_0000)))
        XCTAssertEqual(t.remove(p("10.1.0.0/16")), "b")
        XCTAssertEqual(t.longestMatch(.v4(0x0A01_0303))?.1, "a")
        XCTAssertEqual(t.count, 2)
        t.insert(p("0.0.0.0/0"), "default")
        XCTAssertEqual(t.longestMatch(.v4(0x0B00_0000))?.1, "default")
    }

    /// North Korea's /22 as four /24s plus the covering /22: counted once, 4 /24s.
    func testCoveredSpaceCountsOverlapsOnce() {
        var t = PrefixTrie<Bool>(ipv6: false)
        for s in ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"] { t.insert(p(s), true) }
        XCTAssertEqual(t.coveredSpace(unitLength: 24), 4)
        t.insert(p("175.45.176.0/22"), true)
        XCTAssertEqual(t.coveredSpace(unitLength: 24), 4)
        t.insert(p("175.45.176.128/25"), true)
        XCTAssertEqual(t.coveredSpace(unitLength: 24), 4)
        t.insert(p("10.0.0.0/8"), false)
        XCTAssertEqual(t.coveredSpace(unitLength: 24, include: { $0 }), 4)
        XCTAssertEqual(t.coveredSpace(unitLength: 24), 4 + 65536)
        XCTAssertEqual(t.remove(p("175.45.176.0/22")), true)
        _ = t.remove(p("175.45.179.0/24"))
        XCTAssertEqual(t.coveredSpace(unitLength: 24, include: { $0 }), 3)
        t.insert(p("192.0.2.0/26"), true)
        XCTAssertEqual(t.coveredSpace(unitLength: 24, include: { $0 }), 3.25)
    }

    func testIPv6AndEnumeration() {
        var t = PrefixTrie<Int>(ipv6: true)
        t.insert(p("2001:db8::/32"), 1)
        t.insert(p("2001:db8:1::/48"), 2)
        t.insert(p("2001:db9::/48"), 3)
        XCTAssertEqual(t.coveredSpace(unitLength: 48), 65536 + 1)
        XCTAssertEqual(t.longestMatch(IPAddress("2001:db8:1::5")!)?.1, 2)
        var seen: [Prefix: Int] = [:]
        t.forEach { seen[$0] = $1 }
        XCTAssertEqual(seen, [p("2001:db8::/32"): 1, p("2001:db8:1::/48"): 2, p("2001:db9::/48"): 3])
    }
}
