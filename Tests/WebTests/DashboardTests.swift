import Foundation
import XCTest

/// Every page of the dashboard in a real browser (Debian's headless Chromium) on a real server:
/// `vigil demo` replays the bundled North Korea reconstruction into a database, `vigil serve --db`
/// serves it, and each page is loaded as a person would and its rendered DOM read. Screenshots
/// go to `test-artifacts/` in the package.
final class DashboardTests: XCTestCase {
    static let chromium = "/usr/bin/chromium"
    nonisolated(unsafe) static var server: Process?
    nonisolated(unsafe) static var base = ""
    nonisolated(unsafe) static var dir = ""

    static var packageRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// The `vigil` binary beside the test bundle (`swift build` builds it with the tests).
    static var vigil: String {
        if let bin = ProcessInfo.processInfo.environment["VIGIL_BIN"] { return bin }
        let d = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for c in [d.appendingPathComponent("vigil"), d.deletingLastPathComponent().appendingPathComponent("vigil")]
        where FileManager.default.isExecutableFile(atPath: c.path) { return c.path }
        return d.appendingPathComponent("vigil").path
    }

    override class func setUp() {
        super.setUp()
        dir = NSTemporaryDirectory() + "vigil-dashboard-\(UUID().uuidString)"
        let demo = Process()
        demo.executableURL = URL(fileURLWithPath: vigil)
        demo.arguments = ["demo", "--dir", dir, "--output", dir + "/demo.svg"]
        demo.standardOutput = FileHandle.nullDevice
        demo.standardError = FileHandle.nullDevice
        guard (try? demo.run()) != nil else { return }
        demo.waitUntilExit()
        guard demo.terminationStatus == 0 else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: vigil)
        p.arguments = ["serve", "--db", dir + "/vigil.db", "--listen", "127.0.0.1:0", "--run-for", "600"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return }
        server = p
        // "viewing … on http://127.0.0.1:PORT/" once it listens.
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !seen.contains("/\n") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        if let r = seen.range(of: "http://127.0.0.1:"), let end = seen[r.upperBound...].firstIndex(of: "/") {
            base = "http://127.0.0.1:" + seen[r.upperBound..<end]
        }
    }

    override class func tearDown() {
        server?.terminate()
        server?.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
        super.tearDown()
    }

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            XCTFail("\(Self.chromium) is missing: install Debian's chromium (scripts/test.sh does)")
            throw XCTSkip("no browser")
        }
        XCTAssertFalse(Self.base.isEmpty, "vigil demo and vigil serve --db started (\(Self.vigil))")
        if Self.base.isEmpty { throw XCTSkip("no server") }
    }

    /// Chromium's arguments for one page: headless, as root, with time for its requests to finish.
    func browser(_ extra: [String], _ page: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=10000",
                       "--user-data-dir=\(Self.dir)/chromium"] + extra + [Self.base + "/" + page]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "chromium on \(page)")
        return String(decoding: data, as: UTF8.self)
    }

    /// The page as rendered (after its scripts ran), and a screenshot of it in test-artifacts/.
    func render(_ page: String, shot name: String, height: Int = 1100) throws -> String {
        let artifacts = Self.packageRoot.appendingPathComponent("test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let png = artifacts.appendingPathComponent("dashboard-\(name).png").path
        try? FileManager.default.removeItem(atPath: png)
        _ = try browser(["--window-size=1400,\(height)", "--screenshot=\(png)"], page)
        XCTAssertTrue(FileManager.default.fileExists(atPath: png), "screenshot \(png)")
        return try browser(["--dump-dom"], page)
    }

    func testNowPageShowsTheOutageAndShadesNorthKorea() throws {
        let dom = try render("index.html?at=2014-12-22T18:00:00Z", shot: "now")
        XCTAssertTrue(dom.contains("What was dark at 2014-12-22 18:00 UTC"), dom)
        XCTAssertTrue(dom.contains(">AS131279</a>"), "the AS is listed as ongoing")
        XCTAssertTrue(dom.contains("routes withdrawn"), "with its cause")
        XCTAssertTrue(dom.contains("2014-12-22 16:15 UTC"), "and since when")
        XCTAssertTrue(dom.contains("id=\"map\"") && dom.contains("data-dark=\"KP\""), "the map shades North Korea")
        XCTAssertEqual(dom.components(separatedBy: "<path").count - 1 > 100, true, "the map drew the countries")
    }

    func testEntityPageDrawsTheOutageBandWithItsCause() throws {
        let dom = try render("entity.html?e=AS131279&from=2014-12-22T00:00:00Z&until=2014-12-23T12:00:00Z", shot: "entity", height: 1500)
        XCTAssertTrue(dom.contains("AS131279 (origin AS)"))
        XCTAssertTrue(dom.contains("AS4837"), "the upstream its events named")
        XCTAssertGreaterThanOrEqual(dom.components(separatedBy: "class=\"chart card\"").count - 1, 4, "stacked plots: space, prefixes, visibility, churn")
        // Every plot shaded the outage of 22 Dec 16:15 (what underlayCallback drew), and the list names its cause.
        let shaded = dom.components(separatedBy: "data-bands=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        XCTAssertGreaterThanOrEqual(shaded.count, 4)
        for s in shaded { XCTAssertTrue(s.contains("outage@2014-12-22T16:15:00Z"), String(s)) }
        XCTAssertTrue(dom.contains("9h30m"), "the outage lasted until 01:45")
        XCTAssertTrue(dom.contains("route instability"), "and the instability before it")
    }

    func testEventPageTellsTheStory() throws {
        let dom = try render("event.html?id=AS131279%7Coutage%7C1419264900", shot: "event", height: 1300)
        XCTAssertTrue(dom.contains("AS131279 went dark at 2014-12-22 16:15 UTC"), dom)
        XCTAssertTrue(dom.contains("Which peers withdrew, in order (12)"))
        XCTAssertTrue(dom.contains("every lost path ran through"))
        XCTAssertTrue(dom.contains("When it came back: 2014-12-23 01:45 UTC, after 9h30m"))
        XCTAssertTrue(dom.contains("route instability since 2014-12-19 20:00 UTC"))
    }

    func testFeedsPageOfAViewer() throws {
        let dom = try render("feeds.html", shot: "feeds", height: 600)
        XCTAssertTrue(dom.contains("A viewer: no sources of its own."))
    }

    func testAnUnknownEntitySaysSo() throws {
        let dom = try render("entity.html?e=AS64500", shot: "unknown", height: 500)
        XCTAssertTrue(dom.contains("AS64500: nothing is known of it here"), dom)
    }
}
