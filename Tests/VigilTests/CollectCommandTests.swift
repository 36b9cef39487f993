import BGPWire
import Foundation
import MRT
import XCTest

/// `vigil collect` as an operator runs it: its configuration errors, a live
/// outage raised from a real BIRD's withdrawal, RIB snapshots, status, and a
/// kill -9 in the middle of heavy updates.
final class CollectCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-collect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let p = dir.appendingPathComponent(name).path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func testConfigErrorsNameTheLineAndKey() throws {
        let cases: [(String, String)] = [
            ("[collector]\nlocal_as = 65000\nlisten = \":1790\"\nhold_tme = 30\n", ":4: collector.hold_tme: unknown key"),
            ("[collector]\nlisten = \":1790\"\n\n[[peer]]\naddress = \"10.0.0.1\"\n\n[[peer]]\naddress = \"10.0.0.300\"\n", ":8: peer.2.address: '10.0.0.300' is not an IP address"),
            ("[collector]\nlisten = \"nowhere\"\n", ":2: collector.listen: 'nowhere' is not HOST:PORT"),
            ("[collector]\nlisten = \":1790\"\n[detect]\nwatch = [\"AS1\", \"Atlantis\"]\n", ":4: detect.watch: 'Atlantis' is not a country code"),
            ("[collector]\nlisten = \":1790\"\nhold_time = 2\n", ":3: collector.hold_time: must be 0 or at least 3"),
            ("[[peer]]\naddress = \"10.0.0.1\"\nmode = \"active\"\n", ":1: peer.1: an active peer needs 'as'"),
            ("[collector\n", ":1:"),
            ("[archive]\nupdates_interval = \"5 minutes\"\n", ":2: archive.updates_interval: must be seconds or a duration"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = try write("bad\(i).toml", text)
            let r = try CLI.vigil("collect", "--config", path, "--check")
            XCTAssertEqual(r.status, 2, "case \(i): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(path + expected), "case \(i): expected '\(expected)' in: \(r.stderr)")
        }
        let good = try write("good.toml", """
            [collector]
            name = "rrc-test"
            local_as = 65000
            router_id = "192.0.2.1"
            listen = ["127.0.0.1:1790", "[::1]:1790"]

            [[peer]]
            address = "192.0.2.2"
            as = 65001
            mode = "active"

            [archive]
            updates_interval = "5m"
            rib_interval = "8h"

            [detect]
            watch = ["KP", "AS131279", "175.45.176.0/22"]
            """)
        let r = try CLI.vigil("collect", "--config", good, "--check")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.text.contains("OK: 1 peers, listening on 2 addresses"), r.text)
    }
}

