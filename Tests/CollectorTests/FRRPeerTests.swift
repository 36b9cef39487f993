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
        try """
            frr defaults traditional
            hostname vigil-frr
            log file \(lab.dir.path)/bgpd.log informational
            router bgp 65020
             bgp router-id \(lab.theirs4)
             no bgp ebgp-requires-policy
             no bgp network import-check
             no bgp default ipv4-unicast
             timers bgp 10 30
             neighbor \(lab.ours4) remote-as 12654
             neighbor \(lab.ours4) port \(port4)
             neighbor \(lab.ours4) timers connect 2
             neighbor \(lab.ours4) advertisement-interval 0
             neighbor \(lab.ours6) remote-as 12654
             neighbor \(lab.ours6) port \(port6)
             neighbor \(lab.ours6) timers connect 2
             neighbor \(lab.ours6) advertisement-interval 0
             address-family ipv4 unicast
            \(v4.map { "  network \($0)" }.joined(separator: "\n"))
              neighbor \(lab.ours4) activate
             exit-address-family
             address-family ipv6 unicast
            \(v6.map { "  network \($0)" }.joined(separator: "\n"))
              neighbor \(lab.ours6) activate
             exit-address-family
            """.write(toFile: conf, atomically: true, encoding: .utf8)
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

// MARK: - Shared by FRRPeerTests, GoBGPPeerTests and ExaBGPPeerTests

/// What the listener reported, per peer address and per "peer prefix", thread-safe.
final class RouteLog: @unchecked Sendable {
    let lock = NSLock()
    var established: [String: Int] = [:], down: [String: Int] = [:], downReasons: [String: [String]] = [:]
    var families: [String: [AFISAFI]] = [:]
    var announced: [String: Int] = [:], withdrawn: [String: Int] = [:]
    /// Decisions other than accept, as "peer: decision".
    var otherDecisions: [String] = []
    var logs: [String] = []

    func with<T>(_ f: (RouteLog) -> T) -> T { lock.lock(); defer { lock.unlock() }; return f(self) }

    var events: BGPListener.Events {
        var e = BGPListener.Events()
        e.onEstablished = { [self] p, n in
            with { s in
                s.established["\(p.address)", default: 0] += 1
                s.families["\(p.address)"] = n.families
            }
        }
        e.onDown = { [self] p, reason in
            with { s in
                s.down["\(p.address)", default: 0] += 1
                s.downReasons["\(p.address)", default: []].append(reason)
            }
        }
        e.onUpdate = { [self] p, decision, _, _, _ in
            let peer = "\(p.address)"
            guard case let .accept(u) = decision else { return with { $0.otherDecisions.append("\(peer): \(decision)") } }
            with { s in
                for n in u.nlri + (u.attributes.mpReach?.nlri ?? []) { s.announced[peer + " " + n.prefix.description, default: 0] += 1 }
                for n in u.withdrawn + (u.attributes.mpUnreach?.withdrawn ?? []) { s.withdrawn[peer + " " + n.prefix.description, default: 0] += 1 }
            }
        }
        e.onLog = { [self] line in with { $0.logs.append(line) } }
        return e
    }
}

/// A network namespace joined to the host by a veth pair, with an IPv4 /24
/// (10.<secondOctet>.<id>.0/24) and an IPv6 /64 (fd00:<secondOctet>:<id>::/64):
/// `.1` on the host side for Vigil, `.2` in the namespace for the daemon.
/// Names and subnets come from the process id, so concurrent runs do not collide.
final class PeerLab {
    let ns: String, hostIf: String, peerIf: String
    let ours4: String, theirs4: String, ours6: String, theirs6: String
    let dir: URL
    var processes: [Process] = []

    init(tag: String, secondOctet: Int) throws {
        let pid = Int(getpid())
        let id = pid % 200 + 20
        ns = "vgl\(tag)\(pid % 100000)"
        hostIf = "vg\(tag)h\(pid % 100000)"
        peerIf = "vg\(tag)p\(pid % 100000)"
        ours4 = "10.\(secondOctet).\(id).1"
        theirs4 = "10.\(secondOctet).\(id).2"
        ours6 = "fd00:\(secondOctet):\(id)::1"
        theirs6 = "fd00:\(secondOctet):\(id)::2"
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(tag)peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Leftovers of an earlier run with the same pid would make `add` fail.
        _ = PeerLab.sh(["ip", "netns", "del", ns])
        _ = PeerLab.sh(["ip", "link", "del", hostIf])
        for cmd in [
            ["ip", "netns", "add", ns],
            ["ip", "link", "add", hostIf, "type", "veth", "peer", "name", peerIf],
            ["ip", "link", "set", peerIf, "netns", ns],
            ["ip", "addr", "add", "\(ours4)/24", "dev", hostIf],
            ["ip", "-6", "addr", "add", "\(ours6)/64", "dev", hostIf, "nodad"],
            ["ip", "link", "set", hostIf, "up"],
            ["ip", "netns", "exec", ns, "ip", "addr", "add", "\(theirs4)/24", "dev", peerIf],
            ["ip", "netns", "exec", ns, "ip", "-6", "addr", "add", "\(theirs6)/64", "dev", peerIf, "nodad"],
            ["ip", "netns", "exec", ns, "ip", "link", "set", peerIf, "up"],
            ["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"],
        ] {
            let r = PeerLab.sh(cmd)
            XCTAssertEqual(r.status, 0, "\(cmd.joined(separator: " ")): \(r.output)")
        }
    }

