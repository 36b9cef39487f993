import Foundation
import XCTest
import BGPWire
import MRT
@testable import Collector
#if canImport(Glibc)
import Glibc
#endif

/// A real ExaBGP, in a network namespace this test creates (`PeerLab`, in
/// FRRPeerTests.swift), peers with a Vigil listener over IPv4 and IPv6. It
/// is driven through its process API: a helper process `tail`s a command file
/// the test appends to. Routes are announced, withdrawn and flapped, the IPv4
/// session is torn down with a Cease (ExaBGP comes straight back and re-sends
/// its routes), and the daemon stopped.
final class ExaBGPPeerTests: XCTestCase {
    func testExaBGPAnnouncesWithdrawsAndLeavesOverIPv4AndIPv6() throws {
        guard getuid() == 0 else { return XCTFail("needs root for network namespaces (run scripts/test.sh as root)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/exabgp")
        else { return XCTFail("exabgp missing: `apt-get install -y exabgp` (scripts/test.sh should install it)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/bgpdump") else { return XCTFail("bgpdump not installed") }

        let lab = try PeerLab(tag: "e", secondOctet: 205)
        defer { lab.teardown() }
        let seen = RouteLog()
        let archiveDir = lab.dir.appendingPathComponent("archive").path
        let archive = SharedArchive(try ArchiveWriter(directory: archiveDir, gzip: false))
        var config = SessionMachine.Config(localAS: 12654, routerID: 0x0A00_00FE)
        config.holdTime = 30
        // One listener on both transports (one event loop: the archive stays in order).
        let listener = BGPListener(config: config, archive: archive, events: seen.events)
        defer { listener.stop() }
        let port4 = try listener.start(host: lab.ours4, port: 0)
        let port6 = try listener.start(host: lab.ours6, port: 0)

        // The process API: ExaBGP reads commands from the helper's standard output.
        let commands = lab.dir.appendingPathComponent("commands").path
        _ = FileManager.default.createFile(atPath: commands, contents: nil)
        let feeder = lab.dir.appendingPathComponent("feeder.sh").path
        try "#!/bin/sh\nexec tail -n +1 -F \(commands)\n".write(toFile: feeder, atomically: true, encoding: .utf8)
        chmod(feeder, 0o755)
        func neighbor(_ ours: String, _ theirs: String, _ port: Int, _ family: String) -> String {
            """
            neighbor \(ours) {
              router-id \(lab.theirs4);
              local-address \(theirs);
              local-as 65050;
              peer-as 12654;
              hold-time 30;
              connect \(port);
              family { \(family); }
              api { processes [ feeder ]; }
            }

            """
        }
        let conf = lab.dir.appendingPathComponent("exabgp.conf").path
        try ("process feeder {\n  run \(feeder);\n  encoder text;\n}\n\n"
            + neighbor(lab.ours4, lab.theirs4, port4, "ipv4 unicast") + neighbor(lab.ours6, lab.theirs6, port6, "ipv6 unicast"))
            .write(toFile: conf, atomically: true, encoding: .utf8)
        let daemon = try lab.spawn(["exabgp", conf], environment: ["exabgp_daemon_user": "root", "exabgp_api_ack": "false",
                                                                   "exabgp_log_destination": "stdout"], log: "exabgp.log")
        func send(_ lines: [String]) {
            guard let h = FileHandle(forWritingAtPath: commands) else { return XCTFail("cannot write \(commands)") }
            h.seekToEndOfFile()
            h.write(Data(lines.map { $0 + "\n" }.joined().utf8))
            h.closeFile()
        }
        func route(_ verb: String, _ prefix: String) -> String {
            "neighbor \(prefix.contains(":") ? lab.ours6 : lab.ours4) \(verb) route \(prefix) next-hop self"
        }
        let p4 = lab.theirs4, p6 = lab.theirs6
        func announced(_ peer: String, _ prefixes: [String]) -> [Int] { seen.with { s in prefixes.map { s.announced[peer + " " + $0, default: 0] } } }
        func withdrawn(_ peer: String, _ prefixes: [String]) -> [Int] { seen.with { s in prefixes.map { s.withdrawn[peer + " " + $0, default: 0] } } }

        lab.wait("both sessions") { seen.with { $0.established } == [p4: 1, p6: 1] }
        XCTAssertEqual(seen.with { $0.families }, [p4: [.ipv4Unicast], p6: [.ipv6Unicast]])

        let v4 = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]
        let v6 = ["2001:db8:50::/48", "2001:db8:51::/48", "2001:db8:52::/48"]
        send((v4 + v6).map { route("announce", $0) })
        lab.wait("ExaBGP's routes") { announced(p4, v4) == [1, 1, 1] && announced(p6, v6) == [1, 1, 1] }
        send([route("withdraw", v4[1]), route("withdraw", v6[1])])
        lab.wait("the withdrawals") { withdrawn(p4, v4) == [0, 1, 0] && withdrawn(p6, v6) == [0, 1, 0] }
        let flaps = 2
        for i in 1...flaps {
            send([route("withdraw", v4[2]), route("withdraw", v6[2])])
            lab.wait("flap \(i) down") { withdrawn(p4, [v4[2]]) == [i] && withdrawn(p6, [v6[2]]) == [i] }
            send([route("announce", v4[2]), route("announce", v6[2])])
            lab.wait("flap \(i) up") { announced(p4, [v4[2]]) == [i + 1] && announced(p6, [v6[2]]) == [i + 1] }
        }

        // `teardown 2`: a Cease / Administrative Shutdown on the IPv4 session. ExaBGP treats it
        // as a reset: it dials again at once and sends its routes again.
        send(["neighbor \(lab.ours4) teardown 2"])
        lab.wait("the IPv4 session to go down") { seen.with { $0.down[p4] } == 1 }
        lab.wait("the IPv4 session again") { seen.with { $0.established[p4] } == 2 }
        lab.wait("the IPv4 routes again") { announced(p4, v4) == [2, 1, 2 + flaps] }
        // Then the daemon stops: it closes both connections without a NOTIFICATION.
        PeerLab.stop(daemon)
        lab.wait("both sessions to go down") { seen.with { $0.down } == [p4: 2, p6: 1] }
        listener.stop()

        let reasons = seen.with { $0.downReasons }
        XCTAssertEqual(reasons[p4], ["peer sent NOTIFICATION 6/2", "connection closed"], "teardown 2: Cease, administrative shutdown")
        XCTAssertEqual(reasons[p6], ["connection closed"])
        XCTAssertEqual(seen.with { $0.established }, [p4: 2, p6: 1])
        XCTAssertEqual(seen.with { $0.otherDecisions }, [], "ExaBGP's UPDATEs are all well formed")
        XCTAssertEqual(announced(p4, v4), [2, 1, 2 + flaps])
        XCTAssertEqual(withdrawn(p4, v4), [0, 1, flaps])
        XCTAssertEqual(announced(p6, v6), [1, 1, 1 + flaps])
        XCTAssertEqual(withdrawn(p6, v6), [0, 1, flaps])

        let lines = try PeerLab.readArchive(archiveDir)
        let text = lines.map { $0.joined(separator: "|") }.joined(separator: "\n")
        func count(_ type: String, _ peer: String, _ prefix: String) -> Int {
            lines.filter { $0[2] == type && $0[3] == peer && $0[5] == prefix }.count
        }
        XCTAssertEqual(v4.map { count("A", p4, $0) }, [2, 1, 2 + flaps], text)
        XCTAssertEqual(v4.map { count("W", p4, $0) }, [0, 1, flaps], text)
        XCTAssertEqual(v6.map { count("A", p6, $0) }, [1, 1, 1 + flaps], text)
        XCTAssertEqual(v6.map { count("W", p6, $0) }, [0, 1, flaps], text)
        let ann = lines.filter { $0[2] == "A" }
        XCTAssertTrue(ann.allSatisfy { $0[4] == "65050" && $0[6] == "65050" && $0[7] == "IGP" && $0[8] == $0[3] }, text)
        XCTAssertEqual(lines.filter { $0[2] == "STATE" && $0[3] == p4 }.map { "\($0[5])>\($0[6])" }, ["5>6", "6>1", "5>6", "6>1"], text)
        XCTAssertEqual(lines.filter { $0[2] == "STATE" && $0[3] == p6 }.map { "\($0[5])>\($0[6])" }, ["5>6", "6>1"], text)
    }
}
