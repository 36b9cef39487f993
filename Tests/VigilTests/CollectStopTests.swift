import BGPWire
import Foundation
import XCTest

/// Stopping `vigil collect` (SIGTERM, SIGINT) or losing it (SIGKILL) is a gap in Vigil's
/// observation, not an outage of the Internet: a real BIRD in a namespace keeps its routes up
/// while the collector stops and starts again.
final class CollectStopTests: XCTestCase {
    func testStoppingTheCollectorIsAGapNotAnOutage() throws {
        guard getuid() == 0 else { return XCTFail("needs root for network namespaces (run scripts/test.sh as root)") }
        guard CLI.which("bird") != nil else { return XCTFail("bird2 is needed: scripts/test.sh installs it") }
        let dir = try CLI.tempDir("collect-stop")
        let ns = try Netns(tag: "cs", subnet: "10.207")
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
        // BIRD dials again a second after the collector goes (not the default minute).
        try upstreamBIRDConfig(ns, port: 17901, routes: ["198.51.100.0/24", "198.51.101.0/24", "198.51.102.0/24"].map { ($0, 65020) })
            .replacingOccurrences(of: "connect retry time 1;", with: "connect retry time 1;\n  error wait time 1,2;")
            .write(toFile: birdConf, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("vigil.sqlite").path
        let status = dir.appendingPathComponent("status.json").path
        let eventsFile = dir.appendingPathComponent("events.jsonl").path
        let config = dir.appendingPathComponent("vigil.toml").path
        try """
            [collector]
            name = "stop"
            local_as = 12654
            router_id = "10.0.0.254"
            hold_time = 30
            listen = "\(ns.host):17901"

            [[peer]]
            address = "\(ns.peer)"
            as = 65010

            [archive]
            directory = "\(dir.appendingPathComponent("archive").path)"

            [store]
            database = "\(db)"
            status_file = "\(status)"
            events_file = "\(eventsFile)"

            [detect]
            watch = ["AS65020", "198.51.100.0/22"]
            bin = "2s"
            full_feed_v4 = 1
            live_warmup = "3s"
            live_min_outage = "0s"
            """.write(toFile: config, atomically: true, encoding: .utf8)

        func start() throws -> Background {
            try? FileManager.default.removeItem(atPath: status)
            return try Background(["collect", "--config", config], in: dir)
        }
        func established(routes: Int) {
            waitFor("the session with \(routes) routes") {
                ((try? CLI.vigil("collect", "--config", config, "--status").text) ?? "").split(separator: "\n")
                    .contains { $0.hasPrefix(ns.peer) && $0.contains("Established") && $0.contains("  \(routes)  ") }
            }
        }
        func changes() -> [String] {
            ((try? String(contentsOfFile: eventsFile, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                guard let o = try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else { return nil }
                return "\(o["change"] ?? "?") \(o["entity"] ?? "?")"
            }
        }
        func stored() throws -> [[String: Any]] {
            let r = try CLI.vigil("events", "--format", "json", "--db", db)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        /// (bin, routed /24s) of AS65020.
        func series() throws -> [(Int64, Double)] {
            let r = try CLI.vigil("series", "AS65020", "--signal", "routed_v4", "--format", "csv", "--db", db)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.text.split(separator: "\n").dropFirst().map { line in
                let f = line.split(separator: ",")
                return (UTCTime.parse(String(f[0])) ?? -1, Double(f[1]) ?? -1)
            }
        }

        // 1. Routes up, baseline settled, SIGTERM: no outage, nothing ongoing, no zero bins.
        vigil = try start()
        bird = try ns.spawn(["bird", "-f", "-c", birdConf, "-s", sock, "-P", dir.appendingPathComponent("bird.pid").path])
        established(routes: 3)
        sleep(5)
        vigil!.stop(signal: SIGTERM)
        let stopped = Int64(Date().timeIntervalSince1970)
        XCTAssertEqual(vigil!.process.terminationStatus, 0, vigil!.stderr)
        XCTAssertEqual(changes(), [], vigil!.stdout)
        let none = try stored()
        XCTAssertTrue(none.isEmpty, "\(none)")
        let first = try series()
        XCTAssertGreaterThanOrEqual(first.count, 2)
        XCTAssertTrue(first.allSatisfy { $0.1 == 3 }, "bins of the first run: \(first)")

        // 2. Down for a while, then again: the time between runs has no rows; the routes come back; no outage.
        sleep(3)
        let restarted = Int64(Date().timeIntervalSince1970)
        vigil = try start()
        established(routes: 3)
        sleep(5)
        XCTAssertEqual(changes(), [], vigil!.stdout)
        let second = try series()
        XCTAssertTrue(second.allSatisfy { $0.1 == 3 }, "no zero bins around the restart: \(second)")
        XCTAssertFalse(second.contains { $0.0 > stopped + 2 && $0.0 + 2 <= restarted }, "rows inside the gap: \(second), gap \(stopped)-\(restarted)")

        // 3. A real outage, still open at SIGINT: it ends as "observation stopped", not as a recovery, not ongoing.
        XCTAssertEqual(try ns.exec(["birdc", "-s", sock, "disable", "s4"]), 0)
        waitFor("the outage", seconds: 20) { changes().contains("opened AS65020") }
        vigil!.stop(signal: SIGINT)
        XCTAssertEqual(vigil!.process.terminationStatus, 0, vigil!.stderr)
        XCTAssertTrue(changes().contains("observation-stopped AS65020"), "\(changes())")
        XCTAssertFalse(changes().contains("closed AS65020"), "\(changes())")
        XCTAssertTrue(vigil!.stdout.contains("STOPPED    AS65020 outage still open after"), vigil!.stdout)
        let events = try stored()
        XCTAssertEqual(Set(events.map { $0["entity"] as? String ?? "?" }), ["AS65020", "198.51.100.0/22"], "\(events)")
        for e in events {
            XCTAssertEqual(e["observation_stopped"] as? Bool, true, "\(e)")
            XCTAssertNotNil(e["end"] as? String, "\(e)")
        }
        let table = try CLI.vigil("events", "--db", db)
        XCTAssertTrue(table.text.contains("(observation stopped)"), table.text)

        // 4. A collector killed with an outage open leaves it ongoing; the next run ends it where the
        // killed one stopped observing, and opens nothing for its own start.
        XCTAssertEqual(try ns.exec(["birdc", "-s", sock, "enable", "s4"]), 0)
        vigil = try start()
        established(routes: 3)
        sleep(5)
        XCTAssertEqual(try ns.exec(["birdc", "-s", sock, "disable", "s4"]), 0)
        waitFor("the second outage", seconds: 20) { changes().filter { $0 == "opened AS65020" }.count == 2 }
        sleep(3)
        vigil!.stop(signal: SIGKILL)
        XCTAssertTrue(try stored().contains { $0["end"] is NSNull }, "the killed run left it ongoing")
        vigil = try start()
        established(routes: 0)
        waitFor("the restart's note", seconds: 10) { vigil!.stderr.contains("was left open by a run that did not stop: observation stopped at") }
        let after = try stored()
        XCTAssertEqual(after.count, 4, "\(after)")
        XCTAssertTrue(after.allSatisfy { $0["observation_stopped"] as? Bool == true && $0["end"] is String }, "\(after)")
        vigil!.stop(signal: SIGTERM)
        XCTAssertEqual(try stored().count, 4)
    }
}
