import BGPWire
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

    /// The filters one investigates a hijack with (BGPStream's): a time window, an AS-path regular
    /// expression and communities keep exactly the lines a text filter on bgpdump's own output keeps,
    /// in -m and JSON alike.
    func testTimePathAndCommunityFiltersAgreeWithTextFiltering() throws {
        let f = CLI.fixture("updates.20160811.1600.gz")
        let all = String(decoding: try CLI.gunzip(f + ".bgpdump-m.gz"), as: UTF8.self).split(separator: "\n")
        let fields = all.map { $0.split(separator: "|", omittingEmptySubsequences: false) }
        func lines(_ args: String...) throws -> [Substring] {
            let r = try CLI.run(CLI.vigil, ["dump"] + args + [f])
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.text.split(separator: "\n")
        }
        func jsonCount(_ args: String...) throws -> Int { try CLI.run(CLI.vigil, ["dump", "--json"] + args + [f]).text.split(separator: "\n").count }

        // Through AS3356 (a boundary on each side: not AS33560), as the path's ASes.
        let through = all.indices.filter { i in
            fields[i][2] == "A" && fields[i][6].split(whereSeparator: { " {},".contains($0) }).contains("3356")
        }.map { all[$0] }
        XCTAssertGreaterThan(through.count, 1000)
        XCTAssertEqual(try lines("--path", "_3356_"), through)
        XCTAssertEqual(try jsonCount("--path", "_3356_"), through.count)
        // Originated by AS3356: the regular expression and --origin agree.
        XCTAssertEqual(try lines("--path", "_3356$"), try lines("--origin", "3356"))

        // Any community of AS3356, or one exact community.
        let tagged = all.indices.filter { fields[$0][2] == "A" && fields[$0][11].split(separator: " ").contains { $0.hasPrefix("3356:") } }.map { all[$0] }
        XCTAssertGreaterThan(tagged.count, 100)
        XCTAssertEqual(try lines("--community", "3356:*"), tagged)
        XCTAssertEqual(try jsonCount("--community", "3356:*"), tagged.count)
        let one = try XCTUnwrap(fields.first { $0[2] == "A" && $0[11].split(separator: " ").contains { $0.hasPrefix("3356:") } })
        let exact = String(one[11].split(separator: " ").first { $0.hasPrefix("3356:") }!)
        XCTAssertEqual(try lines("--community", exact), all.indices.filter { fields[$0][2] == "A" && fields[$0][11].split(separator: " ").contains(Substring(exact)) }.map { all[$0] })

        // One minute of the five.
        let minute = all.indices.filter { (1_470_931_320..<1_470_931_380).contains(Int(fields[$0][1])!) }.map { all[$0] }
        XCTAssertGreaterThan(minute.count, 1000)
        XCTAssertLessThan(minute.count, all.count / 2)
        XCTAssertEqual(try lines("--from", "2016-08-11T16:02:00Z", "--until", "1470931380"), minute)
        XCTAssertEqual(try jsonCount("--from", "2016-08-11T16:02:00Z", "--until", "1470931380"), minute.count)

        // Wrong filters are usage errors that name the option.
        for (args, says) in [(["--path", "("], "--path '(' is not a regular expression"), (["--community", "3356"], "--community '3356' is not a community"),
                             (["--community", "70000:1"], "'70000' is not a number up to 65535"), (["--from", "2016-08-12", "--until", "2016-08-11"], "--from must be before --until")] {
            let r = try CLI.run(CLI.vigil, ["dump"] + args + [f])
            XCTAssertEqual(r.status, 64, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(says), r.stderr)
            XCTAssertEqual(r.text, "")
        }
    }

    /// `--roas` and `--rpki`: RFC 6811's three states split the announcements exactly, in -m and JSON.
    func testRPKIStatesSplitTheAnnouncements() throws {
        let f = CLI.fixture("updates.20160811.1600.gz")
        let all = String(decoding: try CLI.gunzip(f + ".bgpdump-m.gz"), as: UTF8.self).split(separator: "\n")
        let announced = all.map { $0.split(separator: "|", omittingEmptySubsequences: false) }.filter { $0[2] == "A" }
        func origin(_ l: [Substring]) -> String? { l[6].split(separator: " ").last.flatMap { $0.contains("{") ? nil : String($0) } }
        // A VRP for one announced IPv4 prefix and its origin: the same prefix from elsewhere, or longer, is invalid.
        let pick = try XCTUnwrap(announced.first { !$0[5].contains(":") && origin($0) != nil && Int($0[5].split(separator: "/")[1])! <= 22 })
        let vrp = Prefix(String(pick[5]))!
        let roas = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-roas-\(getpid()).csv")
        try "ASN,IP Prefix,Max Length,Trust Anchor\nAS\(origin(pick)!),\(vrp),\(vrp.length),test\n".write(to: roas, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: roas) }
        func count(_ state: String, json: Bool = false) throws -> Int {
            let r = try CLI.run(CLI.vigil, ["dump"] + (json ? ["--json"] : []) + ["--roas", roas.path, "--rpki", state, f])
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.text.split(separator: "\n").count
        }
        let covered = announced.filter { Prefix(String($0[5])).map { vrp.contains($0) } ?? false }
        let valid = covered.filter { Prefix(String($0[5]))! == vrp && origin($0) == origin(pick) }.count
        XCTAssertGreaterThan(valid, 0)
        XCTAssertEqual(try count("valid"), valid)
        XCTAssertEqual(try count("invalid"), covered.count - valid)
        XCTAssertEqual(try count("not-found"), announced.count - covered.count)
        XCTAssertEqual(try count("valid", json: true), valid)
        XCTAssertEqual(try count("not-found", json: true), announced.count - covered.count)
        let none = try CLI.run(CLI.vigil, ["dump", "--rpki", "invalid", f])
        XCTAssertEqual(none.status, 64)
        XCTAssertTrue(none.stderr.contains("--rpki needs --roas FILE"), none.stderr)
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
