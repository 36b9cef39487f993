import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// The body of a GET, or nil (bounded: 5 s).
func httpGet(_ url: String) -> String? {
    final class Box: @unchecked Sendable { var text: String? }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    var req = URLRequest(url: URL(string: url)!)
    req.timeoutInterval = 5
    URLSession.shared.dataTask(with: req) { data, response, _ in
        if (response as? HTTPURLResponse)?.statusCode == 200, let data { box.text = String(decoding: data, as: UTF8.self) }
        done.signal()
    }.resume()
    _ = done.wait(timeout: .now() + 6)
    return box.text
}

/// `vigil serve` with three kinds of source at once: a real BIRD peering over a namespace
/// link, the prober on the namespace's network, and an archive follower on a folder this
/// test writes MRT files into as a mirror would. Each source's event must reach the bus's
/// consumers (the events file, standard output), the metrics must count what came, and
/// SIGTERM must stop it cleanly: archives complete and readable by bgpdump, no event
/// opened by the shutdown.
final class ServeTests: XCTestCase {
    func testEverySourceReportsThroughOneProcessAndStopsCleanly() throws {
        guard getuid() == 0 else { return XCTFail("needs root for namespaces and raw sockets (run scripts/test.sh as root)") }
        guard CLI.which("bird") != nil, CLI.which("nft") != nil, CLI.which("bgpdump") != nil else {
            return XCTFail("bird2, nftables and bgpdump are needed: scripts/test.sh installs them")
        }
        let dir = try CLI.tempDir("serve")
        let ns = try Netns(tag: "sv", subnet: "10.211")
        let base = (Int(getpid()) % 60) * 4
        let target = "10.94.\(base).0/22"
        let blocks = (0..<4).map { "10.94.\(base + $0).0/24" }
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
        // The namespace is AS65030's network behind BIRD (AS65010), answering for the whole /22.
        XCTAssertEqual(try ns.exec(["ip", "route", "add", "local", target, "dev", "lo"]), 0)
        XCTAssertEqual(try Netns.sh(["ip", "route", "add", target, "via", ns.peer]), 0)
        let sock = dir.appendingPathComponent("bird.ctl").path
        let birdConf = dir.appendingPathComponent("bird.conf").path
        try upstreamBIRDConfig(ns, port: 17903, routes: blocks.map { ($0, 65030) }).write(toFile: birdConf, atomically: true, encoding: .utf8)

        // The followed collector's archives: a small world of three peers that carry AS65100's
        // two prefixes until the last 5-minute file withdraws them (real MRT, RIS names).
        let now = Int64(Date().timeIntervalSince1970)
        let t0 = now / 300 * 300 - 1800
        func stamp(_ t: Int64) -> String {
            let f = DateFormatter()
            f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
            f.timeZone = TimeZone(identifier: "UTC")
            return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
        }
        let scenario = dir.appendingPathComponent("mirror.toml").path
        try """
            name = "a followed collector"
            start = "\(stamp(t0))"
            end = "\(stamp(t0 + 1800))"
            seed = 1
            collector = "sim01"
            [peers]
            full = 3
            partial = 0
            [background]
            prefixes = 20
            origins = 5
            flaps_per_hour = 0
            path_changes_per_hour = 0
            session_resets_per_day = 0
            [[entity]]
            name = "AS65100"
            origin = 65100
            upstream = 65101
            prefixes = ["10.97.0.0/24", "10.97.1.0/24"]
            [[event]]
            kind = "withdraw"
            entity = "AS65100"
            start = "\(stamp(t0 + 1500))"
            end = "\(stamp(t0 + 1800))"
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let made = dir.appendingPathComponent("made")
        XCTAssertEqual(try CLI.vigil("simulate", scenario, "--out", made.path).status, 0)
        let follow = dir.appendingPathComponent("follow")
        try FileManager.default.createDirectory(at: follow, withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: made.path).sorted()
        let withdrawal = "updates.\(String(stamp(t0 + 1500).prefix(10)).replacingOccurrences(of: "-", with: "")).\(stamp(t0 + 1500).dropFirst(11).prefix(5).replacingOccurrences(of: ":", with: "")).gz"
        XCTAssertTrue(files.contains(withdrawal), "\(withdrawal) in \(files)")
        for f in files where f < withdrawal || f.hasPrefix("bview.") {
            try FileManager.default.copyItem(atPath: made.appendingPathComponent(f).path, toPath: follow.appendingPathComponent(f).path)
        }

        let eventsFile = dir.appendingPathComponent("events.jsonl").path
        let archive = dir.appendingPathComponent("archive")
        let metricsPort = 19_000 + Int(getpid()) % 1000
        let config = dir.appendingPathComponent("vigil.toml").path
        try """
            [collector]
            name = "serve"
            local_as = 12654
            router_id = "10.0.0.254"
            listen = "\(ns.host):17903"

            [[peer]]
            address = "\(ns.peer)"
            as = 65010

            [archive]
            directory = "\(archive.path)"

            [store]
            database = "\(dir.appendingPathComponent("vigil.sqlite").path)"
            status_file = ""
            events_file = "\(eventsFile)"

            [detect]
            watch = ["AS65030", "AS65100"]
            full_feed_v4 = 1
            live_warmup = "3s"
            live_min_outage = "0s"

            [[follow]]
            folder = "\(follow.path)"
            collector = "sim01"
            start = "\(stamp(t0))"
            poll = "1s"

            [probe]
            rate = 2000
            round = "2s"
            timeout = 0.5
            baseline_rounds = 2

            [[probe.target]]
            prefix = "\(target)"
            entity = "AS65030"
            why = "test: AS65030's network"

            [metrics]
            listen = "127.0.0.1:\(metricsPort)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertTrue(try CLI.vigil("serve", "--config", config, "--check").text.contains("following sim01, probing 1 targets"))
        vigil = try Background(["serve", "--config", config], in: dir)
        bird = try ns.spawn(["bird", "-f", "-c", birdConf, "-s", sock, "-P", dir.appendingPathComponent("bird.pid").path])
        func events() -> [[String: Any]] { eventLines(eventsFile) }
        func find(_ change: String, _ cause: String, _ entity: String) -> [String: Any]? {
            firstChange(events(), change, cause, entity)
        }
        func metrics() -> String {
            httpGet("http://127.0.0.1:\(metricsPort)/metrics") ?? ""
        }
        waitFor("the session, the followed files and two probe rounds", seconds: 40) {
            let m = metrics()
            return m.contains("vigil_sessions_up 1") && m.contains("vigil_source_received_total{source=\"follow sim01\"} \(files.count - 1)")
                && vigil!.stderr.contains("probe round 3 AS65030")
        }
        let status = try CLI.vigil("status", "--config", config).text
        print("vigil status while running:\n\(status)")
        for s in ["bgp: up", "follow sim01: ", "probe: up", "1 of 1 sessions established"] {
            XCTAssertTrue(status.contains(s), "status says \(s): \(status)")
        }
        sleep(4)  // past the live warm-up
        XCTAssertTrue(events().isEmpty, "nothing happened yet: \(events())")

        // 1. The follower: the mirror publishes the file in which AS65100's routes are withdrawn.
        try FileManager.default.copyItem(atPath: made.appendingPathComponent(withdrawal).path, toPath: follow.appendingPathComponent(withdrawal).path)
        var t = Date()
        waitFor("the followed withdrawal", seconds: 20) { find("opened", "bgp-withdrawal", "AS65100") != nil }
        print("follower: AS65100 outage \(String(format: "%.1f", Date().timeIntervalSince(t))) s after its file appeared (poll 1 s)")
        let followed = try XCTUnwrap(find("opened", "bgp-withdrawal", "AS65100"))
        XCTAssertEqual(followed["version"] as? Int, 1)
        let peers = ((followed["evidence"] as? [String: Any])?["peers_in_order"] as? [String]) ?? []
        XCTAssertEqual(Set(peers), ["10.0.0.1 AS64600", "10.0.0.2 AS64601", "10.0.0.3 AS64602"], "the followed collector's three peers withdrew")

        // 2. The prober: echo requests dropped inside the network while the routes stay.
        XCTAssertEqual(try ns.exec(["nft", "add", "table", "inet", "ddos"]), 0)
        XCTAssertEqual(try ns.exec(["nft", "add", "chain", "inet", "ddos", "c", "{ type filter hook input priority 0; }"]), 0)
        XCTAssertEqual(try ns.exec(["nft", "add", "rule", "inet", "ddos", "c", "icmp", "type", "echo-request", "drop"]), 0)
        t = Date()
        waitFor("unreachable-while-routed", seconds: 20) { find("opened", "unreachable-while-routed", "AS65030") != nil }
        print("prober: AS65030 unreachable-while-routed \(String(format: "%.1f", Date().timeIntervalSince(t))) s after the drop began (rounds of 2 s)")
        XCTAssertEqual(try ns.exec(["nft", "delete", "table", "inet", "ddos"]), 0)
        waitFor("the data-plane recovery", seconds: 20) { find("closed", "unreachable-while-routed", "AS65030") != nil }

        // 3. The BGP peer: BIRD withdraws AS65030's routes.
        XCTAssertEqual(try ns.exec(["birdc", "-s", sock, "disable", "s4"]), 0)
        t = Date()
        waitFor("the BGP outage", seconds: 20) { find("opened", "bgp-withdrawal", "AS65030") != nil }
        print("bgp: AS65030 outage \(String(format: "%.1f", Date().timeIntervalSince(t))) s after birdc disable")
        XCTAssertTrue(vigil!.stdout.contains("OPEN       AS65100 outage (bgp-withdrawal)"), vigil!.stdout)
        XCTAssertTrue(vigil!.stdout.contains("OPEN       AS65030 outage (unreachable-while-routed)"), vigil!.stdout)
        XCTAssertTrue(vigil!.stdout.contains("OPEN       AS65030 outage (bgp-withdrawal)"), vigil!.stdout)

        // The metrics count what each source brought.
        let m = metrics()
        print("metrics:\n" + m.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.contains("_bucket") }.joined(separator: "\n"))
        for line in ["vigil_source_up{source=\"bgp\"} 1", "vigil_source_up{source=\"probe\"} 1", "vigil_bus_dropped_total{subscriber=\"events\"} 0"] {
            XCTAssertTrue(m.contains(line), "metrics have \(line):\n\(m)")
        }
        let sent = m.split(separator: "\n").first { $0.hasPrefix("vigil_probes_sent_total ") }.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        XCTAssertGreaterThan(sent, 1024, m)
        XCTAssertTrue(m.contains("vigil_elements_total "), m)