/// Transport and session set-up: IPv6, dual-stack listeners, active peers with backoff.
final class CollectTransportTests: XCTestCase {
    func testIPv6AndDualStackListeners() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-v6-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let p1 = 18100 + Int(getpid() % 400), p2 = p1 + 400
        let config = dir.appendingPathComponent("vigil.toml").path
        try """
            [collector]
            name = "v6"
            local_as = 12654
            listen = ["[::1]:\(p1)", "[::]:\(p2)"]
            [[peer]]
            address = "::1"
            as = 65001
            [[peer]]
            address = "127.0.0.1"
            as = 65002
            [archive]
            directory = "\(dir.path)/archive"
            gzip = false
            [store]
            database = ""
            status_file = "\(dir.path)/status.json"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let vigil = try Background(["collect", "--config", config], in: dir)
        defer { vigil.stop(signal: SIGKILL) }
        let a = try TestSpeaker(port: p1, asn: 65001, address: "::1")
        let b = try TestSpeaker(port: p2, asn: 65002, address: "127.0.0.1")
        try a.announce(["192.0.2.0/24"], path: [65001, 65020])
        try b.announce(["198.51.100.0/24"], path: [65002, 65020])
        func status() -> String { (try? CLI.vigil("collect", "--config", config, "--status").text) ?? "" }
        waitFor("both sessions with their route", seconds: 20) {
            let s = status().split(separator: "\n")
            return s.contains { $0.hasPrefix("::1 ") && $0.contains("Established") && $0.contains("  1  ") }
                && s.contains { $0.hasPrefix("127.0.0.1 ") && $0.contains("Established") && $0.contains("  1  ") }
        }
        a.close()
        b.close()
        vigil.stop()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/archive/v6").filter { $0.hasPrefix("updates.") }
        let text = try files.map { try CLI.vigil("dump", "-m", dir.path + "/archive/v6/" + $0).text }.joined()
        XCTAssertTrue(text.contains("|A|::1|65001|192.0.2.0/24|65001 65020|"), text)
        XCTAssertTrue(text.contains("|A|127.0.0.1|65002|198.51.100.0/24|65002 65020|"), text)
    }

    func testActivePeerIsDialledAgainAfterItGoesAway() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-active-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The "router" listens; Vigil dials it.
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(server) }
        var one: Int32 = 1
        setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr)
        XCTAssertEqual(withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }, 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &sa) { _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(server, $0, &len) } }
        let port = Int(UInt16(bigEndian: sa.sin_port))
        listen(server, 4)
        let config = dir.appendingPathComponent("vigil.toml").path
        try """
            [collector]
            name = "act"
            local_as = 12654
            [[peer]]
            address = "127.0.0.1"
            port = \(port)
            as = 65001
            mode = "active"
            [archive]
            directory = ""
            [store]
            database = ""
            status_file = "\(dir.path)/status.json"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let vigil = try Background(["collect", "--config", config], in: dir)
        defer { vigil.stop(signal: SIGKILL) }
        func accept1() throws -> TestSpeaker {
            var tv = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            let fd = accept(server, nil, nil)
            guard fd >= 0 else { throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "Vigil did not dial within 20 s"]) }
            return try TestSpeaker(connected: fd, asn: 65001)
        }
        let first = try accept1()
        try first.announce(["203.0.113.0/24"], path: [65001])
        func status() -> String { (try? CLI.vigil("collect", "--config", config, "--status").text) ?? "" }
        waitFor("the route over the dialled session", seconds: 20) { status().contains("Established") && status().contains("  1  ") }
        let gone = Date()
        first.close()
        let second = try accept1()
        let after = Date().timeIntervalSince(gone)
        XCTAssertLessThan(after, 5, "redialled after \(after) s: backoff starts at 1 s once a session was up")
        waitFor("the second session", seconds: 20) { status().contains("Established") }
        second.close()
        XCTAssertTrue(vigil.stderr.contains("dialling 127.0.0.1 port \(port)"), vigil.stderr)
    }

    func testBMPFedPeerIsACollectorPeer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bmpcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = 18900 + Int(getpid() % 400)
        let config = dir.appendingPathComponent("vigil.toml").path
        try """
            [collector]
            name = "bmp"
            local_as = 12654
            [bmp]
            listen = "127.0.0.1:\(port)"
            routers = ["127.0.0.1"]
            [archive]
            directory = "\(dir.path)/archive"
            gzip = false
            [store]
            database = ""
            status_file = "\(dir.path)/status.json"
            events_file = "\(dir.path)/events.jsonl"
            [detect]
            watch = ["AS64999"]
            full_feed_v4 = 1
            live_warmup = "1s"
            live_min_outage = "0s"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let vigil = try Background(["collect", "--config", config], in: dir)
        defer { vigil.stop(signal: SIGKILL) }
        var fd: Int32?
        waitFor("the BMP listener", seconds: 20) { fd = TestSpeaker.connect("127.0.0.1", port); return fd != nil }
        let router = try TestSpeaker(raw: try XCTUnwrap(fd))
        let now = UInt32(Date().timeIntervalSince1970)
        let peer = BMPPeerHeader(address: IPAddress("192.0.2.1")!, asn: 65010, bgpID: 0xC000_0201, seconds: now)
        let caps: [Capability] = [.multiprotocol(.ipv4Unicast), .fourOctetAS(65010)]
        let up = BMPPeerUp(localAddress: IPAddress("192.0.2.254")!, localPort: 179, remotePort: 40000,
                           sentOpen: Open(myAS: 12654, holdTime: 90, bgpIdentifier: 9, capabilities: caps),
                           receivedOpen: Open(myAS: 65010, holdTime: 90, bgpIdentifier: 0xC000_0201, capabilities: caps))
        let route = Update(attributes: [.origin(.igp), .asPath(ASPath(sequence: [65010, 64999])), .nextHop(0xC000_0201)],
                           nlri: [NLRI(Prefix("203.0.113.0/24")!)])
        try router.send(BMPMessage.initiation([BMPInformation(type: 2, text: "test-router")]).encode()
                        + BMPMessage.peerUp(peer, up).encode() + BMPMessage.routeMonitoring(peer, route).encode())
        func status() -> String { (try? CLI.vigil("collect", "--config", config, "--status").text) ?? "" }
        waitFor("the BMP peer in the status", seconds: 20) {
            status().split(separator: "\n").contains { $0.hasPrefix("192.0.2.1 ") && $0.contains("bmp 127.0.0.1") && $0.contains("Established") && $0.contains("  1  ") }
        }
        sleep(2)
        // The monitored peer withdraws: a live outage, as for a BGP peer.
        var header = peer
        header.seconds = UInt32(Date().timeIntervalSince1970)
        try router.send(BMPMessage.routeMonitoring(header, Update(withdrawn: [NLRI(Prefix("203.0.113.0/24")!)])).encode())
        let events = dir.appendingPathComponent("events.jsonl").path
        waitFor("the outage", seconds: 10) { ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").contains("\"entity\":\"AS64999\"") }
        router.close()
        vigil.stop()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/archive/bmp").filter { $0.hasPrefix("updates.") }
        let text = try files.map { try CLI.vigil("dump", "-m", dir.path + "/archive/bmp/" + $0).text }.joined()
        XCTAssertTrue(text.contains("|A|192.0.2.1|65010|203.0.113.0/24|65010 64999|"), text)
        XCTAssertTrue(text.contains("|W|192.0.2.1|65010|203.0.113.0/24"), text)
    }
}
