import Foundation
import XCTest
import BGPWire
import MRT
@testable import Collector
#if canImport(Glibc)
import Glibc
#endif

/// A real FRR `bgpd` (without zebra), in a network namespace this test creates,
/// peers with a Vigil listener over one veth pair: one session over IPv4
/// carrying IPv4 routes, one over IPv6 carrying IPv6 routes (MP-BGP). FRR
/// announces, withdraws, flaps a prefix of each family three times, is reset
/// (`clear bgp *`), shuts one neighbor down and stops. The test checks what the
/// listener saw and what it archived, read by Vigil and by Debian's bgpdump.
final class FRRPeerTests: XCTestCase {
    func testFRRAnnouncesWithdrawsFlapsAndLeavesOverIPv4AndIPv6() throws {
        let bgpd = "/usr/lib/frr/bgpd"
        guard getuid() == 0 else { return XCTFail("needs root for network namespaces (run scripts/test.sh as root)") }
        guard FileManager.default.isExecutableFile(atPath: bgpd), FileManager.default.isExecutableFile(atPath: "/usr/bin/vtysh")
        else { return XCTFail("frr (bgpd, vtysh) not installed: scripts/test.sh installs it") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/bgpdump") else { return XCTFail("bgpdump not installed") }

        let lab = try PeerLab(tag: "f", secondOctet: 202)
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

        let v4 = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]
        let v6 = ["2001:db8:1::/48", "2001:db8:2::/48", "2001:db8:3::/48"]
        let conf = lab.dir.appendingPathComponent("bgpd.conf").path
        try lab.frrConfig(hostname: "vigil-frr", port4: port4, port6: port6, neighbor: ["advertisement-interval 0"], v4: v4, v6: v6)
            .write(toFile: conf, atomically: true, encoding: .utf8)
        let vty = lab.dir.path
        // In the foreground (no -d), so the test owns the process; no zebra (-Z), as root (-S), no vty TCP port.
        let daemon = try lab.spawn([bgpd, "-f", conf, "-Z", "-S", "-i", lab.dir.appendingPathComponent("bgpd.pid").path,
                                    "--vty_socket", vty, "-A", "127.0.0.1", "-P", "0"])
        @discardableResult
        func vtysh(_ commands: [String]) -> Int32 {
            var args = ["vtysh", "--vty_socket", vty, "-c", "configure terminal", "-c", "router bgp 65020"]
            for c in commands { args += ["-c", c] }
            let rc = PeerLab.sh(args).status
            XCTAssertEqual(rc, 0, "vtysh \(commands)")
            return rc
        }
        func network(_ prefix: String, _ on: Bool) {
            vtysh(["address-family \(prefix.contains(":") ? "ipv6" : "ipv4") unicast", (on ? "" : "no ") + "network \(prefix)"])
        }
        let p4 = lab.theirs4, p6 = lab.theirs6
        func announced(_ peer: String, _ prefixes: [String]) -> [Int] { seen.with { s in prefixes.map { s.announced[peer + " " + $0, default: 0] } } }
        func withdrawn(_ peer: String, _ prefixes: [String]) -> [Int] { seen.with { s in prefixes.map { s.withdrawn[peer + " " + $0, default: 0] } } }

        // Both sessions come up and carry their three routes each.
        lab.wait("both sessions") { seen.with { $0.established.values.reduce(0, +) } == 2 }
        XCTAssertEqual(seen.with { $0.established }, [p4: 1, p6: 1])
        XCTAssertEqual(seen.with { $0.families }, [p4: [.ipv4Unicast], p6: [.ipv6Unicast]])
        lab.wait("FRR's IPv4 routes") { announced(p4, v4) == [1, 1, 1] }
        lab.wait("FRR's IPv6 routes") { announced(p6, v6) == [1, 1, 1] }

        // One withdrawal per family.
        network(v4[1], false)
        network(v6[1], false)
        lab.wait("the withdrawals") { withdrawn(p4, [v4[1]]) == [1] && withdrawn(p6, [v6[1]]) == [1] }

        // A flap: three times withdrawn and announced again, each step seen before the next.
        let flaps = 3
        for i in 1...flaps {
            network(v4[2], false)
            network(v6[2], false)
            lab.wait("flap \(i) down") { withdrawn(p4, [v4[2]]) == [i] && withdrawn(p6, [v6[2]]) == [i] }
            network(v4[2], true)
            network(v6[2], true)
            lab.wait("flap \(i) up") { announced(p4, [v4[2]]) == [i + 1] && announced(p6, [v6[2]]) == [i + 1] }
        }

        // A hard reset: FRR sends a Cease, both sessions drop, FRR dials again and re-sends its table.
        XCTAssertEqual(PeerLab.sh(["vtysh", "--vty_socket", vty, "-c", "clear bgp *"]).status, 0)
        lab.wait("the reset sessions to go down") { seen.with { $0.down.values.reduce(0, +) } == 2 }
        lab.wait("both sessions again") { seen.with { $0.established } == [p4: 2, p6: 2] }
        lab.wait("the table again") {
            announced(p4, v4) == [2, 1, flaps + 2] && announced(p6, v6) == [2, 1, flaps + 2]
        }
        // The IPv4 neighbor shut down administratively, then the daemon stopped.
        vtysh(["neighbor \(lab.ours4) shutdown"])
        lab.wait("the IPv4 session to go down") { seen.with { $0.down[p4] } == 2 }
        PeerLab.stop(daemon)
        lab.wait("the IPv6 session to go down") { seen.with { $0.down[p6] } == 2 }
        listener.stop()

        let reasons = seen.with { $0.downReasons }
        XCTAssertEqual(reasons[p4]?.first, "peer sent NOTIFICATION 6/4", "clear bgp: Cease, administrative reset")
        XCTAssertEqual(reasons[p4]?.last, "peer sent NOTIFICATION 6/2", "neighbor shutdown: Cease, administrative shutdown")
        XCTAssertEqual(reasons[p6], ["peer sent NOTIFICATION 6/4", "peer sent NOTIFICATION 6/3"], "stopped: Cease, peer de-configured")
        XCTAssertEqual(seen.with { $0.otherDecisions }, [], "FRR's UPDATEs are all well formed")
        // Exactly what the listener saw, and no more.
        XCTAssertEqual(announced(p4, v4), [2, 1, flaps + 2])
        XCTAssertEqual(withdrawn(p4, v4), [0, 1, flaps])
        XCTAssertEqual(announced(p6, v6), [2, 1, flaps + 2])
        XCTAssertEqual(withdrawn(p6, v6), [0, 1, flaps])

        // The archive: the same story, read identically by Vigil and by Debian's bgpdump.
        let lines = try PeerLab.readArchive(archiveDir)
        let text = lines.map { $0.joined(separator: "|") }.joined(separator: "\n")
        func count(_ type: String, _ peer: String, _ prefix: String) -> Int {
            lines.filter { $0[2] == type && $0[3] == peer && $0[5] == prefix }.count
        }
        XCTAssertEqual(v4.map { count("A", p4, $0) }, [2, 1, flaps + 2], text)
        XCTAssertEqual(v4.map { count("W", p4, $0) }, [0, 1, flaps], text)
        XCTAssertEqual(v6.map { count("A", p6, $0) }, [2, 1, flaps + 2], text)
        XCTAssertEqual(v6.map { count("W", p6, $0) }, [0, 1, flaps], text)
        XCTAssertEqual(lines.filter { $0[2] == "A" || $0[2] == "W" }.count, 2 * (2 + 1 + flaps + 2 + 1 + flaps), text)
        // The flap, counted from the archive: withdrawal-then-announcement pairs of one prefix.
        for (peer, prefix) in [(p4, v4[2]), (p6, v6[2])] {
            let seq = lines.filter { $0[3] == peer && $0[5] == prefix && ($0[2] == "A" || $0[2] == "W") }.map { $0[2] }.joined()
            XCTAssertEqual(seq.components(separatedBy: "WA").count - 1, flaps, "\(prefix): \(seq)")
        }
        let ann = lines.filter { $0[2] == "A" }
        XCTAssertTrue(ann.allSatisfy { $0[4] == "65020" && $0[6] == "65020" && $0[7] == "IGP" }, text)
        XCTAssertTrue(ann.allSatisfy { $0[8] == $0[3] }, "next hop is the peer's own address: \(text)")
        for peer in [p4, p6] {
            XCTAssertEqual(lines.filter { $0[2] == "STATE" && $0[3] == peer }.map { "\($0[5])>\($0[6])" }, ["5>6", "6>1", "5>6", "6>1"], text)
        }
    }
}
