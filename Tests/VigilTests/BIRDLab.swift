import Foundation
import XCTest

/// A test's folder, a namespace with BIRD (AS65010) in it, and the `vigil` run beside it;
/// `remove()` undoes all of it (processes, routes, namespace, folder).
final class BIRDLab {
    let dir: URL
    let ns: Netns
    let port: Int
    let sock: String
    let birdConf: String
    var bird: Process?
    var vigil: Background?
    var hostRoutes: [String] = []

    init(_ name: String, tag: String, subnet: String, port: Int) throws {
        dir = try CLI.tempDir(name)
        ns = try Netns(tag: tag, subnet: subnet)
        self.port = port
        sock = dir.appendingPathComponent("bird.ctl").path
        birdConf = dir.appendingPathComponent("bird.conf").path
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// `prefix` answers pings from inside the namespace, reached through it.
    func answer(_ prefix: String) throws {
        XCTAssertEqual(try ns.exec(["ip", "route", "add", "local", prefix, "dev", "lo"]), 0)
        XCTAssertEqual(try Netns.sh(["ip", "route", "add", prefix, "via", ns.peer]), 0)
        hostRoutes.append(prefix)
    }

    /// Writes BIRD's configuration (announcing `routes`, with `session` lines in its BGP protocol).
    func writeBIRD(routes: [(prefix: String, origin: UInt32)], session: String = "") throws {
        try upstreamBIRDConfig(ns, port: port, routes: routes, session: session).write(toFile: birdConf, atomically: true, encoding: .utf8)
    }

    func startBIRD() throws {
        bird = try ns.spawn(["bird", "-f", "-c", birdConf, "-s", sock, "-P", path("bird.pid")])
    }

    /// The collector's side of the session with BIRD, for a vigil.toml.
    func collectorTOML(name: String, extra: String = "", peer: String = "") -> String {
        """
        [collector]
        name = "\(name)"
        local_as = 12654
        router_id = "10.0.0.254"
        listen = "\(ns.host):\(port)"
        \(extra)

        [[peer]]
        address = "\(ns.peer)"
        as = 65010
        \(peer)
        """
    }

    /// Whether `vigil collect --status` shows the session with BIRD established.
    func established(config: String) -> Bool {
        let s = (try? CLI.vigil("collect", "--config", config, "--status").text) ?? ""
        return s.split(separator: "\n").contains { $0.hasPrefix(ns.peer) && $0.contains("Established") }
    }

    func remove() {
        vigil?.stop(signal: SIGKILL)
        bird?.terminate()
        bird?.waitUntilExit()
        for r in hostRoutes { _ = try? Netns.sh(["ip", "route", "del", r]) }
        ns.remove()
        try? FileManager.default.removeItem(at: dir)
    }
}
