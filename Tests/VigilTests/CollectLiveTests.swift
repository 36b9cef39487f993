import BGPWire
import Foundation
import MRT
import XCTest

/// A real BIRD in a namespace feeds `vigil collect`; its routes go and come back.
final class CollectLiveTests: XCTestCase {
    func testOutageOpensWithinSecondsOfTheWithdrawal() throws {
        guard getuid() == 0 else { return XCTFail("needs root for network namespaces (run scripts/test.sh as root)") }
        guard let bgpdump = CLI.which("bgpdump"), CLI.which("bird") != nil else { return XCTFail("bird2 and bgpdump are needed: scripts/test.sh installs them") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let ns = try Netns(tag: "lv", subnet: "10.206")
        var bird: Process?
        var vigil: Background?
        defer {
            vigil?.stop(signal: SIGKILL)
            bird?.terminate()
            bird?.waitUntilExit()
            ns.remove()
            try? FileManager.default.removeItem(at: dir)
        }
        let sock = dir.appendingPathComponent("bird.ctl").path
        let birdConf = dir.appendingPathComponent("bird.conf").path
        // AS65010 is the upstream of AS65020, whose three /24s it announces.
        try upstreamBIRDConfig(ns, port: 17900, routes: ["198.51.100.0/24", "198.51.101.0/24", "198.51.102.0/24"].map { ($0, 65020) })
            .write(toFile: birdConf, atomically: true, encoding: .utf8)
        let status = dir.appendingPathComponent("status.json").path
        let eventsFile = dir.appendingPathComponent("events.jsonl").path
        let archive = dir.appendingPathComponent("archive").path
        let config = dir.appendingPathComponent("vigil.toml").path
        try """
            [collector]
            name = "live"
            local_as = 12654
            router_id = "10.0.0.254"
            hold_time = 30
            listen = "\(ns.host):17900"

            [[peer]]
            address = "\(ns.peer)"
            as = 65010

            [archive]
            directory = "\(archive)"

            [store]
            database = "\(dir.appendingPathComponent("vigil.sqlite").path)"
            status_file = "\(status)"
            events_file = "\(eventsFile)"

            [detect]
            watch = ["AS65020", "198.51.100.0/22"]
            full_feed_v4 = 1
            live_warmup = "3s"
            live_min_outage = "0s"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        vigil = try Background(["collect", "--config", config], in: dir)
        bird = try ns.spawn(["bird", "-f", "-c", birdConf, "-s", sock, "-P", dir.appendingPathComponent("bird.pid").path])

        func statusText() -> String { (try? CLI.vigil("collect", "--config", config, "--status").text) ?? "" }
        func events() -> [[String: Any]] { eventLines(eventsFile) }
        waitFor("the session and BIRD's three routes") {
            statusText().split(separator: "\n").contains { $0.hasPrefix(ns.peer) && $0.contains("Established") && $0.contains("  3  ") }
        }
        // Let the baseline settle (live_warmup), then withdraw everything.
        sleep(5)
        XCTAssertTrue(events().isEmpty, "\(events())")
        XCTAssertEqual(try ns.exec(["birdc", "-s", sock, "disable", "s4"]), 0)
        let withdrawn = Date()
        waitFor("the outage", seconds: 20) { events().contains { $0["change"] as? String == "opened" && $0["entity"] as? String == "AS65020" } }
        let latency = Date().timeIntervalSince(withdrawn)
        print("live outage raised \(String(format: "%.2f", latency)) s after birdc disable")
        XCTAssertLessThanOrEqual(latency, 5, "the goal: an event within 5 s of the withdrawal")
        let opened = try XCTUnwrap(events().first { $0["change"] as? String == "opened" && $0["entity"] as? String == "AS65020" })
        XCTAssertEqual(opened["kind"] as? String, "outage")
        XCTAssertEqual(opened["cause"] as? String, "bgp-withdrawal")
        XCTAssertLessThan(try XCTUnwrap(opened["detected_after_s"] as? Double), 5)
        let evidence = try XCTUnwrap(opened["evidence"] as? [String: Any])
        XCTAssertEqual(evidence["common_upstream"] as? String, "AS65010")
        XCTAssertEqual(evidence["peers_in_order"] as? [String], ["\(ns.peer) AS65010"])
        XCTAssertEqual(Set(evidence["prefixes"] as? [String] ?? []), ["198.51.100.0/24", "198.51.101.0/24", "198.51.102.0/24"])
        waitFor("the prefix entity's outage", seconds: 5) { events().contains { $0["change"] as? String == "opened" && $0["entity"] as? String == "198.51.100.0/22" } }
        XCTAssertTrue(vigil!.stdout.contains("OPEN       AS65020 outage (bgp-withdrawal)"), vigil!.stdout)

        // Back: the outage closes; a RIB snapshot on demand holds the routes again.
        XCTAssertEqual(try ns.exec(["birdc", "-s", sock, "enable", "s4"]), 0)
        waitFor("the recovery", seconds: 20) { events().contains { $0["change"] as? String == "closed" && $0["entity"] as? String == "AS65020" } }
        waitFor("the routes in the status") { statusText().contains("  3  ") }
        kill(vigil!.process.processIdentifier, SIGUSR1)
        let collectorDir = archive + "/live"
        func files(_ prefix: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: collectorDir)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
        }
        waitFor("the RIB snapshot", seconds: 10) { !files("bview.").isEmpty }
        let rib = try CLI.run(bgpdump, ["-q", "-m", collectorDir + "/" + files("bview.")[0]])
        let ribLines = rib.text.split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
        XCTAssertEqual(Set(ribLines.map { $0[5] }), ["198.51.100.0/24", "198.51.101.0/24", "198.51.102.0/24"], rib.text)
        XCTAssertTrue(ribLines.allSatisfy { $0[0] == "TABLE_DUMP2" && $0[2] == "B" && $0[3] == ns.peer && $0[6] == "65010 65020" }, rib.text)
        let ours = try CLI.vigil("dump", "-m", collectorDir + "/" + files("bview.")[0])
        XCTAssertEqual(ours.text, rib.text)

        // Stop: the updates file is completed, and reads the same with bgpdump.
        vigil!.stop()
        XCTAssertEqual(vigil!.process.terminationStatus, 0, vigil!.stderr)
        let updates = files("updates.")
        XCTAssertFalse(updates.isEmpty)
        XCTAssertTrue(files(".").isEmpty, "temporary files left: \(files("."))")
        var all = ""
        for f in updates {
            let theirs = try CLI.run(bgpdump, ["-q", "-m", collectorDir + "/" + f])
            let mine = try CLI.vigil("dump", "-m", collectorDir + "/" + f)
            XCTAssertEqual(mine.text, theirs.text, f)
            XCTAssertEqual(mine.status, 0, mine.stderr)
            all += theirs.text
        }
        let lines = all.split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
        XCTAssertEqual(lines.filter { $0[2] == "W" }.count, 3, all)
        XCTAssertEqual(lines.filter { $0[2] == "A" }.count, 6, all)
    }
}
