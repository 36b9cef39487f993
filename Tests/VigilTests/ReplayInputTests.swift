import Foundation
import XCTest

/// `vigil replay` on what users give it: collector folders as RIS and RouteViews
/// publish them, broken or missing input, and output meant for another program.
final class ReplayInputTests: XCTestCase {
    /// A small simulated world: two days, 5 peers, an outage of AS64500 on the first at 14:00.
    static func world(start: String = "2020-01-01T00:00:00Z", end: String = "2020-01-03T00:00:00Z") -> String {
        """
        name = "test world"
        start = "\(start)"
        end = "\(end)"
        seed = 7
        collector = "sim00"
        [peers]
        full = 4
        partial = 1
        partial_share = 0.4
        [background]
        prefixes = 200
        origins = 40
        flaps_per_hour = 5
        path_changes_per_hour = 5
        session_resets_per_day = 0
        [[entity]]
        name = "AS64500"
        origin = 64500
        upstream = 64501
        prefixes = ["192.0.2.0/24", "198.51.100.0/24"]
        [[event]]
        kind = "withdraw"
        entity = "AS64500"
        start = "2020-01-01T14:00:00Z"
        end = "2020-01-01T15:00:00Z"
        """
    }

    /// Simulates a world into `dir` (RIS layout: bview.* and updates.* side by side).
    func simulate(_ toml: String, into dir: URL) throws {
        let file = dir.appendingPathExtension("toml")
        try toml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try CLI.vigil("simulate", file.path, "--out", dir.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.text, "", "what was written is said on standard error")
        XCTAssertTrue(r.stderr.contains("test world: wrote "), r.stderr)
    }

