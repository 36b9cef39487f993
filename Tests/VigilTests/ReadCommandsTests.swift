import Foundation
import XCTest

/// `vigil series` and `vigil events` as a user meets them: a missing or read-only database,
/// time ranges with offsets, empty or inverted ranges, numbers as people read them; and
/// `vigil replay` for an entity Vigil knows nothing about.
final class ReadCommandsTests: XCTestCase {
    var dir: URL!
    var db: String { dir.appendingPathComponent("vigil.db").path }

    override func setUpWithError() throws { dir = try CLI.tempDir("read") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// The 2002 RouteViews fixture, one-minute bins, for AS8708 (rows from 22:45, when its prefixes first show, to 22:53).
    func replay() throws {
        let r = try CLI.vigil("replay", "--updates", CLI.fixture("updates.20020722.2238.gz"), "--entity", "AS8708", "--bin", "60", "--db", db)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testAMissingDatabaseIsNamedAndNotCreated() throws {
        for args in [["series", "KP"], ["events"], ["events", "AS1", "--format", "json"], ["probe", "--blocks"]] {
            let r = try CLI.run(CLI.vigil, args + ["--db", db])
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains("\(db): no such database"), "\(args): \(r.stderr)")
            XCTAssertEqual(r.text, "", "\(args)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "\(args) created something")
        }
    }

    /// A database in a directory the reader cannot write (as a user who is not its owner):
    /// with the WAL files its writer left, and without them.
    func testAReadOnlyDatabaseIsRead() throws {
        guard getuid() == 0 else { return XCTFail("needs root to read as another user (run scripts/test.sh as root)") }
        try replay()
        chmod(dir.path, 0o755)
        for leftovers in [true, false] {
            if !leftovers {
                for f in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + f) }
            }
            for f in [db, db + "-wal", db + "-shm"] { chmod(f, 0o444) }
            chmod(dir.path, 0o555)
            defer { chmod(dir.path, 0o755) }
            let before = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            func asNobody(_ args: String...) throws -> CLI.Result {
                try CLI.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", CLI.vigil] + args)
            }
            let series = try asNobody("series", "AS8708", "--signal", "routed_v4", "--format", "csv", "--db", db)
            XCTAssertEqual(series.status, 0, "leftovers \(leftovers): \(series.stderr)")
            XCTAssertTrue(series.text.hasPrefix("time,routed_v4\n2002-07-22T22:45:00Z,103\n"), series.text)
            let events = try asNobody("events", "--db", db)
            XCTAssertEqual(events.status, 0, "leftovers \(leftovers): \(events.stderr)")
            XCTAssertEqual(events.text, "no events\n")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), before)
        }
    }

    func testTimeRangesHonourOffsetsAndSayWhenEmptyOrInverted() throws {
        try replay()
        func times(_ from: String, _ until: String) throws -> [String] {
            let r = try CLI.vigil("series", "AS8708", "--signal", "routed_v4", "--format", "csv", "--from", from, "--until", until, "--db", db)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.text.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        }
        let expected = ["2002-07-22T22:46:00Z", "2002-07-22T22:47:00Z"]
        XCTAssertEqual(try times("2002-07-22T22:46:00Z", "2002-07-22T22:48Z"), expected)
        XCTAssertEqual(try times("2002-07-23T00:46:00+02:00", "2002-07-23T00:48+0200"), expected)
        XCTAssertEqual(try times("2002-07-22T17:46:00-05:00", "2002-07-22T17:47:30.5-05:00"), expected)
        XCTAssertEqual(try times("1027377960", "2002-07-22T22:48:00.000Z"), expected)

        let bad = try CLI.vigil("series", "AS8708", "--from", "2002-07-22T22:40:00+02:00x", "--db", db)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("'2002-07-22T22:40:00+02:00x' is not a time: unexpected text after the time"), bad.stderr)

        for (cmd, what) in [(["series", "AS8708"], "empty"), (["events"], "empty")] {
            let r = try CLI.run(CLI.vigil, cmd + ["--from", "2002-07-22T22:40Z", "--until", "2002-07-23T00:40+02:00", "--db", db])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("--from 2002-07-22T22:40:00Z is not before --until 2002-07-22T22:40:00Z: the range is \(what)"), r.stderr)
            XCTAssertFalse(r.stderr.contains("run vigil replay first"), r.stderr)
        }
        let inverted = try CLI.vigil("series", "AS8708", "--from", "2002-07-23", "--until", "2002-07-22", "--db", db)
        XCTAssertTrue(inverted.stderr.contains("the range is inverted"), inverted.stderr)
        let outside = try CLI.vigil("series", "AS8708", "--from", "2003-01-01", "--until", "2003-01-02", "--db", db)
        XCTAssertEqual(outside.status, 1)
        XCTAssertTrue(outside.stderr.contains("no series for AS8708 in \(db) between 2003-01-01T00:00:00Z and 2003-01-02T00:00:00Z"), outside.stderr)
        XCTAssertFalse(outside.stderr.contains("run vigil replay first"), outside.stderr)
    }

    /// AS8708's mean visibility is 91/93 of its prefixes' peers: printed to four decimals, never 0.978494623655914.
    func testTableNumbersHaveAFixedPrecision() throws {
        try replay()
        for format in ["table", "csv", "json"] {
            let r = try CLI.vigil("series", "AS8708", "--format", format, "--db", db)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.text.contains("0.9785"), r.text)
            XCTAssertFalse(r.text.contains("0.97849"), r.text)
        }
    }

    /// Without delegations Vigil knows no prefix of Brazil: that is "unknown", not a country gone dark.
    func testReplayOfAnUnknownCountryStoresNothing() throws {
        let r = try CLI.vigil("replay", "--updates", CLI.fixture("updates.20020722.2238.gz"), "--entity", "BR", "--db", db)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("BR: unknown: no delegation data for this country in \(db) (run vigil entities import"), r.stderr)
        XCTAssertFalse(r.text.contains("replayed"), r.text)
        let series = try CLI.vigil("series", "BR", "--db", db)
        XCTAssertEqual(series.status, 1)
        XCTAssertTrue(series.stderr.contains("no stored series for BR"), series.stderr)
        // An AS the archives never show: no rows, said so; beside a known one, the known one is measured.
        let both = try CLI.vigil("replay", "--updates", CLI.fixture("updates.20020722.2238.gz"), "--entity", "AS64999", "--entity", "AS8708", "--db", db)
        XCTAssertTrue(both.stderr.contains("AS64999: no prefix of it seen in these archives: unknown, nothing stored for it"), both.stderr)
        XCTAssertEqual(try CLI.vigil("series", "AS64999", "--db", db).status, 1)
        XCTAssertEqual(try CLI.vigil("series", "AS8708", "--db", db).status, 0)
        let alone = try CLI.vigil("replay", "--updates", CLI.fixture("updates.20020722.2238.gz"), "--entity", "AS64999", "--db", db)
        XCTAssertNotEqual(alone.status, 0, "nothing measurable is left")
        // With delegations KP is a known country; these 2002 archives just show none of its prefixes.
        let delegated = CLI.packageRoot.appendingPathComponent("Tests/VigilTests/Fixtures/delegated-apnic-extended-sample").path
        XCTAssertEqual(try CLI.vigil("entities", "import", delegated, "--db", db).status, 0)
        let kp = try CLI.vigil("replay", "--updates", CLI.fixture("updates.20020722.2238.gz"), "--entity", "KP", "--db", db)
        XCTAssertFalse(kp.stderr.contains("no delegation data"), kp.stderr)
        XCTAssertTrue(kp.stderr.contains("KP: no prefix of it seen in these archives"), kp.stderr)
    }
}
