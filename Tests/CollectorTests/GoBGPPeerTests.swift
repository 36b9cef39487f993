import Foundation
import XCTest
import BGPWire
import MRT
@testable import Collector
#if canImport(Glibc)
import Glibc
#endif

/// A real GoBGP, in a network namespace this test creates (`PeerLab`, in
/// FRRPeerTests.swift), peers with a Vigil listener over IPv4 and IPv6:
/// routes are added and deleted in its global RIB with the `gobgp` client,
/// then one neighbor is shut down and the daemon stopped. The test checks what
/// the listener saw and archived, read by Vigil and by Debian's bgpdump.
final class GoBGPPeerTests: XCTestCase {
    func testGoBGPAnnouncesWithdrawsAndLeavesOverIPv4AndIPv6() throws {
        guard getuid() == 0 else { return XCTFail("needs root for network namespaces (run scripts/test.sh as root)") }
        for tool in ["/usr/bin/gobgpd", "/usr/bin/gobgp"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return XCTFail("\(tool) missing: scripts/test.sh installs the gobgpd package")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/bgpdump") else { return XCTFail("bgpdump not installed") }

        let lab = try PeerLab(tag: "g", secondOctet: 203)
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

        let conf = lab.dir.appendingPathComponent("gobgpd.toml").path
        func neighbor(_ address: String, _ port: Int, _ family: String) -> String {
            """
            [[neighbors]]
              [neighbors.config]
                neighbor-address = "\(address)"
                peer-as = 12654
              [neighbors.transport.config]
                remote-port = \(port)
              [neighbors.timers.config]
                connect-retry = 2
                hold-time = 30
              [[neighbors.afi-safis]]
                [neighbors.afi-safis.config]
                  afi-safi-name = "\(family)"

            """
        }
        try """
            [global.config]
              as = 65030
              router-id = "\(lab.theirs4)"
              port = -1

            """.appending(neighbor(lab.ours4, port4, "ipv4-unicast") + neighbor(lab.ours6, port6, "ipv6-unicast"))
            .write(toFile: conf, atomically: true, encoding: .utf8)
        // The API listens on the namespace's own loopback: no clash with anything outside.
        let api = "50051"
        let daemon = try lab.spawn(["gobgpd", "-f", conf, "-t", "toml", "--api-hosts", "127.0.0.1:\(api)", "-l", "info"], log: "gobgpd.log")
        func gobgp(_ args: [String]) {
            let r = PeerLab.sh(["ip", "netns", "exec", lab.ns, "gobgp", "-p", api] + args)
            XCTAssertEqual(r.status, 0, "gobgp \(args.joined(separator: " ")): \(r.output)")
        }
        let p4 = lab.theirs4, p6 = lab.theirs6
        func announced(_ peer: String, _ prefixes: [String]) -> [Int] { seen.with { s in prefixes.map { s.announced[peer + " " + $0, default: 0] } } }
        func withdrawn(_ peer: String, _ prefixes: [String]) -> [Int] { seen.with { s in prefixes.map { s.withdrawn[peer + " " + $0, default: 0] } } }

        lab.wait("both sessions") { seen.with { $0.established } == [p4: 1, p6: 1] }
        XCTAssertEqual(seen.with { $0.families }, [p4: [.ipv4Unicast], p6: [.ipv6Unicast]])

        let v4 = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]
        let v6 = ["2001:db8:30::/48", "2001:db8:31::/48", "2001:db8:32::/48"]
        for p in v4 { gobgp(["global", "rib", "add", p, "-a", "ipv4"]) }
        for p in v6 { gobgp(["global", "rib", "add", p, "-a", "ipv6"]) }
        lab.wait("GoBGP's routes") { announced(p4, v4) == [1, 1, 1] && announced(p6, v6) == [1, 1, 1] }
        gobgp(["global", "rib", "del", v4[1], "-a", "ipv4"])
        gobgp(["global", "rib", "del", v6[1], "-a", "ipv6"])
        lab.wait("the withdrawals") { withdrawn(p4, v4) == [0, 1, 0] && withdrawn(p6, v6) == [0, 1, 0] }
        // A short flap of one prefix per family, each step seen before the next.
        let flaps = 2
        for i in 1...flaps {
            gobgp(["global", "rib", "del", v4[2], "-a", "ipv4"])
            gobgp(["global", "rib", "del", v6[2], "-a", "ipv6"])
            lab.wait("flap \(i) down") { withdrawn(p4, [v4[2]]) == [i] && withdrawn(p6, [v6[2]]) == [i] }
            gobgp(["global", "rib", "add", v4[2], "-a", "ipv4"])
            gobgp(["global", "rib", "add", v6[2], "-a", "ipv6"])
            lab.wait("flap \(i) up") { announced(p4, [v4[2]]) == [i + 1] && announced(p6, [v6[2]]) == [i + 1] }
        }

        // The IPv4 neighbor shut down (a Cease), then the daemon stopped.
        gobgp(["neighbor", lab.ours4, "shutdown"])
        lab.wait("the IPv4 session to go down") { seen.with { $0.down[p4] } == 1 }
        PeerLab.stop(daemon)
        lab.wait("the IPv6 session to go down") { seen.with { $0.down[p6] } == 1 }
        listener.stop()

        let reasons = seen.with { $0.downReasons }
        XCTAssertEqual(reasons[p4], ["peer sent NOTIFICATION 6/2"], "neighbor shutdown: Cease, administrative shutdown")
        XCTAssertEqual(reasons[p6], ["peer sent NOTIFICATION 6/3"], "stopped: Cease, peer de-configured")
        XCTAssertEqual(seen.with { $0.established }, [p4: 1, p6: 1])
        XCTAssertEqual(seen.with { $0.otherDecisions }, [], "GoBGP's UPDATEs are all well formed")
        XCTAssertEqual(announced(p4, v4), [1, 1, 1 + flaps])
        XCTAssertEqual(withdrawn(p4, v4), [0, 1, flaps])
        XCTAssertEqual(announced(p6, v6), [1, 1, 1 + flaps])
        XCTAssertEqual(withdrawn(p6, v6), [0, 1, flaps])

        let lines = try PeerLab.readArchive(archiveDir)
        let text = lines.map { $0.joined(separator: "|") }.joined(separator: "\n")
        func count(_ type: String, _ peer: String, _ prefix: String) -> Int {
            lines.filter { $0[2] == type && $0[3] == peer && $0[5] == prefix }.count
        }
        XCTAssertEqual(v4.map { count("A", p4, $0) }, [1, 1, 1 + flaps], text)
        XCTAssertEqual(v4.map { count("W", p4, $0) }, [0, 1, flaps], text)
        XCTAssertEqual(v6.map { count("A", p6, $0) }, [1, 1, 1 + flaps], text)
        XCTAssertEqual(v6.map { count("W", p6, $0) }, [0, 1, flaps], text)
        let ann = lines.filter { $0[2] == "A" }
        // `gobgp global rib add` originates with ORIGIN INCOMPLETE unless told otherwise.
        XCTAssertTrue(ann.allSatisfy { $0[4] == "65030" && $0[6] == "65030" && $0[7] == "INCOMPLETE" && $0[8] == $0[3] }, text)
        for peer in [p4, p6] {
            XCTAssertEqual(lines.filter { $0[2] == "STATE" && $0[3] == peer }.map { "\($0[5])>\($0[6])" }, ["5>6", "6>1"], text)
        }
    }
}