        // SIGHUP: the watch list is read again (AS65100 leaves); what cannot change while running is named.
        try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "watch = [\"AS65030\", \"AS65100\"]", with: "watch = [\"AS65030\"]")
            .replacingOccurrences(of: "poll = \"1s\"", with: "poll = \"2s\"")
            .write(toFile: config, atomically: true, encoding: .utf8)
        kill(vigil!.process.processIdentifier, SIGHUP)
        waitFor("the reload", seconds: 10) { vigil!.stderr.contains("watching AS65030\n") }
        XCTAssertTrue(vigil!.stderr.contains("reload: follow changed: they take effect on restart"), vigil!.stderr)
        XCTAssertTrue(vigil!.process.isRunning)

        // SIGTERM: a clean stop. Nothing opens because Vigil leaves; what is open ends as "observation stopped".
        let before = events().count
        vigil!.stop()
        XCTAssertEqual(vigil!.process.terminationStatus, 0, vigil!.stderr)
        let after = events().dropFirst(before)
        XCTAssertFalse(after.contains { $0["change"] as? String == "opened" }, "the shutdown opened an event: \(Array(after))")
        XCTAssertTrue(after.allSatisfy { $0["change"] as? String == "observation-stopped" }, "\(Array(after))")
        XCTAssertTrue(vigil!.stderr.contains("stopping"), vigil!.stderr)

        // The archive of the BGP session: complete files only, every one read by bgpdump.
        let archived = try FileManager.default.contentsOfDirectory(atPath: archive.appendingPathComponent("serve").path)
        XCTAssertFalse(archived.isEmpty)
        XCTAssertFalse(archived.contains { $0.hasPrefix(".") }, "no file left half-written: \(archived)")
        var lines = ""
        for f in archived.sorted() {
            let r = try CLI.run(CLI.which("bgpdump")!, ["-m", archive.appendingPathComponent("serve").appendingPathComponent(f).path])
            XCTAssertEqual(r.status, 0, "bgpdump \(f)")
            lines += r.text
        }
        for b in blocks {
            XCTAssertTrue(lines.contains("|A|\(ns.peer)|65010|\(b)|"), "announcement of \(b) archived")
            XCTAssertTrue(lines.contains("|W|\(ns.peer)|65010|\(b)"), "withdrawal of \(b) archived")
        }
    }
}
