import Foundation
import XCTest
import BGPWire
import MRT
@testable import Collector
import Glibc

// Shared by the real-router tests: namespaces, daemons, bounded waits, archive checks.

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
        e.logger = .recording { [self] _, line in with { $0.logs.append(line) } }
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
        _ = FileManager.default.createFile(atPath: path, contents: nil)
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
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
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

extension PeerLab {
    /// An FRR bgpd configuration (AS65020) peering with the collector (AS12654) over both
    /// transports, announcing `v4` and `v6`; `neighbor` lines go on both neighbours.
    func frrConfig(hostname: String, port4: Int, port6: Int, neighbor: [String] = [], v4: [String], v6: [String]) -> String {
        let both = [ours4, ours6]
        func n(_ addr: String, _ port: Int) -> String {
            ([" neighbor \(addr) remote-as 12654", " neighbor \(addr) port \(port)", " neighbor \(addr) timers connect 2"]
                + neighbor.map { " neighbor \(addr) \($0)" }).joined(separator: "\n")
        }
        return """
            frr defaults traditional
            hostname \(hostname)
            log file \(dir.path)/bgpd.log informational
            router bgp 65020
             bgp router-id \(theirs4)
             no bgp ebgp-requires-policy
             no bgp network import-check
             no bgp default ipv4-unicast
             timers bgp 10 30
            \(n(both[0], port4))
            \(n(both[1], port6))
             address-family ipv4 unicast
            \(v4.map { "  network \($0)" }.joined(separator: "\n"))
              neighbor \(ours4) activate
             exit-address-family
             address-family ipv6 unicast
            \(v6.map { "  network \($0)" }.joined(separator: "\n"))
              neighbor \(ours6) activate
             exit-address-family
            """
    }
}
