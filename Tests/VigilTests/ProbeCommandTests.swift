import Foundation
import XCTest

/// `vigil probe`: its configuration errors, and a congested link diagnosed as latency degradation.
final class ProbeCommandTests: XCTestCase {
    func testConfigurationErrorsSayWhereAndWhat() throws {
        let dir = try CLI.tempDir("probe-config")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            ("[probe]\nrate = 1000\n", "vigil.toml:1: probe: no [[probe.target]]: probing stays off until targets are configured"),
            ("[probe]\n[[probe.target]]\nprefix = \"10.0.0.0/33\"\n", "vigil.toml:3: probe.target.1.prefix: '10.0.0.0/33' is not a prefix"),
            ("[probe]\nspeed = 3\n[[probe.target]]\nprefix = \"10.0.0.0/24\"\n", "vigil.toml:2: probe.speed: unknown key"),
            ("[probe]\n[[probe.target]]\nprefix = \"2001:db8::/48\"\n", "vigil.toml:2: probe.target.1.hosts: an IPv6 target needs its known addresses"),
            ("[probe]\nsocket = \"udp\"\n[[probe.target]]\nprefix = \"10.0.0.0/24\"\n", "vigil.toml:2: probe.socket: must be \"raw\", \"datagram\" or \"auto\""),
            ("[probe]\n[[probe.target]]\nprefix = \"10.0.0.0/8\"\n[[probe.target]]\nprefix = \"10.1.0.0/24\"\nentity = \"nowhere\"\n",
             "vigil.toml:6: probe.target.2.entity: 'nowhere' is not a country code, ASn or prefix"),
            ("[store]\ndatabase = \"x.sqlite\"\n", "vigil.toml: nothing to probe: add a [probe] section"),
            // The operator's ceiling: the default is 10,000 probes/s.
            ("[probe]\nrate = 20000\n[[probe.target]]\nprefix = \"10.0.0.0/24\"\n",
             "probe.rate: 20000 probes/s is above probe.max_rate (10000, the ceiling; raise it if you mean it)"),
            ("[probe]\nrate = 20000\nmax_rate = 5000\n[[probe.target]]\nprefix = \"10.0.0.0/24\"\n",
             "probe.rate: 20000 probes/s is above probe.max_rate (5000, the ceiling; raise it if you mean it)"),
        ]
        for (text, expected) in cases {
            let path = dir.appendingPathComponent("vigil.toml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try CLI.run(CLI.vigil, ["probe", "--config", path])
            XCTAssertEqual(r.status, 2, text)
            XCTAssertTrue(r.stderr.contains(expected.replacingOccurrences(of: "vigil.toml", with: path)), "\(text)\n→ \(r.stderr)")
        }
        // Numbers on the command line have the file's ranges (inf used to trap where it became a count).
        for (option, value, expected) in [("--rate", "inf", "--rate must be 1...10000000 probes/s"),
                                          ("--round", "1e300", "--round must be 1...31622400 seconds"),
                                          ("--timeout", "nan", "--timeout must be 0.01...60 seconds")] {
            let r = try CLI.vigil("probe", "--target", "192.0.2.0/24", option, value, "--db", "")
            XCTAssertEqual(r.status, 64, "\(option) \(value): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(option) \(value): \(r.stderr)")
        }
        // --rate above the ceiling needs --force.
        let fast = try CLI.vigil("probe", "--target", "192.0.2.0/24", "--rate", "50000", "--db", "")
        XCTAssertEqual(fast.status, 64, fast.stderr)
        XCTAssertTrue(fast.stderr.contains("--rate 50000: above the ceiling of 10000 probes/s (probe.max_rate in the config); --force exceeds it"), fast.stderr)
        let none = try CLI.vigil("probe", "--db", "")
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("nothing to probe"), none.stderr)
        // The collector's file may carry the probe section; --check reports it.
        let path = dir.appendingPathComponent("collect.toml").path
        try "[collector]\nlisten = \"127.0.0.1:0\"\n[probe]\n[[probe.target]]\nprefix = \"192.0.2.0/24\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let check = try CLI.vigil("collect", "--config", path, "--check")
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.text.contains("probing 1 targets"), check.text)
    }

    /// A target wholly on the never-probe list is not probed and measures nothing: no rows of zeros, a clear word, and
    /// with nothing left to probe, an error before anything is stored.
    func testAnExcludedTargetIsNamedNotMeasuredAsZero() throws {
        guard getuid() == 0 else { return XCTFail("needs root for raw ICMP sockets (run scripts/test.sh as root)") }
        let dir = try CLI.tempDir("probe-never")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("vigil.db").path
        let none = try CLI.vigil("probe", "--target", "192.0.2.0/24", "--never", "192.0.2.0/23", "--rounds", "1", "--db", db)
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("target 192.0.2.0/24 (192.0.2.0/24) is not probed: it lies wholly on the never-probe list"), none.stderr)
        XCTAssertTrue(none.stderr.contains("nothing to probe"), none.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: db))
        let loopback = try CLI.vigil("probe", "--target", "127.0.0.0/24", "--rounds", "1", "--db", db)
        XCTAssertNotEqual(loopback.status, 0)
        XCTAssertTrue(loopback.stderr.contains("target 127.0.0.0/24 (127.0.0.0/24) is not probed"), loopback.stderr)

        // One target left: it is probed; the excluded one has no rows at all.
        let some = try CLI.vigil("probe", "--target", "192.0.2.0/24", "--target", "198.51.100.0/30", "--never", "192.0.2.0/24",
                                 "--rounds", "1", "--timeout", "0.2", "--db", db)
        XCTAssertEqual(some.status, 0, some.stderr)
        XCTAssertTrue(some.stderr.contains("target 192.0.2.0/24 (192.0.2.0/24) is not probed"), some.stderr)
        let rows = try CLI.vigil("series", "192.0.2.0/24", "--probes", "--db", db)
        XCTAssertEqual(rows.status, 1, rows.text)
        XCTAssertTrue(rows.stderr.contains("no stored probing rounds for 192.0.2.0/24"), rows.stderr)
        XCTAssertEqual(try CLI.vigil("series", "198.51.100.0/30", "--probes", "--db", db).status, 0)
    }

    /// A token-bucket qdisc shapes the path to the probed blocks while a UDP flood
    /// slightly above its rate fills the queue (as a DDoS does): the blocks stay up,
    /// their RTT climbs from microseconds to hundreds of milliseconds, and Vigil reports
    /// latency degradation against the entity's own baseline — then its end.
    func testCongestedLinkIsLatencyDegradation() throws {
        guard getuid() == 0 else { return XCTFail("needs root for raw sockets and namespaces (run scripts/test.sh as root)") }
        let dir = try CLI.tempDir("probe-congestion")
        let ns = try Netns(tag: "pc", subnet: "10.209")
        let id = Int(getpid()) % 200 + 20
        let blocks = "10.96.\((id % 60) * 4).0/23"
        var vigil: Background?
        var flood: Process?
        defer {
            flood?.terminate()
            vigil?.stop(signal: SIGKILL)
            _ = try? Netns.sh(["ip", "route", "del", blocks])
            ns.remove()
            try? FileManager.default.removeItem(at: dir)
        }
        XCTAssertEqual(try ns.exec(["ip", "route", "add", "local", blocks, "dev", "lo"]), 0)
        XCTAssertEqual(try Netns.sh(["ip", "route", "add", blocks, "via", ns.peer]), 0)
        let events = dir.appendingPathComponent("events.jsonl").path
        let db = dir.appendingPathComponent("vigil.sqlite").path
        let config = dir.appendingPathComponent("vigil.toml").path
        try """
            [store]
            database = "\(db)"
            events_file = "\(events)"

            [probe]
            rate = 2000
            round = "2s"
            timeout = 1.5
            baseline_rounds = 3

            [[probe.target]]
            prefix = "\(blocks)"
            entity = "AS64510"
            why = "test: congested path"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        vigil = try Background(["probe", "--config", config], in: dir)
        func lines() -> [[String: Any]] {
            let text = (try? String(contentsOfFile: events, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        waitFor("four quiet rounds", seconds: 30) { vigil!.stderr.contains("round 4 AS64510") }
        XCTAssertTrue(vigil!.stderr.contains("census: 512 addresses probed, 512 answered"), vigil!.stderr)
        XCTAssertTrue(lines().isEmpty, "\(lines())")

        // Shape the host→namespace direction to 1 Mbit/s with up to 300 ms of queue, and
        // flood it at ~1.25 Mbit/s (150 datagrams of 1000 bytes a second, for at most 40 s).
        XCTAssertEqual(try Netns.sh(["tc", "qdisc", "add", "dev", ns.hostIf, "root", "tbf", "rate", "1mbit", "burst", "10kb", "latency", "300ms"]), 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            t0 = time.time(); i = 0
            while time.time() < t0 + 40:
                try: s.sendto(b'x' * 1000, ('\(ns.peer)', 9))
                except OSError: pass
                i += 1
                time.sleep(max(0, t0 + i / 150 - time.time()))
            """]
        try p.run()
        flood = p
        waitFor("latency degradation", seconds: 30) { lines().contains { $0["change"] as? String == "opened" && $0["cause"] as? String == "latency-degradation" } }
        let opened = try XCTUnwrap(lines().first { $0["change"] as? String == "opened" && $0["cause"] as? String == "latency-degradation" })
        XCTAssertEqual(opened["entity"] as? String, "AS64510")
        XCTAssertEqual(opened["kind"] as? String, "degradation")
        let evidence = try XCTUnwrap(opened["evidence"] as? [String: Any])
        let baseline = try XCTUnwrap(evidence["baseline"] as? Double), worst = try XCTUnwrap(evidence["worst"] as? Double)
        print("congestion: RTT baseline \(baseline * 1000) ms, worst \(worst * 1000) ms; \(evidence["note"] ?? "")")
        XCTAssertLessThan(baseline, 0.01, "an uncongested veth answers in well under 10 ms")
        XCTAssertGreaterThan(worst, 0.05, "the queue adds tens to hundreds of ms")
        XCTAssertTrue(vigil!.stdout.contains("OPEN       AS64510 degradation (latency-degradation)"), vigil!.stdout)

        // The flood ends and the shaping goes: the degradation closes.
        flood?.terminate()
        flood?.waitUntilExit()
        XCTAssertEqual(try Netns.sh(["tc", "qdisc", "del", "dev", ns.hostIf, "root"]), 0)
        waitFor("the end of the degradation", seconds: 30) { lines().contains { $0["change"] as? String == "closed" && $0["cause"] as? String == "latency-degradation" } }
        XCTAssertFalse(lines().contains { $0["kind"] as? String == "outage" }, "slowness is not an outage: \(lines())")
        vigil!.stop()
        XCTAssertEqual(vigil!.process.terminationStatus, 0, vigil!.stderr)

        // The store has the rounds and the event.
        let stored = try CLI.vigil("events", "--db", db)
        XCTAssertTrue(stored.text.contains("latency-degradation"), stored.text)
        let rows = try CLI.run("/usr/bin/env", ["python3", "-c", "import sqlite3; c = sqlite3.connect('\(db)'); print(c.execute(\"select count(*), max(rtt_median), min(rtt_median) from probes where entity = 'AS64510'\").fetchone()); print(c.execute(\"select why, state from probe_blocks\").fetchall())"])
        XCTAssertTrue(rows.text.contains("'test: congested path', 'up'"), rows.text)
        let listed = try CLI.vigil("probe", "--blocks", "--db", db)
        let lines = listed.text.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, listed.text + listed.stderr)
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.contains("\tAS64510\tup\t") && $0.hasSuffix("\ttest: congested path") && $0.contains("\t256\t") },
                      listed.text)
        print("probes table: \(rows.text)")
    }
}
