import Foundation
import XCTest
import BGPWire
@testable import MRT

/// `vigil dump -m` against the output of Debian's bgpdump 1.6.2 on real RIS archives.
final class BgpdumpCompatTests: XCTestCase {
    func compare(_ file: String, expected: String, line: UInt = #line) throws {
        let got = try bgpdumpLines(try MRTReader(path: file))
        let want = try readAll(expected)
        XCTAssertTrue(got.issues.isEmpty, "\(file): \(got.issues)", line: line)
        if got.text != want {
            let g = String(decoding: got.text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let w = String(decoding: want, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let i = (0..<min(g.count, w.count)).first { g[$0] != w[$0] } ?? min(g.count, w.count)
            XCTFail("\(file): first difference at line \(i + 1):\n got: \(i < g.count ? g[i] : "<end>")\nwant: \(i < w.count ? w[i] : "<end>")", line: line)
        }
        XCTAssertGreaterThan(got.lines, 0, line: line)
    }

    /// Every archive shipped in Fixtures (README.md there says where each comes from):
    /// the tests need nothing beside the project.
    func testShippedFixtures() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixtures.dir.path)
            .filter { $0.hasSuffix(".gz") && !$0.hasSuffix(".bgpdump-m.gz") }
        XCTAssertEqual(Set(names), ["bview.64k_stream_overflow.gz", "bview.ipv4_unicast_add_path.gz", "bview.ipv6_unicast_add_path.gz",
                                    "updates.20020722.2238.gz", "updates.20070211.0141.gz", "updates.20160811.1600.gz",
                                    "updates.long_withdrawal.gz"])
        for n in names.sorted() { try compare(Fixtures.path(n), expected: Fixtures.path(n + ".bgpdump-m.gz")) }
    }

    /// `--count` counts exactly the lines -m prints.
    func testCountMatchesLines() throws {
        for n in ["updates.20020722.2238.gz", "bview.ipv4_unicast_add_path.gz"] {
            let lines = try bgpdumpLines(try MRTReader(path: Fixtures.path(n))).lines
            let r = try MRTReader(path: Fixtures.path(n))
            let f = BgpdumpFormatter(countOnly: true)
            var sink: [UInt8] = []
            var counted = 0
            while let rec = try r.next() { counted += f.format(rec, into: &sink).lines }
            XCTAssertEqual(counted, lines, n)
            XCTAssertTrue(sink.isEmpty)
        }
    }

    /// Filters keep exactly the lines a text filter on bgpdump's output keeps.
    func testFiltersAgreeWithTextFiltering() throws {
        let file = Fixtures.path("updates.20020722.2238.gz")
        let all = String(decoding: try readAll(file + ".bgpdump-m.gz"), as: UTF8.self).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false) }
        func run(_ f: ElementFilter) throws -> [Substring] {
            String(decoding: try bgpdumpLines(try MRTReader(path: file), filter: f).text, as: UTF8.self).split(separator: "\n")
        }
        var f = ElementFilter()
        f.kinds = [.withdrawal]
        XCTAssertEqual(try run(f).count, all.filter { $0[2] == "W" }.count)
        f = ElementFilter()
        f.peerAddresses = [.v4(0xC1CB_0051)]  // 193.203.0.81
        XCTAssertEqual(try run(f).count, all.filter { $0[3] == "193.203.0.81" }.count)
        f = ElementFilter()
        f.originASNs = [8708]
        let want = all.filter { $0[2] == "A" && $0[6].split(separator: " ").last == "8708" }.count
        XCTAssertGreaterThan(want, 0)
        XCTAssertEqual(try run(f).count, want)
        f = ElementFilter()
        f.prefixes = [Prefix("200.0.0.0/8")!]
        f.moreSpecifics = true
        let inside = all.filter { ($0[2] == "A" || $0[2] == "W") && $0[5].hasPrefix("200.") }.count
        XCTAssertGreaterThan(inside, 0)
        XCTAssertEqual(try run(f).count, inside)
        f.moreSpecifics = false
        XCTAssertEqual(try run(f).count, 0)
    }
}
