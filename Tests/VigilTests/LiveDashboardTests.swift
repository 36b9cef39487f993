import Foundation
import XCTest

/// The dashboard live: a real BIRD in a namespace feeds `vigil serve`; an entity page is open in
/// headless Chromium; BIRD withdraws; the page shows the outage by itself, from the event stream,
/// and the test measures how long after the withdrawal (DevTools protocol, Fixtures/cdp_wait.py).
final class LiveDashboardTests: XCTestCase {
    func testOpenEntityPageShowsTheOutageFromTheStream() throws {
        guard getuid() == 0 else { return XCTFail("needs root for network namespaces (run scripts/test.sh as root)") }
        guard CLI.which("bird") != nil, FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            return XCTFail("bird2 and chromium are needed: scripts/test.sh installs them")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-livedash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let ns = try Netns(tag: "ld", subnet: "10.207")
        var bird: Process?
        var vigil: Background?
        let browser = Process()
        defer {
            if browser.isRunning { browser.terminate(); browser.waitUntilExit() }
            vigil?.stop(signal: SIGKILL)
            bird?.terminate()
            bird?.waitUntilExit()
            ns.remove()
            try? FileManager.default.removeItem(at: dir)
        }
        let sock = dir.appendingPathComponent("bird.ctl").path
        let birdConf = dir.appendingPathComponent("bird.conf").path
        try upstreamBIRDConfig(ns, port: 17907, routes: ["198.51.100.0/24", "198.51.101.0/24"].map { ($0, 65020) })
            .write(toFile: birdConf, atomically: true, encoding: .utf8)
        let web = 19481, devtools = 19231
        let config = dir.appendingPathComponent("vigil.toml").path
        try liveServeConfig(ns, name: "livedash", port: 17907, dir: dir, watch: ["AS65020"], web: web).write(toFile: config, atomically: true, encoding: .utf8)
        vigil = try Background(["serve", "--config", config], in: dir)
        bird = try ns.spawn(["bird", "-f", "-c", birdConf, "-s", sock, "-P", dir.appendingPathComponent("bird.pid").path])
        waitFor("the session and BIRD's routes", seconds: 40) {
            (httpGet("http://127.0.0.1:\(web)/metrics") ?? "").contains("vigil_sessions_up 1")
        }
        sleep(5)  // past the live warm-up: the routes are the baseline

        browser.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        browser.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=\(devtools)",
                             "--user-data-dir=\(dir.path)/chromium", "--window-size=1400,1100",
                             "http://127.0.0.1:\(web)/entity.html?e=AS65020"]
        browser.standardOutput = FileHandle.nullDevice
        browser.standardError = FileHandle.nullDevice
        try browser.run()
        let script = CLI.packageRoot.appendingPathComponent("Tests/VigilTests/Fixtures/cdp_wait.py").path
        func wait(_ expression: String, seconds: Double) throws -> CLI.Result {
            try CLI.run("/usr/bin/env", ["python3", script, "\(devtools)", "entity.html", expression, "\(seconds)"])
        }
        // The page is open and listening: the stream connected, no outage listed yet.
        let ready = try wait("document.getElementById('live').textContent.includes('live') && !!document.getElementById('bands').dataset", seconds: 20)
        XCTAssertEqual(ready.status, 0, "the page opened its event stream: \(ready.stderr)")
        let before = try wait("!(document.getElementById('bands').dataset.starts || '').includes('outage@')", seconds: 5)
        XCTAssertEqual(before.status, 0, "no outage before the withdrawal")

        XCTAssertEqual(try ns.exec(["birdc", "-s", sock, "disable", "s4"]), 0)
        let withdrawn = Date().timeIntervalSince1970
        let shown = try wait("(document.getElementById('bands').dataset.starts || '').includes('outage@')", seconds: 15)
        XCTAssertEqual(shown.status, 0, "the outage appeared on the open page: \(shown.stderr)")
        let at = try XCTUnwrap(Double(shown.text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let latency = at - withdrawn
        print("the open entity page showed the outage \(String(format: "%.2f", latency)) s after birdc disable")
        XCTAssertLessThanOrEqual(latency, 2, "the goal: on the open page within 2 s of the withdrawal")
        let text = try wait("document.body.innerText.includes('routes withdrawn')", seconds: 5)
        XCTAssertEqual(text.status, 0, "with its cause")
    }
}
