import Foundation
import XCTest
import BGPWire
import MRT
@testable import Collector

/// A real FRR bgpd (`-M bmp`) reports to Vigil's BMP station the session it has
/// with a real BIRD, each daemon in a network namespace this test creates:
///
///     station 10.204.N.1 ──veth── 10.204.N.2 FRR AS65001 10.204.N.129 ──veth── 10.204.N.130 BIRD AS65010
///
/// BIRD announces three routes, withdraws them, goes away; the station must see
/// FRR's initiation, the peer come up, the routes come and go, the peer go down,
/// and archive it all as BGP4MP under BIRD's address and AS, readable by Vigil and
/// by Debian's bgpdump alike.
final class FRRBMPTests: XCTestCase {
    final class Seen: @unchecked Sendable {
        let lock = NSLock()
        var established: [PeerInfo] = [], down: [(PeerInfo, String)] = []
        var announced = Set<String>(), withdrawn = Set<String>(), updatePeers = Set<PeerInfo>()
        var fourOctet = Set<Bool>(), logs: [String] = [], debug: [String] = []
        var updates: [(PeerInfo, Update, SessionOptions)] = []
        func with<T>(_ f: (Seen) -> T) -> T { lock.lock(); defer { lock.unlock() }; return f(self) }
    }

    @discardableResult
    func sh(_ args: [String]) throws -> Int32 { PeerLab.sh(args).status }

    func wait(_ what: String, seconds: Double = 40, detail: () -> String = { "" }, _ ok: () -> Bool) {
        let until = Date().addingTimeInterval(seconds)
        while !ok() && Date() < until { usleep(100_000) }
        XCTAssertTrue(ok(), "timed out waiting for \(what)\n\(detail())")
    }

