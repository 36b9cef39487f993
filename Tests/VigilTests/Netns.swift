import Foundation
import XCTest

/// A network namespace joined to the host by a veth pair, made and removed by a test.
final class Netns {
    let name: String
    let hostIf: String
    let host: String
    let peer: String

    /// `subnet` like "10.206": the host side is SUBNET.ID.1/24, the namespace side SUBNET.ID.2.
    init(tag: String, subnet: String) throws {
        let n = getpid() % 100000
        name = "vg\(tag)\(n)"
        hostIf = "vh\(tag)\(n)"
        let id = Int(getpid()) % 200 + 20
        host = "\(subnet).\(id).1"
        peer = "\(subnet).\(id).2"
        let inner = "vp\(tag)\(n)"
        _ = try? Netns.sh(["ip", "netns", "del", name])
        _ = try? Netns.sh(["ip", "link", "del", hostIf])
        for cmd in [["ip", "netns", "add", name],
                    ["ip", "link", "add", hostIf, "type", "veth", "peer", "name", inner],
                    ["ip", "link", "set", inner, "netns", name],
                    ["ip", "addr", "add", "\(host)/24", "dev", hostIf],
                    ["ip", "link", "set", hostIf, "up"],
                    ["ip", "netns", "exec", name, "ip", "addr", "add", "\(peer)/24", "dev", inner],
                    ["ip", "netns", "exec", name, "ip", "link", "set", inner, "up"],
                    ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"]] {
            let rc = try Netns.sh(cmd)
            guard rc == 0 else { throw NSError(domain: "netns", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "\(cmd.joined(separator: " ")) failed"]) }
        }
    }

    func remove() {
        _ = try? Netns.sh(["ip", "netns", "del", name])
        _ = try? Netns.sh(["ip", "link", "del", hostIf])
    }

    /// Runs a command inside the namespace, in the background.
    func spawn(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["ip", "netns", "exec", name] + args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    @discardableResult
    func exec(_ args: [String]) throws -> Int32 { try Netns.sh(["ip", "netns", "exec", name] + args) }

    @discardableResult
    static func sh(_ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}

/// A BIRD configuration for the namespace side: AS65010, upstream of the origins, announcing
/// `routes` (prefix, origin AS) to a collector (AS12654) listening on the host side at `port`.
/// `session`: more lines for the BGP protocol (a password, TTL security).
func upstreamBIRDConfig(_ ns: Netns, port: Int, routes: [(prefix: String, origin: UInt32)], session: String = "") -> String {
    """
    router id \(ns.peer);
    protocol device {}
    protocol static s4 {
      ipv4;
    \(routes.map { "  route \($0.prefix) blackhole { bgp_path.prepend(\($0.origin)); };" }.joined(separator: "\n"))
    }
    protocol bgp vigil {
      local \(ns.peer) as 65010;
      neighbor \(ns.host) port \(port) as 12654;
      hold time 30;
      connect retry time 1;
      ipv4 { import none; export all; };
    \(session)
    }
    """
}

/// The JSON lines of an events file so far (none while it does not exist).
func eventLines(_ path: String) -> [[String: Any]] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

/// The first event change of `change` (opened, closed …) with `cause` for `entity`.
func firstChange(_ events: [[String: Any]], _ change: String, _ cause: String, _ entity: String) -> [String: Any]? {
    events.first { $0["change"] as? String == change && $0["cause"] as? String == cause && $0["entity"] as? String == entity }
}

/// Waits (bounded) for a condition; fails the test if it never holds.
func waitFor(_ what: String, seconds: Double = 40, file: StaticString = #filePath, line: UInt = #line, _ ok: () -> Bool) {
    let until = Date().addingTimeInterval(seconds)
    while !ok() && Date() < until { usleep(50_000) }
    XCTAssertTrue(ok(), "timed out waiting for \(what)", file: file, line: line)
}

/// A `vigil` process in the background, its output collected in files.
final class Background {
    let process = Process()
    let out: String
    let err: String

    init(_ args: [String], in dir: URL) throws {
        out = dir.appendingPathComponent("stdout-\(UUID().uuidString)").path
        err = dir.appendingPathComponent("stderr-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.executableURL = URL(fileURLWithPath: CLI.vigil)
        process.arguments = args
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
    }

    var stdout: String { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: err, encoding: .utf8)) ?? "" }

    func stop(signal sig: Int32 = SIGTERM) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, sig)
        process.waitUntilExit()
    }
}

/// The configuration of a `vigil serve` peering with BIRD in `ns` (AS65010) and watching `watch`,
/// its files under `dir`, the web on `web`; `more` is appended (alert channels, …).
func liveServeConfig(_ ns: Netns, name: String, port: Int, dir: URL, watch: [String], web: Int, more: String = "") -> String {
    """
    [collector]
    name = "\(name)"
    local_as = 12654
    router_id = "10.0.0.254"
    hold_time = 30
    listen = "\(ns.host):\(port)"

    [[peer]]
    address = "\(ns.peer)"
    as = 65010

    [archive]
    directory = "\(dir.appendingPathComponent("archive").path)"

    [store]
    database = "\(dir.appendingPathComponent("vigil.sqlite").path)"
    status_file = "\(dir.appendingPathComponent("status.json").path)"
    events_file = "\(dir.appendingPathComponent("events.jsonl").path)"

    [detect]
    watch = [\(watch.map { "\"\($0)\"" }.joined(separator: ", "))]
    full_feed_v4 = 1
    live_warmup = "3s"
    live_min_outage = "0s"

    [metrics]
    listen = "127.0.0.1:\(web)"

    \(more)
    """
}

/// The recording alert receiver (Tests/AlertsTests/Fixtures/alert_receiver.py) on `port`, writing to `file`.
func startAlertReceiver(port: Int, file: String) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", CLI.packageRoot.appendingPathComponent("Tests/AlertsTests/Fixtures/alert_receiver.py").path, "\(port)", file]
    try p.run()
    waitFor("the alert receiver on port \(port)", seconds: 10) { httpGet("http://127.0.0.1:\(port)/") != nil }
    return p
}