    /// Stops what was spawned, removes the namespace, the link and the directory.
    func teardown() {
        for p in processes { PeerLab.stop(p) }
        processes = []
        _ = PeerLab.sh(["ip", "netns", "del", ns])
        _ = PeerLab.sh(["ip", "link", "del", hostIf])
        try? FileManager.default.removeItem(at: dir)
    }

    /// Runs a command to its end (at most 30 s, then it is killed); returns its
    /// status and its output (stdout and stderr, through a file: no pipe to fill).
    @discardableResult
    static func sh(_ args: [String], timeout: Double = 30) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-sh-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: nil)
        defer { unlink(path) }
        guard let out = FileHandle(forWritingAtPath: path) else { return (-1, "cannot create \(path)") }
        defer { try? out.close() }
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return (-1, "\(error)") }
        let until = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < until { usleep(10_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            return (-1, "\(args.joined(separator: " ")): killed after \(Int(timeout)) s")
        }
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }

    /// Starts a long-running command inside the namespace (`ip netns exec` execs it: the pid is the daemon's).
    func spawn(_ args: [String], environment: [String: String] = [:], log: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = environment.map { "\($0.key)=\($0.value)" }.sorted() + ["ip", "netns", "exec", ns] + args
        let logPath = dir.appendingPathComponent(log ?? "daemon.log").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let h = FileHandle(forWritingAtPath: logPath)
        p.standardOutput = h ?? FileHandle.nullDevice
        p.standardError = h ?? FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        processes.append(p)
        return p
    }

    /// SIGTERM, up to 10 s to exit, then SIGKILL.
    static func stop(_ p: Process?) {
        guard let p, p.isRunning else { return }
        p.terminate()
        let until = Date().addingTimeInterval(10)
        while p.isRunning && Date() < until { usleep(50_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// Polls `ok` every 50 ms for at most `seconds` (never more than 60).
    func wait(_ what: String, seconds: Double = 40, file: StaticString = #filePath, line: UInt = #line, _ ok: () -> Bool) {
        let until = Date().addingTimeInterval(min(seconds, 60))
        while !ok() && Date() < until { usleep(50_000) }
        XCTAssertTrue(ok(), "timed out waiting for \(what)", file: file, line: line)
    }

    /// Every `updates.*` file of an archive directory, read by Vigil (MRTReader +
    /// BgpdumpFormatter) and by Debian's `bgpdump -m`: asserts both print the same
    /// bytes, that Vigil reports no issue and that the records are in time order;
    /// returns bgpdump's lines split on "|".
    static func readArchive(_ archiveDir: String, file: StaticString = #filePath, line: UInt = #line) throws -> [[String]] {
        let files = try FileManager.default.contentsOfDirectory(atPath: archiveDir).filter { $0.hasPrefix("updates.") }.sorted()
        XCTAssertFalse(files.isEmpty, "no archive file in \(archiveDir)", file: file, line: line)
        var text = ""
        for f in files {
            let path = archiveDir + "/" + f
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/bgpdump")
            p.arguments = ["-q", "-m", path]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let theirs = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            var ours: [UInt8] = []
            let r = try MRTReader(path: path)
            let fmt = BgpdumpFormatter()
            while let rec = try r.next() { _ = fmt.format(rec, into: &ours) }
            XCTAssertEqual(String(decoding: ours, as: UTF8.self), theirs, f, file: file, line: line)
            XCTAssertTrue(r.issues.isEmpty, "\(f): \(r.issues)", file: file, line: line)
            text += theirs
        }
        let lines = text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        // One listener, one event loop: records are archived in the order they were received.
        let times = lines.map { Double($0[1]) ?? 0 }
        XCTAssertEqual(times, times.sorted(), "archive records out of time order", file: file, line: line)
        return lines
    }
}