    func testFRRReportsBIRDPeerOverBMP() throws {
        guard getuid() == 0 else { return XCTFail("needs root for network namespaces (run scripts/test.sh as root)") }
        for tool in ["/usr/lib/frr/bgpd", "/usr/sbin/bird", "/usr/sbin/birdc", "/usr/bin/bgpdump"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return XCTFail("\(tool) missing: scripts/test.sh installs frr, bird2 and bgpdump")
        }
        let modules = ["/usr/lib/x86_64-linux-gnu/frr/modules/bgpd_bmp.so", "/usr/lib/aarch64-linux-gnu/frr/modules/bgpd_bmp.so"]
        guard modules.contains(where: FileManager.default.fileExists) else { return XCTFail("FRR's BMP module (bgpd_bmp.so) missing") }

        let pid = getpid()
        let id = Int(pid) % 200 + 20
        let nsF = "vgbmpf\(pid % 100000)", nsB = "vgbmpb\(pid % 100000)"
        let host = "vgbh\(pid % 100000)", frrUp = "vgbf\(pid % 100000)", frrDown = "vgbd\(pid % 100000)", birdIf = "vgbb\(pid % 100000)"
        let station = "10.204.\(id).1", frr = "10.204.\(id).2", frrInner = "10.204.\(id).129", bird = "10.204.\(id).130"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-frr-bmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let frrPidFile = dir.appendingPathComponent("bgpd.pid").path
        let frrLog = dir.appendingPathComponent("bgpd.log").path
        var birdProcess: Process?, frrProcess: Process?
        var bmp: BMPStation?
        // bgpd runs in the foreground (no -d): a daemonized bgpd keeps a descriptor
        // Foundation's Process waits on, and waitUntilExit would never return.
        func stopFRR() {
            guard let f = frrProcess else { return }
            frrProcess = nil
            f.terminate()
            for _ in 0..<50 where f.isRunning { usleep(100_000) }
            if f.isRunning { kill(f.processIdentifier, SIGKILL) }
            f.waitUntilExit()
        }
        defer {
            birdProcess?.terminate()
            birdProcess?.waitUntilExit()
            stopFRR()
            bmp?.stop()
            _ = try? sh(["ip", "netns", "del", nsF])
            _ = try? sh(["ip", "netns", "del", nsB])
            _ = try? sh(["ip", "link", "del", host])
            try? FileManager.default.removeItem(at: dir)
        }
        for args in [
            ["ip", "netns", "add", nsF], ["ip", "netns", "add", nsB],
            ["ip", "link", "add", host, "type", "veth", "peer", "name", frrUp],
            ["ip", "link", "set", frrUp, "netns", nsF],
            ["ip", "addr", "add", "\(station)/25", "dev", host], ["ip", "link", "set", host, "up"],
            ["ip", "netns", "exec", nsF, "ip", "addr", "add", "\(frr)/25", "dev", frrUp],
            ["ip", "netns", "exec", nsF, "ip", "link", "set", frrUp, "up"],
            ["ip", "netns", "exec", nsF, "ip", "link", "set", "lo", "up"],
            ["ip", "link", "add", frrDown, "type", "veth", "peer", "name", birdIf],
            ["ip", "link", "set", frrDown, "netns", nsF], ["ip", "link", "set", birdIf, "netns", nsB],
            ["ip", "netns", "exec", nsF, "ip", "addr", "add", "\(frrInner)/25", "dev", frrDown],
            ["ip", "netns", "exec", nsF, "ip", "link", "set", frrDown, "up"],
            ["ip", "netns", "exec", nsB, "ip", "addr", "add", "\(bird)/25", "dev", birdIf],
            ["ip", "netns", "exec", nsB, "ip", "link", "set", birdIf, "up"],
            ["ip", "netns", "exec", nsB, "ip", "link", "set", "lo", "up"],
        ] {
            XCTAssertEqual(try sh(args), 0, args.joined(separator: " "))
        }

        let seen = Seen()
        var events = CollectorEvents()
        events.onEstablished = { p, _ in seen.with { $0.established.append(p) } }
        events.onDown = { p, reason in seen.with { $0.down.append((p, reason)) } }
        events.logger = .recording { level, line in seen.with { if level == .debug { $0.debug.append(line) } else { $0.logs.append(line) } } }
        events.onUpdate = { p, decision, options, _, _ in
            guard case let .accept(u) = decision else { return seen.with { $0.logs.append("not accepted: \(decision)") } }
            seen.with { s in
                s.updatePeers.insert(p)
                s.fourOctet.insert(options.fourOctetAS)
                for n in u.nlri { s.announced.insert(n.prefix.description) }
                for n in u.withdrawn { s.withdrawn.insert(n.prefix.description) }
            }
        }
        let archiveDir = dir.appendingPathComponent("archive").path
        let station_ = BMPStation(localAS: 12654, archive: SharedArchive(try ArchiveWriter(directory: archiveDir, gzip: false)), events: events)
        bmp = station_
        let port = try station_.start(host: station, port: 0)

        // Pre-policy monitoring needs soft-reconfiguration inbound in FRR 8.4: without
        // an Adj-RIB-In it reports every received route as a withdrawal (FRR #10240).
        let vty = dir.appendingPathComponent("vty")
        try FileManager.default.createDirectory(at: vty, withIntermediateDirectories: true)
        let frrConf = dir.appendingPathComponent("bgpd.conf").path
        try """
            frr defaults traditional
            hostname vigil-bmp-frr
            log file \(frrLog) informational
            router bgp 65001
             bgp router-id \(frrInner)
             no bgp ebgp-requires-policy
             no bgp network import-check
             neighbor \(bird) remote-as 65010
             address-family ipv4 unicast
              neighbor \(bird) soft-reconfiguration inbound
             exit-address-family
             bmp targets vigil
              bmp connect \(station) port \(port) min-retry 100 max-retry 1000
              bmp monitor ipv4 unicast pre-policy
              bmp stats interval 1000
             exit
            exit
            """.write(toFile: frrConf, atomically: true, encoding: .utf8)
        let frrLogTail = { () -> String in
            let log = (try? String(contentsOfFile: frrLog, encoding: .utf8)) ?? "(no FRR log)"
            return "FRR log:\n" + log.split(separator: "\n").suffix(15).joined(separator: "\n") + "\nstation: \(seen.with { $0.logs })"
        }
        let f = Process()
        f.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        f.arguments = ["ip", "netns", "exec", nsF, "/usr/lib/frr/bgpd", "-f", frrConf, "-Z", "-S", "-i", frrPidFile,
                       "--vty_socket", vty.path, "-A", "127.0.0.1", "-P", "0", "-M", "bmp"]
        f.standardOutput = FileHandle.nullDevice
        f.standardError = FileHandle.nullDevice
        try f.run()
        frrProcess = f
        wait("FRR's BMP initiation", detail: frrLogTail) { station_.routers().first?.initiated == true }
        let router = try XCTUnwrap(station_.routers().first, frrLogTail())
        XCTAssertEqual(router.address, IPAddress(frr))
        XCTAssertEqual(router.sysName, "vigil-bmp-frr")
        XCTAssertTrue(router.sysDescr?.hasPrefix("FRRouting") == true, "\(router)")

        let birdConf = dir.appendingPathComponent("bird.conf").path
        try """
            router id \(bird);
            protocol device {}
            protocol static s4 {
              ipv4;
              route 192.0.2.0/24 blackhole;
              route 198.51.100.0/24 blackhole;
              route 203.0.113.0/24 blackhole;
            }
            protocol bgp frr {
              local \(bird) as 65010;
              neighbor \(frrInner) as 65001;
              hold time 30;
              connect retry time 2;
              ipv4 { import none; export all; };
            }
            """.write(toFile: birdConf, atomically: true, encoding: .utf8)
        let sock = dir.appendingPathComponent("bird.ctl").path
        let b = Process()
        b.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        b.arguments = ["ip", "netns", "exec", nsB, "bird", "-f", "-c", birdConf, "-s", sock, "-P", dir.appendingPathComponent("bird.pid").path]
        b.standardOutput = FileHandle.nullDevice
        b.standardError = FileHandle.nullDevice
        try b.run()
        birdProcess = b

        let peer = PeerInfo(address: IPAddress(bird)!, asn: 65010)
        let routes: Set<String> = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]
        wait("the BIRD peer up", detail: frrLogTail) { seen.with { $0.established } == [peer] }
        // FRR reports its configured peer as down before the session is up: not a down event.
        XCTAssertTrue(seen.with { $0.down.isEmpty }, "\(seen.with { $0.down })")
        XCTAssertEqual(station_.routers().first?.peers.first { $0.peer == peer }?.options?.fourOctetAS, true)
        wait("BIRD's three routes", detail: frrLogTail) { seen.with { $0.announced } == routes }
        XCTAssertEqual(try sh(["ip", "netns", "exec", nsB, "birdc", "-s", sock, "disable", "s4"]), 0)
        wait("their withdrawal", detail: frrLogTail) { seen.with { $0.withdrawn } == routes }
        wait("a statistics report", detail: frrLogTail) { station_.stats().contains { $0.peer == peer && !$0.counters.isEmpty } }
        b.terminate()
        b.waitUntilExit()
        birdProcess = nil
        wait("the peer down", detail: frrLogTail) { seen.with { $0.down.count } == 1 }
        let (downPeer, reason) = try XCTUnwrap(seen.with { $0.down.first })
        XCTAssertEqual(downPeer, peer)
        XCTAssertEqual(reason, "peer sent NOTIFICATION 6/2", "BIRD's Cease/Administrative Shutdown")
        XCTAssertEqual(station_.routers().first?.peers.first { $0.peer == peer }?.isUp, false)

