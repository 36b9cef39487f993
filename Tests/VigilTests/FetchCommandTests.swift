import Foundation
import XCTest

/// `vigil fetch` against a local HTTP server laid out like RIPE RIS and
/// RouteViews (no test touches the Internet), then `vigil replay` of what it fetched.
final class FetchCommandTests: XCTestCase {
    var server: Process?

    override func tearDown() {
        server?.terminate()
        server?.waitUntilExit()
    }

    /// Starts the range-capable test server on 127.0.0.1; returns its base URL.
    func serve(_ dir: URL, truncateOnce: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", CLI.packageRoot.appendingPathComponent("Tests/VigilTests/Fixtures/range_server.py").path, dir.path]
            + (truncateOnce.map { ["--truncate-once", $0] } ?? [])
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        server = p
        var line = Data()
        while !line.contains(10) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        let port = try XCTUnwrap(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        return "http://127.0.0.1:\(port)"
    }

    func copy(_ fixture: String, to path: URL) throws {
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.fixture(fixture), toPath: path.path)
    }

    func testFetchRISAndRouteViewsLayoutsResumeAndReplay() throws {
        let root = try CLI.tempDir("fetch")
        defer { try? FileManager.default.removeItem(at: root) }
        let site = root.appendingPathComponent("site"), cache = root.appendingPathComponent("cache")
        // RIS: rrc00/2014.12/bview.20141222.1600.gz, updates every 5 minutes (16:10 missing: a gap).
        try copy("bview.ipv4_unicast_add_path.gz", to: site.appendingPathComponent("ris/rrc00/2014.12/bview.20141222.1600.gz"))
        try copy("updates.20020722.2238.gz", to: site.appendingPathComponent("ris/rrc00/2014.12/updates.20141222.1600.gz"))
        try copy("updates.long_withdrawal.gz", to: site.appendingPathComponent("ris/rrc00/2014.12/updates.20141222.1605.gz"))
        // RouteViews: bgpdata/2014.12/UPDATES/updates.20141222.1600.bz2 (route-views2 at the root).
        let rv = site.appendingPathComponent("rv/bgpdata/2014.12/UPDATES/updates.20141222.1600.bz2")
        try FileManager.default.createDirectory(at: rv.deletingLastPathComponent(), withIntermediateDirectories: true)
        let plain = try CLI.gunzip(CLI.fixture("updates.20020722.2238.gz"))
        let raw = root.appendingPathComponent("u.mrt")
        try plain.write(to: raw)
        XCTAssertEqual(try CLI.run("/bin/bzip2", ["-k", raw.path]).status, 0)
        try FileManager.default.moveItem(atPath: raw.path + ".bz2", toPath: rv.path)
        try copy("bview.ipv6_unicast_add_path.gz", to: site.appendingPathComponent("rv/bgpdata/2014.12/RIBS/rib.20141222.1600.bz2"))

        // The first response for the RouteViews updates file is cut in half.
        let base = try serve(site, truncateOnce: "updates.20141222.1600.bz2")
        let ris = try CLI.vigil("fetch", "--collector", "rrc00", "--from", "2014-12-22T16:00Z", "--until", "2014-12-22T16:15Z",
                                "--mirror", base + "/ris", "--cache", cache.path)
        XCTAssertEqual(ris.status, 0, ris.stderr)
        XCTAssertTrue(ris.stderr.contains("4 files: 3 downloaded (\(try size(site, "ris/rrc00/2014.12/bview.20141222.1600.gz") + size(site, "ris/rrc00/2014.12/updates.20141222.1600.gz") + size(site, "ris/rrc00/2014.12/updates.20141222.1605.gz")) bytes), 0 already cached, 1 missing on the server, 0 failed; cache \(cache.path)\n"), ris.stderr)
        XCTAssertTrue(ris.stderr.contains("updates.20141222.1610.gz: not on the server (404)"), ris.stderr)
        for f in ["bview.20141222.1600.gz", "updates.20141222.1600.gz", "updates.20141222.1605.gz"] {
            XCTAssertEqual(FileManager.default.contents(atPath: cache.appendingPathComponent("rrc00/2014.12/\(f)").path),
                           FileManager.default.contents(atPath: site.appendingPathComponent("ris/rrc00/2014.12/\(f)").path), f)
        }
        // Again: nothing to download.
        let again = try CLI.vigil("fetch", "--collector", "rrc00", "--type", "updates", "--from", "2014-12-22T16:00Z",
                                  "--until", "2014-12-22T16:10Z", "--mirror", base + "/ris", "--cache", cache.path)
        XCTAssertTrue(again.stderr.hasPrefix("2 files: 0 downloaded (0 bytes), 2 already cached"), again.stderr)

        // RouteViews: the cut download fails the size check and stays as .part ...
        let cut = try CLI.vigil("fetch", "--collector", "route-views2", "--type", "updates", "--from", "2014-12-22T16:00Z",
                                "--until", "2014-12-22T16:15Z", "--mirror", base + "/rv", "--cache", cache.path)
        XCTAssertEqual(cut.status, 1, cut.text + cut.stderr)
        let part = cache.appendingPathComponent("route-views2/2014.12/updates.20141222.1600.bz2.part").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: part), cut.stderr)
        // ... and the next run resumes it with a Range request and completes it.
        let resumed = try CLI.vigil("fetch", "--collector", "route-views2", "--from", "2014-12-22T16:00Z",
                                    "--until", "2014-12-22T16:15Z", "--mirror", base + "/rv", "--cache", cache.path)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: cache.appendingPathComponent("route-views2/2014.12/updates.20141222.1600.bz2").path),
                       FileManager.default.contents(atPath: rv.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: part))

        // Replay what was fetched, both collectors merged.
        let db = root.appendingPathComponent("vigil.db").path
        let rep = try CLI.vigil("replay", "--collector", "rrc00", "--collector", "route-views2", "--cache", cache.path,
                                "--from", "2014-12-22T16:00Z", "--until", "2014-12-22T16:15Z", "--db", db, "--entity", "AS65010")
        // A file missing (here: on the server) is input not replayed: exit status 1, as vigil dump.
        XCTAssertEqual(rep.status, 1, rep.stderr)
        XCTAssertTrue(rep.stderr.contains("rrc00: 1 of 3 updates files not in"), rep.stderr)
        // Elements outside --from/--until are dropped: the fixtures are from other years, so
        // only the RIB entries (always applied) count.
        XCTAssertTrue(rep.stderr.contains("replayed 124 elements"), rep.stderr)
    }

    func size(_ dir: URL, _ rel: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(rel).path)[.size] as? Int) ?? -1
    }
}