    func files(_ dir: URL) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }

    func seriesCSV(_ db: String) throws -> String {
        let r = try CLI.vigil("series", "AS64500", "--format", "csv", "--db", db)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.text
    }

    /// A RIS collector folder (a bview each day, the updates) given to --updates
    /// replays exactly as --rib FIRST --updates UPDATES does.
    func testRISFolderJustWorks() throws {
        let dir = try CLI.tempDir("ris-folder")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("rrc99")
        try simulate(Self.world(), into: folder)
        // The next day's RIB dump (the same world, started then).
        let later = dir.appendingPathComponent("later")
        try simulate(Self.world(start: "2020-01-02T00:00:00Z"), into: later)
        try FileManager.default.copyItem(at: later.appendingPathComponent("bview.20200102.0000.gz"),
                                         to: folder.appendingPathComponent("bview.20200102.0000.gz"))
        XCTAssertEqual(try files(folder).filter { $0.hasPrefix("bview.") }, ["bview.20200101.0000.gz", "bview.20200102.0000.gz"])

        // The reference: the RIB and the updates named apart.
        let updatesOnly = dir.appendingPathComponent("updates-only")
        try FileManager.default.createDirectory(at: updatesOnly, withIntermediateDirectories: true)
        for f in try files(folder) where f.hasPrefix("updates.") {
            try FileManager.default.copyItem(at: folder.appendingPathComponent(f), to: updatesOnly.appendingPathComponent(f))
        }
        let refDB = dir.appendingPathComponent("ref.db").path
        let ref = try CLI.vigil("replay", "--rib", folder.appendingPathComponent("bview.20200101.0000.gz").path,
                                "--updates", updatesOnly.path, "--entity", "AS64500", "--db", refDB)
        XCTAssertEqual(ref.status, 0, ref.stderr)

        let db = dir.appendingPathComponent("vigil.db").path
        let r = try CLI.vigil("replay", "--updates", folder.path, "--entity", "AS64500", "--db", db)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("timestamps go backwards"), r.stderr)
        XCTAssertFalse(r.stderr.contains("no RIB given"), r.stderr)
        XCTAssertTrue(r.stderr.contains("starting from the RIB dump \(folder.path)/bview.20200101.0000.gz"), r.stderr)
        XCTAssertTrue(r.stderr.contains("1 other RIB dump not replayed (the updates carry the state on): \(folder.path)/bview.20200102.0000.gz"), r.stderr)
        let csv = try seriesCSV(db)
        XCTAssertEqual(csv, try seriesCSV(refDB))
        // One row per five-minute bin of the two days, not a day squashed into one bin.
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + 576, csv)
        XCTAssertTrue(r.stderr.contains("576 series rows, 576 bins of 300 s"), r.stderr)

        // --from on the second day starts from that day's dump; the first is not replayed.
        let fromDB = dir.appendingPathComponent("from.db").path
        let f = try CLI.vigil("replay", "--updates", folder.path, "--from", "2020-01-02T01:00Z", "--entity", "AS64500", "--db", fromDB)
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertTrue(f.stderr.contains("starting from the RIB dump \(folder.path)/bview.20200102.0000.gz"), f.stderr)
        XCTAssertTrue(f.stderr.contains("1 other RIB dump not replayed (the updates carry the state on): \(folder.path)/bview.20200101.0000.gz"), f.stderr)
    }

    /// RouteViews' layout: RIBS/rib.* and UPDATES/updates.* under a month folder.
    func testRouteViewsFolderJustWorks() throws {
        let dir = try CLI.tempDir("rv-folder")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sim = dir.appendingPathComponent("sim")
        try simulate(Self.world(), into: sim)
        let month = dir.appendingPathComponent("route-views9/bgpdata/2020.01")
        for sub in ["RIBS", "UPDATES"] {
            try FileManager.default.createDirectory(at: month.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        for f in try files(sim) {
            let to = f.hasPrefix("bview.") ? "RIBS/rib." + f.dropFirst("bview.".count) : "UPDATES/" + f
            try FileManager.default.copyItem(at: sim.appendingPathComponent(f), to: month.appendingPathComponent(to))
        }
        let refDB = dir.appendingPathComponent("ref.db").path
        XCTAssertEqual(try CLI.vigil("replay", "--updates", sim.path, "--entity", "AS64500", "--db", refDB).status, 0)
        let db = dir.appendingPathComponent("vigil.db").path
        let r = try CLI.vigil("replay", "--updates", dir.appendingPathComponent("route-views9").path, "--entity", "AS64500", "--db", db)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("starting from the RIB dump \(month.path)/RIBS/rib.20200101.0000.gz"), r.stderr)
        XCTAssertEqual(try seriesCSV(db), try seriesCSV(refDB))
    }

    /// Standard output of `replay --events --format json` is JSON lines and nothing else.
    func testEventsJSONAloneOnStdout() throws {
        let dir = try CLI.tempDir("replay-json")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("sim")
        try simulate(Self.world(), into: folder)
        let r = try CLI.vigil("replay", "--updates", folder.path, "--entity", "AS64500", "--events", "--format", "json",
                              "--db", dir.appendingPathComponent("vigil.db").path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.text.split(separator: "\n")
        XCTAssertFalse(lines.isEmpty, "the outage is detected")
        for l in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any]
            XCTAssertNotNil(object, "not a JSON object on standard output: \(l)")
        }
        XCTAssertTrue(lines.contains { $0.contains("\"entity\":\"AS64500\"") && $0.contains("\"kind\":\"outage\"") }, r.text)
        XCTAssertTrue(r.stderr.contains("replayed "), r.stderr)
        XCTAssertTrue(r.stderr.contains("state: "), r.stderr)
    }

    /// As `vigil dump`: exit 1 when input was skipped or missing, or nothing was replayed.
    func testExitStatusWhenInputSkippedOrMissing() throws {
        let dir = try CLI.tempDir("replay-exit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("vigil.db").path

        // A corrupt archive: what could be read is stored, and the exit status says the rest was skipped.
        var bytes = try CLI.gunzip(CLI.fixture("updates.20020722.2238.gz"))
        bytes.replaceSubrange(2000..<2016, with: Data(repeating: 0xEE, count: 16))
        let bad = dir.appendingPathComponent("updates.20020722.2238").path
        try bytes.write(to: URL(fileURLWithPath: bad))
        let r = try CLI.vigil("replay", "--updates", bad, "--entity", "AS8708", "--bin", "60", "--db", db)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("problems reading the archives"), r.stderr)
        XCTAssertTrue(try CLI.vigil("series", "AS8708", "--db", db).text.hasPrefix("time  "), "what was read is stored")

        // Nothing in the range.
        let none = try CLI.vigil("replay", "--updates", CLI.fixture("updates.20020722.2238.gz"), "--from", "2003-01-01", "--until", "2003-01-02",
                                 "--entity", "AS8708", "--db", db)
        XCTAssertEqual(none.status, 1, none.stderr)
        XCTAssertTrue(none.stderr.contains("replayed 0 elements"), none.stderr)
        XCTAssertTrue(none.stderr.contains("no elements replayed"), none.stderr)

        // A collector with nothing in the cache.
        let cache = dir.appendingPathComponent("cache").path
        let empty = try CLI.vigil("replay", "--collector", "rrc00", "--cache", cache, "--from", "2014-12-22T12:00Z", "--until", "2014-12-22T13:00Z",
                                  "--entity", "AS131279", "--db", db)
        XCTAssertEqual(empty.status, 1, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("rrc00: no RIB in \(cache)"), empty.stderr)
        XCTAssertTrue(empty.stderr.contains("rrc00: 12 of 12 updates files not in \(cache)"), empty.stderr)
    }
}