        // FRR going away closes the connection: the router is gone, no peer was up to go down.
        stopFRR()
        wait("the router to disconnect", detail: frrLogTail) { station_.routers().isEmpty }
        station_.stop()
        seen.with { s in
            XCTAssertEqual(s.down.count, 1)
            XCTAssertEqual(s.updatePeers, [peer])
            XCTAssertEqual(s.fourOctet, [true])
            XCTAssertFalse(s.logs.contains { $0.contains("offset") || $0.contains("not accepted") }, "\(s.logs)")
            XCTAssertTrue(s.logs.contains { $0.contains("BMP initiation") }, "\(s.logs)")
            XCTAssertTrue(s.debug.contains { $0.contains("statistics for \(bird)") }, "\(s.debug.prefix(5))")
        }

        // The archive: the same story under BIRD's address and AS, read identically by Vigil and by bgpdump.
        let lines = try PeerLab.readArchive(archiveDir)
        let text = lines.map { $0.joined(separator: "|") }.joined(separator: "\n")
        let announcements = lines.filter { $0[2] == "A" }, withdrawals = lines.filter { $0[2] == "W" }
        XCTAssertEqual(Set(announcements.map { $0[5] }), routes, text)
        XCTAssertEqual(Set(withdrawals.map { $0[5] }), routes, text)
        XCTAssertTrue((announcements + withdrawals).allSatisfy { $0[3] == bird && $0[4] == "65010" }, text)
        // FRR 8.4 prepends its own AS to the path it reports (fixed upstream in FRR PR #21815): BIRD's is the origin.
        XCTAssertTrue(announcements.allSatisfy { $0[6].split(separator: " ").last == "65010" }, text)
        XCTAssertEqual(lines.filter { $0[2] == "STATE" }.map { "\($0[3])|\($0[4])|\($0[5])>\($0[6])" },
                       ["\(bird)|65010|5>6", "\(bird)|65010|6>1"], text)
    }
}

