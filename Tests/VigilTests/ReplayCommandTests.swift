import Foundation
import XCTest

/// `vigil entities`, `vigil replay` and `vigil series` as the README shows them.
final class ReplayCommandTests: XCTestCase {
    var delegated: String { CLI.packageRoot.appendingPathComponent("Tests/VigilTests/Fixtures/delegated-apnic-extended-sample").path }

    func testEntitiesImportAndShow() throws {
        let dir = try CLI.tempDir("entities")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("vigil.db").path
        let r = try CLI.vigil("entities", "import", delegated, "--db", db)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "imported 2 AS ranges, 2 IPv4 and 1 IPv6 blocks into \(db)\n")
        XCTAssertEqual(r.text, "", "a summary is no data: standard error")
        let kp = try CLI.vigil("entities", "show", "KP", "--db", db)
        XCTAssertTrue(kp.text.contains("AS numbers registered: AS131279"), kp.text)
        XCTAssertTrue(kp.text.contains("address blocks delegated (4 /24s IPv4, 0 /48s IPv6): 175.45.176.0/22"), kp.text)
        let asn = try CLI.vigil("entities", "show", "AS4837", "--db", db)
        XCTAssertTrue(asn.text.hasPrefix("AS4837: country CN"), asn.text)
        // A bad line is reported with file and line; the others still load.
        let bad = dir.appendingPathComponent("bad-delegated").path
        try (try String(contentsOfFile: delegated, encoding: .utf8) + "apnic|KP|ipv4|175.45.999.0|256|20091019|allocated\n")
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let b = try CLI.vigil("entities", "import", bad, "--db", db)
        XCTAssertEqual(b.status, 1)
        XCTAssertTrue(b.stderr.contains("\(bad):13: bad IPv4 range '175.45.999.0|256'"), b.stderr)
        XCTAssertTrue(b.stderr.contains("imported 2 AS ranges, 2 IPv4"), b.stderr)
    }

    func testReplayThenSeries() throws {
        let dir = try CLI.tempDir("replay")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("vigil.db").path
        let updates = CLI.fixture("updates.20020722.2238.gz")
        let r = try CLI.vigil("replay", "--updates", updates, "--entity", "AS8708", "--bin", "60", "--db", db)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("replayed 3337 elements ("), r.stderr)
        XCTAssertEqual(r.text, "", "without --events nothing is asked for on standard output")
        XCTAssertTrue(r.stderr.contains("no RIB given"), r.stderr)
        let csv = try CLI.vigil("series", "AS8708", "--signal", "announcements", "--format", "csv", "--db", db)
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.text.split(separator: "\n")
        XCTAssertEqual(lines.first, "time,announcements")
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.hasPrefix("2002-07-22T22:") }, csv.text)
        let total = lines.dropFirst().compactMap { Int($0.split(separator: ",")[1]) }.reduce(0, +)
        XCTAssertEqual(total, 93, "announcements of prefixes originated by AS8708 in the file")
        let table = try CLI.vigil("series", "AS8708", "--db", db)
        XCTAssertTrue(table.text.hasPrefix("time  "), table.text)
        let none = try CLI.vigil("series", "AS1", "--db", db)
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("no stored series for AS1"), none.stderr)
    }
}
