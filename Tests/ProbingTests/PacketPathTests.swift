import BGPWire
import Foundation
import XCTest

@testable import Probing

final class PacketPathTests: XCTestCase {
    func testRouteAndARPTablesAreRead() throws {
        let routes = PacketPath.parseRoutes("""
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
            eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
            eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
            veth1\t0000610A\t0201C90A\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0
            veth2\t0000610A\t0201CA0A\t0003\t0\t0\t5\t0000FFFF\t0\t0\t0
            down0\t0000620A\t0101010A\t0002\t0\t0\t0\t0000FFFF\t0\t0\t0
            """)
        XCTAssertEqual(routes.count, 4, "the route without RTF_UP is dropped")
        func ip(_ s: String) -> UInt32 { guard case let .v4(a)? = IPAddress(s) else { return 0 }; return a }
        XCTAssertEqual(routes[0], PacketPath.Route(destination: 0, mask: 0, gateway: ip("192.0.2.1"), interface: "eth0", metric: 0))
        XCTAssertEqual(routes[1].gateway, 0, "on-link")
        XCTAssertEqual(routes[1].mask, ip("255.255.255.0"))
        XCTAssertEqual(PacketPath.longestMatch(routes, ip("10.97.4.1"))?.interface, "veth1", "the /16 over the default, lower metric first")
        XCTAssertEqual(PacketPath.longestMatch(routes, ip("192.0.2.77"))?.gateway, 0)
        XCTAssertEqual(PacketPath.longestMatch(routes, ip("203.0.113.5"))?.interface, "eth0")

        let arp = PacketPath.parseARP("""
            IP address       HW type     Flags       HW address            Mask     Device
            192.0.2.1        0x1         0x2         02:fc:00:00:00:05     *        eth0
            10.201.9.2       0x1         0x0         00:00:00:00:00:00     *        veth1
            10.202.9.2       0x1         0x6         b2:ac:0e:a4:65:56     *        veth2
            """)
        XCTAssertEqual(arp["eth0 \(ip("192.0.2.1"))"], [0x02, 0xFC, 0, 0, 0, 5])
        XCTAssertNil(arp["veth1 \(ip("10.201.9.2"))"], "incomplete entries are not next hops")
        XCTAssertEqual(arp["veth2 \(ip("10.202.9.2"))"], [0xB2, 0xAC, 0x0E, 0xA4, 0x65, 0x56], "permanent entries are")

        let hop = PacketPath.Hop(ifindex: 7, mac: [1, 2, 3, 4, 5, 6], source: ip("10.201.9.1"))
        let bytes = withUnsafeBytes(of: hop.link) { Array($0.prefix(20)) }
        XCTAssertEqual(bytes, [17, 0, 0x08, 0x00, 7, 0, 0, 0, 0, 0, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0], "struct sockaddr_ll")
    }

    func testFramesReachABlockBehindARouterAndEveryReplyIsMatched() throws {
        guard getuid() == 0 else { return XCTFail("raw sockets and namespaces need root (run scripts/test.sh as root)") }
        let lab = try TwoHopLab()
        defer { lab.remove() }
        let prober = try Prober(rate: 20_000, timeout: 1, sender: .packet)
        XCTAssertEqual(prober.sender, .packet)
        // The first probe toward the lab goes through the raw socket (the gateway is not in the
        // ARP cache yet) and makes the kernel resolve it; after a refresh, frames go.
        let first = prober.probe([lab.address(0, 1)])
        XCTAssertEqual(first[0].answered, 1)
        usleep(200_000)
        let targets = (0..<256).map { lab.address(0, $0) } + (0..<16).map { lab.address(1, 16 + $0) }
        let r = prober.probe(targets)
        let s = prober.lastStats
        XCTAssertEqual(r.filter { $0.answered == 1 }.count, 272, "\(s)")
        XCTAssertEqual(s.frames, 272, "every probe went out as a frame: \(s)")
        XCTAssertEqual(s.sendErrors, 0)
        XCTAssertEqual(s.unmatched, 0)
        for x in r { for rtt in x.rtts { XCTAssertTrue(rtt > 0 && rtt < 1, "rtt \(rtt)") } }
        // The dark /24 stays dark, frames or not; the router's own on-link address goes via the socket.
        let dark = prober.probe((1...5).map { lab.address(2, $0) } + [IPAddress("10.201.\(lab.id).2")!])
        XCTAssertEqual(dark.prefix(5).reduce(0) { $0 + $1.answered }, 0)
        XCTAssertEqual(dark[5].answered, 1)
        XCTAssertEqual(prober.lastStats.frames, 5, "the on-link router is not sent a frame")
    }
}
