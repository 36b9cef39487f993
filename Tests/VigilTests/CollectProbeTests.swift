import Foundation
import XCTest

/// The two planes together: a real BIRD announces a network to `vigil collect`,
/// which also probes it. Packets are then dropped while the routes stay (a DDoS or
/// filtering: unreachable-while-routed); later the routes are withdrawn and the
/// network goes dark (a withdrawal the data plane confirms).
final class CollectProbeTests: XCTestCase {
    func testRoutedButUnreachableThenWithdrawnAndConfirmed() throws {
        guard getuid() == 0 else { return XCTFail("needs root for namespaces and raw sockets (run scripts/test.sh as root)") }
        guard CLI.which("bird") != nil, CLI.which("nft") != nil else { return XCTFail("bird2 and nftables are needed: scripts/test.sh installs them") }
        let dir = try CLI.tempDir("collect-probe")
        let ns = try Netns(tag: "cp", subnet: "10.210")
        let base = (Int(getpid()) % 60) * 4
        let target = "10.95.\(base).0/22"
        let blocks = (0..<4).map { "10.95.\(base + $0).0/24" }
        var bird: Process?
        var vigil: Background?
        defer {
            vigil?.stop(signal: SIGKILL)
            bird?.terminate()
            bird?.waitUntilExit()
            _ = try? Netns.sh(["ip", "route", "del", target])
            ns.remove()
            try? FileManager.default.removeItem(at: dir)
        }
        // The namespace is AS65030's network behind its upstream AS65010 (BIRD): it answers
        // for the whole /22, which BIRD announces to the collector as four /24s.
        XCTAssertEqual(try ns.exec(["ip", "route", "add", "local", target, "dev", "lo"]), 0)
        XCTAssertEqual(try Netns.sh(["ip", "route", "add", target, "via", ns.peer]), 0)
        let sock = dir.appendingPathComponent("bird.ctl").path
        let birdConf = dir.appendingPathComponent("bird.conf").path
        try upstreamBIRDConfig(ns, port: 17902, routes: blocks.map { ($0, 65030) }).write(toFile: birdConf, atomically: true, encoding: .utf8)
        let eventsFile = dir.appendingPathComponent("events.jsonl").path
        let status = dir.appendingPathComponent("status.json").path
        let config = dir.appendingPathComponent("vigil.toml").path
        try """
            [collector]
            name = "probe"
            local_as = 12654
            router_id = "10.0.0.254"
            listen = "\(ns.host):17902"

            [[peer]]
            address = "\(ns.peer)"
            as = 65010

            [archive]
            directory = ""

            [store]
            database = "\(dir.appendingPathComponent("vigil.sqlite").path)"
            status_file = "\(status)"
            events_file = "\(eventsFile)"

            [detect]
            watch = ["AS65030"]
            full_feed_v4 = 1
            live_warmup = "3s"
            live_min_outage = "0s"

            [probe]
            rate = 2000
            round = "2s"
            timeout = 0.5
            baseline_rounds = 2

            [[probe.target]]
            prefix = "\(target)"
            entity = "AS65030"
            why = "test: AS65030's network"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        vigil = try Background(["collect", "--config", config], in: dir)
        bird = try ns.spawn(["bird", "-f", "-c", birdConf, "-s", sock, "-P", dir.appendingPathComponent("bird.pid").path])
        func events() -> [[String: Any]] { eventLines(eventsFile) }
        func find(_ change: String, _ cause: String) -> [String: Any]? {
            firstChange(events(), change, cause, "AS65030")
        }
        waitFor("the session, four routes and two probe rounds", seconds: 40) {
            let s = (try? CLI.vigil("collect", "--config", config, "--status").text) ?? ""
            return s.contains("  4  ") && vigil!.stderr.contains("probe round 3 AS65030")
        }
        XCTAssertTrue(vigil!.stderr.contains("probe census: 1024 addresses probed, 1024 answered, 4 of 4 blocks responsive, 4 judged"), vigil!.stderr)
        let statusText = try CLI.vigil("collect", "--config", config, "--status").text
        XCTAssertTrue(statusText.contains("probing, last round at") && statusText.contains("AS65030: 4 blocks, 4 judged: 4 up, 0 down"), statusText)
        sleep(3)  // past the live warm-up
        XCTAssertTrue(events().isEmpty, "\(events())")

        // 1. Echo requests dropped inside the network; the routes stay.
        XCTAssertEqual(try ns.exec(["nft", "add", "table", "inet", "ddos"]), 0)
        XCTAssertEqual(try ns.exec(["nft", "add", "chain", "inet", "ddos", "c", "{ type filter hook input priority 0; }"]), 0)
        XCTAssertEqual(try ns.exec(["nft", "add", "rule", "inet", "ddos", "c", "icmp", "type", "echo-request", "drop"]), 0)
        let dropped = Date()
        waitFor("unreachable-while-routed", seconds: 20) { find("opened", "unreachable-while-routed") != nil }
        print("unreachable-while-routed reported \(String(format: "%.1f", Date().timeIntervalSince(dropped))) s after the drop began")
        let opened = try XCTUnwrap(find("opened", "unreachable-while-routed"))
        XCTAssertEqual(opened["kind"] as? String, "outage")
        let evidence = try XCTUnwrap(opened["evidence"] as? [String: Any])
        XCTAssertEqual(Set(evidence["prefixes"] as? [String] ?? []), Set(blocks))
        let note = evidence["note"] as? String ?? ""
        XCTAssertTrue(note.contains("4 of 4 judged blocks unreachable while still routed") && note.contains("origin AS65030, 1 peers"), note)
        XCTAssertFalse(events().contains { $0["cause"] as? String == "bgp-withdrawal" }, "the routes never moved: \(events())")
        XCTAssertTrue(vigil!.stdout.contains("OPEN       AS65030 outage (unreachable-while-routed)"), vigil!.stdout)

        // The drop ends: the outage closes.
        XCTAssertEqual(try ns.exec(["nft", "delete", "table", "inet", "ddos"]), 0)
        waitFor("the data-plane recovery", seconds: 20) { find("closed", "unreachable-while-routed") != nil }

        // 2. The routes are withdrawn and the network goes dark with them.
        XCTAssertEqual(try ns.exec(["birdc", "-s", sock, "disable", "s4"]), 0)
        XCTAssertEqual(try ns.exec(["ip", "route", "del", "local", target, "dev", "lo"]), 0)
        XCTAssertEqual(try ns.exec(["ip", "route", "add", "unreachable", target]), 0)
        waitFor("the BGP outage", seconds: 20) { find("opened", "bgp-withdrawal") != nil }
        waitFor("the data plane's confirmation", seconds: 20) {
            events().contains { $0["change"] as? String == "updated" && $0["cause"] as? String == "bgp-withdrawal"
                && ((($0["evidence"] as? [String: Any])?["note"] as? String)?.contains("confirmed by the data plane") ?? false) }
        }
        let confirmed = try XCTUnwrap(events().last { $0["change"] as? String == "updated" && $0["cause"] as? String == "bgp-withdrawal" })
        let confirmation = (confirmed["evidence"] as? [String: Any])?["note"] as? String ?? ""
        XCTAssertTrue(confirmation.contains("4 of 4 judged blocks unreachable and 4 of them no longer routed"), confirmation)
        let outages = events().filter { $0["change"] as? String == "opened" && $0["kind"] as? String == "outage" }
        XCTAssertEqual(outages.count, 2, "one data-plane outage (part 1), one BGP outage (part 2), not a third: \(outages)")
        vigil!.stop()
        XCTAssertEqual(vigil!.process.terminationStatus, 0, vigil!.stderr)
    }
}