/// The station against scripted routers on the loopback: the cases FRR does not
/// produce (Termination, 2-octet sessions, post-policy, IPv6 peers, garbage).
final class BMPStationTests: XCTestCase {
    typealias Seen = FRRBMPTests.Seen

    func connectTCP(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard fd >= 0, rc == 0 else { throw CocoaError(.fileReadUnknown) }
        return fd
    }

    func send(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// True once the station has closed the connection (a read returns end of file).
    func closedByStation(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        var b: UInt8 = 0
        return recv(fd, &b, 1, Int32(MSG_DONTWAIT)) == 0
    }

    func wait(_ what: String, seconds: Double = 20, _ ok: () -> Bool) {
        let until = Date().addingTimeInterval(seconds)
        while !ok() && Date() < until { usleep(20_000) }
        XCTAssertTrue(ok(), "timed out waiting for \(what)")
    }

    func testScriptedRouters() throws {
        let seen = Seen()
        var events = CollectorEvents()
        events.onEstablished = { p, n in seen.with { $0.established.append(p); $0.fourOctet.insert(n.options.fourOctetAS) } }
        events.onDown = { p, reason in seen.with { $0.down.append((p, reason)) } }
        events.logger = .recording { level, line in seen.with { if level == .debug { $0.debug.append(line) } else { $0.logs.append(line) } } }
        events.onUpdate = { p, decision, options, _, _ in
            guard case let .accept(u) = decision else { return seen.with { $0.logs.append("not accepted: \(decision)") } }
            seen.with { $0.updates.append((p, u, options)) }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bmp-station-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let archiveDir = dir.appendingPathComponent("archive").path
        let station = BMPStation(localAS: 12654, archive: SharedArchive(try ArchiveWriter(directory: archiveDir, gzip: false)), events: events)
        let port = try station.start(host: "127.0.0.1", port: 0)
        defer { station.stop() }

        let now = UInt32(Date().timeIntervalSince1970)
        let p1 = BMPPeerHeader(address: IPAddress("192.0.2.1")!, asn: 65010, bgpID: 0xC000_0201, seconds: now, microseconds: 5)
        let p2 = BMPPeerHeader(address: IPAddress("192.0.2.2")!, asn: 65020, bgpID: 0xC000_0202)
        let p3 = BMPPeerHeader(address: IPAddress("2001:db8::3")!, asn: 4_200_000_003, bgpID: 3, seconds: now)
        // A 2-octet session: neither OPEN has the 4-octet capability, and the A flag is clear (as FRR sends it).
        let up1 = BMPPeerUp(localAddress: IPAddress("192.0.2.254")!, localPort: 179, remotePort: 40000,
                            sentOpen: Open(myAS: 64500, holdTime: 90, bgpIdentifier: 9), receivedOpen: Open(myAS: 65010, holdTime: 90, bgpIdentifier: 0xC000_0201))
        let up3 = BMPPeerUp(localAddress: IPAddress("2001:db8::fe")!, localPort: 179, remotePort: 40001,
                            sentOpen: Open(myAS: 64500, holdTime: 90, bgpIdentifier: 9, capabilities: [.multiprotocol(.ipv6Unicast), .fourOctetAS(64500)]),
                            receivedOpen: Open(myAS: 23456, holdTime: 90, bgpIdentifier: 3, capabilities: [.multiprotocol(.ipv6Unicast), .fourOctetAS(4_200_000_003)]))
        let route = Update(attributes: [.origin(.igp), .asPath(ASPath(sequence: [65010, 64999])), .nextHop(0xC000_0201)], nlri: [NLRI(Prefix("203.0.113.0/24")!)])
        let initiation = BMPMessage.initiation([BMPInformation(type: 2, text: "scripted"), BMPInformation(type: 1, text: "test router")]).encode()

        let a = try connectTCP(port)
        defer { close(a) }
        // The common header split across two writes.
        send(a, Array(initiation[..<3]))
        usleep(50_000)
        send(a, Array(initiation[3...]) + BMPMessage.peerUp(p1, up1).encode())
        wait("router A's peer up") { seen.with { $0.established.count } == 1 }
        XCTAssertEqual(seen.with { $0.fourOctet }, [false])
        XCTAssertEqual(station.routers().first?.sysName, "scripted")
        // A 2-octet UPDATE, dripped in three pieces; a post-policy copy that must be skipped.
        let rm = BMPMessage.routeMonitoring(p1, route).encode(options: .twoOctet)
        for piece in [rm[..<20], rm[20..<60], rm[60...]] { send(a, Array(piece)); usleep(20_000) }
        var post = p1
        post.flags |= 0x40
        send(a, BMPMessage.routeMonitoring(post, Update(withdrawn: [NLRI(Prefix("203.0.113.0/24")!)])).encode(options: .twoOctet))
        send(a, BMPMessage.statisticsReport(p1, [BMPStatistic(type: 7, gauge: 1)]).encode())
        send(a, BMPMessage.peerDown(p2, .remoteNoNotification).encode())
        // Headers of peers never up create nothing: Statistics, and Route Monitoring (ignored, said once).
        send(a, BMPMessage.statisticsReport(p2, [BMPStatistic(type: 7, gauge: 9)]).encode())
        send(a, BMPMessage.routeMonitoring(p2, route).encode(options: .twoOctet))
        wait("the statistics") { !station.stats().isEmpty }
        wait("the ignored Route Monitoring said") { seen.with { $0.logs.contains { $0.contains("without its Peer Up") } } }
        XCTAssertEqual(station.routers().first?.peers.map(\.peer.address), [p1.address], "only the peer that came up")
        let updates = seen.with { $0.updates }
        XCTAssertEqual(updates.map(\.0), [PeerInfo(address: p1.address, asn: 65010)])
        XCTAssertEqual(updates.map(\.1), [route])
        XCTAssertEqual(updates.map(\.2.fourOctetAS), [false])
        XCTAssertEqual(seen.with { $0.established.count }, 1)
        XCTAssertEqual(station.stats().first?.counters, [BMPStatistic(type: 7, gauge: 1)])
        XCTAssertTrue(seen.with { $0.down.isEmpty }, "a peer that was never up does not go down")
        // ADD-PATH negotiated (the peer sends, the router receives), but the UPDATE has no
        // path identifiers, as FRR 8.4 writes it: read without them.
        let p4 = BMPPeerHeader(address: IPAddress("192.0.2.4")!, asn: 65040, bgpID: 4)
        let addPath: Capability = .addPath([.init(family: .ipv4Unicast, sendReceive: 3)])
        let up4 = BMPPeerUp(localAddress: IPAddress("192.0.2.254")!, localPort: 179, remotePort: 40004,
                            sentOpen: Open(myAS: 64500, holdTime: 90, bgpIdentifier: 9, capabilities: [.fourOctetAS(64500), addPath]),
                            receivedOpen: Open(myAS: 65040, holdTime: 90, bgpIdentifier: 4, capabilities: [.fourOctetAS(65040), addPath]))
        XCTAssertEqual(up4.negotiatedOptions.addPath, [.ipv4Unicast])
        let route4 = Update(attributes: [.origin(.igp), .asPath(ASPath(sequence: [65040])), .nextHop(0xC000_0204)], nlri: [NLRI(Prefix("198.51.100.0/24")!)])
        send(a, BMPMessage.peerUp(p4, up4).encode() + BMPMessage.routeMonitoring(p4, route4).encode(options: .fourOctet))
        wait("the ADD-PATH peer's route") { seen.with { $0.updates.count } == 2 }
        XCTAssertEqual(seen.with { $0.updates.last?.1 }, route4)
        XCTAssertEqual(seen.with { $0.updates.last?.2.addPath }, [])

        // Router B: an IPv6 peer, then garbage. Only B is closed; its peer goes down.
        let b = try connectTCP(port)
        defer { close(b) }
        let bPrefix = initiation + BMPMessage.peerUp(p3, up3).encode()
        send(b, bPrefix + [7, 0, 0, 0, 6, 4])
        wait("router B closed") { closedByStation(b) }
        wait("B's peer down") { seen.with { $0.down.count } == 1 }
        XCTAssertEqual(seen.with { $0.established.count }, 3)
        XCTAssertEqual(seen.with { $0.down.first?.0 }, PeerInfo(address: p3.address, asn: 4_200_000_003))
        XCTAssertEqual(seen.with { $0.down.first?.1 }, "BMP connection lost")
        XCTAssertTrue(seen.with { $0.logs }.contains { $0.hasPrefix("router 127.0.0.1: offset \(bPrefix.count): BMP common header invalid") },
                      "\(seen.with { $0.logs })")
        XCTAssertFalse(closedByStation(a))
        XCTAssertEqual(station.routers().count, 1)

        // A is still heard, then terminates: its peer goes down and the station closes.
        send(a, BMPMessage.routeMonitoring(p1, Update(withdrawn: [NLRI(Prefix("203.0.113.0/24")!)])).encode(options: .twoOctet))
        send(a, BMPMessage.termination([BMPInformation(type: 1, value: [0, 0])]).encode())
        wait("router A closed") { closedByStation(a) }
        wait("A's peers down") { seen.with { $0.down.count } == 3 }
        XCTAssertEqual(seen.with { $0.down.dropFirst().map { "\($0.0.address) \($0.1)" } },
                       ["192.0.2.1 router terminated BMP (reason 0)", "192.0.2.4 router terminated BMP (reason 0)"])
        XCTAssertEqual(seen.with { $0.updates.count }, 3)
        wait("no routers") { station.routers().isEmpty }
        station.stop()

        // The archive: 2-octet MESSAGE records for A's peer, STATE_CHANGE for both, all readable.
        var text: [UInt8] = []
        for f in try FileManager.default.contentsOfDirectory(atPath: archiveDir).filter({ $0.hasPrefix("updates.") }).sorted() {
            let r = try MRTReader(path: archiveDir + "/" + f)
            let fmt = BgpdumpFormatter()
            while let rec = try r.next() { _ = fmt.format(rec, into: &text) }
            XCTAssertTrue(r.issues.isEmpty, "\(r.issues)")
        }
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).dropFirst(2).joined(separator: "|") }
        XCTAssertEqual(lines, [
            "STATE|192.0.2.1|65010|5|6",
            "A|192.0.2.1|65010|203.0.113.0/24|65010 64999|IGP|192.0.2.1|0|0||NAG||",
            "STATE|192.0.2.4|65040|5|6",
            "A|192.0.2.4|65040|198.51.100.0/24|65040|IGP|192.0.2.4|0|0||NAG||",
            "STATE|2001:db8::3|4200000003|5|6",
            "STATE|2001:db8::3|4200000003|6|1",
            "W|192.0.2.1|65010|203.0.113.0/24",
            "STATE|192.0.2.1|65010|6|1",
            "STATE|192.0.2.4|65040|6|1",
        ], String(decoding: text, as: UTF8.self))
    }
}
