import Foundation
import XCTest

final class DumpCommandTests: XCTestCase {
    override func setUp() {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: CLI.vigil), "vigil not built at \(CLI.vigil): run scripts/test.sh")
    }

    func testMachineOutputFromFileAndStdin() throws {
        let f = CLI.fixture("updates.20020722.2238.gz")
        let want = try CLI.gunzip(f + ".bgpdump-m.gz")
        let r = try CLI.vigil("dump", "-m", f)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, want)
        XCTAssertEqual(r.stderr, "")
        let s = try CLI.run(CLI.vigil, ["dump", "-m", "-"], stdin: f)
        XCTAssertEqual(s.stdout, want)
        // Several files are read in order, and -m is the default.
        let two = try CLI.vigil("dump", f, CLI.fixture("bview.ipv4_unicast_add_path.gz"))
        XCTAssertEqual(two.stdout, want + (try CLI.gunzip(CLI.fixture("bview.ipv4_unicast_add_path.gz.bgpdump-m.gz"))))
    }

    func testCount() throws {
        let r = try CLI.vigil("dump", "--count", CLI.fixture("updates.20020722.2238.gz"))
        XCTAssertEqual(r.text, "records: 1121\nelements: 3337\n")
        let w = try CLI.vigil("dump", "--count", "--type", "W", CLI.fixture("updates.20020722.2238.gz"))
        let wants = String(decoding: try CLI.gunzip(CLI.fixture("updates.20020722.2238.gz.bgpdump-m.gz")), as: UTF8.self)
            .split(separator: "\n").filter { $0.split(separator: "|")[2] == "W" }.count
        XCTAssertEqual(w.text, "records: 1121\nelements: \(wants)\n")
    }

    func testJSONLines() throws {
        let r = try CLI.vigil("dump", "--json", CLI.fixture("updates.20020722.2238.gz"))
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.text.split(separator: "\n")
        XCTAssertEqual(lines.count, 3337)
        var kinds: [String: Int] = [:]
        for l in lines {
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any], String(l))
            let type = try XCTUnwrap(o["type"] as? String)
            kinds[type, default: 0] += 1
            XCTAssertNotNil(o["timestamp"] as? NSNumber)
            XCTAssertNotNil(o["peer_ip"] as? String)
            if type == "A" {
                XCTAssertNotNil(o["as_path"] as? String)
                XCTAssertNotNil(o["prefix"] as? String)
                XCTAssertNotNil(o["communities"] as? [Any])
            }
        }
        let text = String(decoding: try CLI.gunzip(CLI.fixture("updates.20020722.2238.gz.bgpdump-m.gz")), as: UTF8.self)
        for k in ["A", "W", "STATE"] {
            XCTAssertEqual(kinds[k], text.split(separator: "\n").filter { $0.split(separator: "|")[2] == k }.count, k)
        }
    }

    func testBadRecordsAreReportedAndExitNonZero() throws {
        let raw = try CLI.gunzip(CLI.fixture("updates.20020722.2238.gz"))
        var bytes = [UInt8](raw)
        // Break the BGP marker of the first two BGP4MP messages (records stay framed).
        var at = 0, broken: [Int] = []
        while at + 12 <= bytes.count && broken.count < 2 {
            let len = Int(bytes[at + 8]) << 24 | Int(bytes[at + 9]) << 16 | Int(bytes[at + 10]) << 8 | Int(bytes[at + 11])
            if bytes[at + 5] == 16 && bytes[at + 7] == 1 && bytes[at + 46] == 2 {  // an UPDATE, which prints lines
                bytes[at + 12 + 16] = 0
                broken.append(at)
            }
            at += 12 + len
        }
        let dir = try CLI.tempDir("bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.mrt").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let r = try CLI.vigil("dump", "-m", path)
        XCTAssertEqual(r.status, 1)
        let errs = r.stderr.split(separator: "\n")
        XCTAssertEqual(errs.count, 2, r.stderr)
        XCTAssertEqual(errs.first.map(String.init), "vigil: \(path): offset \(broken[0]): BGP4MP/MESSAGE: malformed record: BGP message marker is not all ones")
        let good = try CLI.vigil("dump", "-m", CLI.fixture("updates.20020722.2238.gz"))
        XCTAssertLessThan(r.stdout.count, good.stdout.count)
        XCTAssertGreaterThan(r.stdout.count, good.stdout.count * 9 / 10, "the other records are still printed")
        // --strict stops at the first bad record.
        let s = try CLI.vigil("dump", "-m", "--strict", path)
        XCTAssertEqual(s.status, 1)
        XCTAssertEqual(s.stderr.split(separator: "\n").count, 1)
        XCTAssertLessThan(s.stdout.count, r.stdout.count)
    }

    func testUnreadableAndInvalidArguments() throws {
        let missing = try CLI.vigil("dump", "/nonexistent/file.gz")
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/file.gz: cannot open"), missing.stderr)
        let badPrefix = try CLI.vigil("dump", "--prefix", "10.0.0.0/99", CLI.fixture("updates.20020722.2238.gz"))
        XCTAssertNotEqual(badPrefix.status, 0)
        XCTAssertTrue(badPrefix.stderr.contains("--prefix 10.0.0.0/99"), badPrefix.stderr)
        let both = try CLI.vigil("dump", "--json", "--count", CLI.fixture("updates.20020722.2238.gz"))
        XCTAssertNotEqual(both.status, 0)
        let help = try CLI.vigil("dump", "--help")
        XCTAssertTrue(help.text.contains("vigil dump -m updates.20160811.1600.gz"), help.text)
    }
}
