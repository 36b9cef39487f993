import Foundation
import XCTest
import BGPWire
@testable import Collector

/// TCP MD5 (RFC 2385) with FRR over IPv4 and IPv6: the right password establishes both
/// sessions; a wrong one, set while they run, brings them down and keeps them down.
final class FRRSignatureTests: XCTestCase {
    func testFRRWithPasswordsOverBothTransports() throws {
        let bgpd = "/usr/lib/frr/bgpd"
        guard getuid() == 0 else { return XCTFail("needs root for network namespaces (run scripts/test.sh as root)") }
        guard FileManager.default.isExecutableFile(atPath: bgpd), FileManager.default.isExecutableFile(atPath: "/usr/bin/vtysh")
        else { return XCTFail("frr (bgpd, vtysh) not installed: scripts/test.sh installs it") }
        let lab = try PeerLab(tag: "m", secondOctet: 216)
        defer { lab.teardown() }
        let seen = RouteLog()
        var config = SessionMachine.Config(localAS: 12654, routerID: 0x0A00_00FE)
        config.holdTime = 30
        let listener = BGPListener(config: config, archive: nil, events: seen.events)
        let key = Array("Vigil-md5-k3y".utf8)
        listener.md5Keys = [(IPAddress(lab.theirs4)!, key), (IPAddress(lab.theirs6)!, key)]
        defer { listener.stop() }
        let port4 = try listener.start(host: lab.ours4, port: 0)
        let port6 = try listener.start(host: lab.ours6, port: 0)
        let conf = lab.dir.appendingPathComponent("bgpd.conf").path
        try lab.frrConfig(hostname: "vigil-frr-md5", port4: port4, port6: port6, neighbor: ["password Vigil-md5-k3y"],
                          v4: ["192.0.2.0/24"], v6: ["2001:db8:1::/48"])
            .write(toFile: conf, atomically: true, encoding: .utf8)
        let vty = lab.dir.path
        _ = try lab.spawn([bgpd, "-f", conf, "-Z", "-S", "-i", lab.dir.appendingPathComponent("bgpd.pid").path,
                           "--vty_socket", vty, "-A", "127.0.0.1", "-P", "0"])
        lab.wait("both signed sessions") { seen.with { $0.established.values.reduce(0, +) } == 2 }

        // A wrong password on both: FRR resets the sessions; its new SYNs carry the wrong signature and are dropped.
        let args = ["vtysh", "--vty_socket", vty, "-c", "configure terminal", "-c", "router bgp 65020",
                    "-c", "neighbor \(lab.ours4) password wrong-k3y", "-c", "neighbor \(lab.ours6) password wrong-k3y"]
        XCTAssertEqual(PeerLab.sh(args).status, 0)
        _ = PeerLab.sh(["vtysh", "--vty_socket", vty, "-c", "clear bgp *"])
        lab.wait("both sessions down") { seen.with { $0.down.values.reduce(0, +) } >= 2 }
        let until = Date().addingTimeInterval(10)  // FRR dials every 2 s
        while Date() < until {
            XCTAssertEqual(seen.with { $0.established.values.reduce(0, +) }, 2, "a session came up with the wrong password")
            usleep(250_000)
        }
    }
}
