import Foundation
import XCTest
import BGPWire
import MRT
@testable import Collector

/// A real BIRD, in a network namespace this test creates, peers with Vigil's
/// listener over a veth pair: announces, withdraws, goes away. The test checks
/// what Vigil saw and archived (also read by Debian's bgpdump).
final class BIRDPeerTests: XCTestCase {
    final class Seen: @unchecked Sendable {
        let lock = NSLock()
        var established = 0, down = 0, announced = Set<String>(), withdrawn = Set<String>()
        func with<T>(_ f: (Seen) -> T) -> T { lock.lock(); defer { lock.unlock() }; return f(self) }
    }

    @discardableResult
    func sh(_ args: [String]) throws -> Int32 { PeerLab.sh(args).status }

    func wait(_ what: String, seconds: Double = 40, _ ok: () -> Bool) {
        let until = Date().addingTimeInterval(seconds)
        while !ok() && Date() < until { usleep(100_000) }
        XCTAssertTrue(ok(), "timed out waiting for \(what)")
    }

    func testBIRDAnnouncesWithdrawsAndLeaves() throws {
        guard getuid() == 0 else { return XCTFail("needs root for network namespaces (run scripts/test.sh as root)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/bird") else { return XCTFail("bird2 not installed: scripts/test.sh installs it") }
        let id = Int(getpid()) % 200 + 20
        let ns = "vglbird\(getpid() % 100000)", host = "vgh\(getpid() % 100000)", peerIf = "vgp\(getpid() % 100000)"
        let ours = "10.201.\(id).1", theirs = "10.201.\(id).2"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bird-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var bird: Process?
        defer {
            bird?.terminate()
            bird?.waitUntilExit()
            _ = try? sh(["ip", "netns", "del", ns])
            _ = try? sh(["ip", "link", "del", host])
            try? FileManager.default.removeItem(at: dir)
        }
        XCTAssertEqual(try sh(["ip", "netns", "add", ns]), 0)
        XCTAssertEqual(try sh(["ip", "link", "add", host, "type", "veth", "peer", "name", peerIf]), 0)
        XCTAssertEqual(try sh(["ip", "link", "set", peerIf, "netns", ns]), 0)
        XCTAssertEqual(try sh(["ip", "addr", "add", "\(ours)/24", "dev", host]), 0)
        XCTAssertEqual(try sh(["ip", "link", "set", host, "up"]), 0)
        XCTAssertEqual(try sh(["ip", "netns", "exec", ns, "ip", "addr", "add", "\(theirs)/24", "dev", peerIf]), 0)
        XCTAssertEqual(try sh(["ip", "netns", "exec", ns, "ip", "link", "set", peerIf, "up"]), 0)
        XCTAssertEqual(try sh(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]), 0)

        let seen = Seen()
        var events = BGPListener.Events()
        events.onEstablished = { _, _ in seen.with { $0.established += 1 } }
        events.onDown = { _, _ in seen.with { $0.down += 1 } }
        events.onUpdate = { _, decision, _, _, _ in
            guard case let .accept(u) = decision else { return }
            seen.with { s in
                for n in u.nlri { s.announced.insert(n.prefix.description) }
                for n in u.withdrawn { s.withdrawn.insert(n.prefix.description) }
            }
        }
        let archiveDir = dir.appendingPathComponent("archive").path
        let archive = try ArchiveWriter(directory: archiveDir, gzip: false)
        var config = SessionMachine.Config(localAS: 12654, routerID: 0x0A00_00FE)
        config.holdTime = 30
        let listener = BGPListener(config: config, archive: SharedArchive(archive), events: events)
        try listener.start(host: ours, port: 17900)
        defer { listener.stop() }

        let conf = dir.appendingPathComponent("bird.conf").path
        try """
            router id \(theirs);
            protocol device {}
            protocol static s4 {
              ipv4;
              route 192.0.2.0/24 blackhole;
              route 198.51.100.0/24 blackhole;
              route 203.0.113.0/24 blackhole;
            }
            protocol bgp vigil {
              local \(theirs) as 65010;
              neighbor \(ours) port 17900 as 12654;
              hold time 30;
              connect retry time 2;
              ipv4 { import none; export all; };
            }
            """.write(toFile: conf, atomically: true, encoding: .utf8)
        let sock = dir.appendingPathComponent("bird.ctl").path
        let b = Process()
        b.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        b.arguments = ["ip", "netns", "exec", ns, "bird", "-f", "-c", conf, "-s", sock, "-P", dir.appendingPathComponent("bird.pid").path]
        b.standardOutput = FileHandle.nullDevice
        b.standardError = FileHandle.nullDevice
        try b.run()
        bird = b

        let routes: Set<String> = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]
        wait("the session") { seen.with { $0.established } == 1 }
        wait("BIRD's three routes") { seen.with { $0.announced } == routes }
        XCTAssertEqual(try sh(["ip", "netns", "exec", ns, "birdc", "-s", sock, "disable", "s4"]), 0)
        wait("their withdrawal") { seen.with { $0.withdrawn } == routes }
        b.terminate()
        b.waitUntilExit()
        bird = nil
        wait("the session to go down") { seen.with { $0.down } == 1 }
        listener.stop()

        // The archive: the same story, readable by Vigil and by Debian's bgpdump.
        let lines = try PeerLab.readArchive(archiveDir)
        let text = lines.map { $0.joined(separator: "|") }.joined(separator: "\n")
        XCTAssertEqual(Set(lines.filter { $0[2] == "A" }.map { $0[5] }), routes, text)
        XCTAssertEqual(Set(lines.filter { $0[2] == "W" }.map { $0[5] }), routes, text)
        XCTAssertTrue(lines.filter { $0[2] == "A" }.allSatisfy { $0[3] == theirs && $0[4] == "65010" && $0[6] == "65010" }, text)
        XCTAssertEqual(lines.filter { $0[2] == "STATE" }.map { "\($0[5])>\($0[6])" }, ["5>6", "6>1"], text)
    }
}
