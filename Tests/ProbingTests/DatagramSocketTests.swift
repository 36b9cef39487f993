import BGPWire
import Foundation
import XCTest

import Probing

// Real packets over Linux ping sockets (SOCK_DGRAM + IPPROTO_ICMP/ICMPV6). Same shape as
// ProberNamespaceTests, but its own subnets (10.225-227.ID.x, fd00:225:ID::) and lab tag
// ("dg") so both classes can run one after the other, or side by side.
// ProberNamespaceTests' /16 uses 10.ID.0.0/16 with ID in 20...219, hence octets above that.

private let rangePath = "/proc/sys/net/ipv4/ping_group_range"

/// The host namespace's ping_group_range, normalised to "lo hi".
private func pingGroupRange() throws -> String {
    try String(contentsOfFile: rangePath, encoding: .utf8).split(whereSeparator: \.isWhitespace).joined(separator: " ")
}

private func setPingGroupRange(_ value: String) throws {
    try must(["sysctl", "-q", "-w", "net.ipv4.ping_group_range=\(value)"])
    let now = try pingGroupRange()
    guard now == value else {
        throw NSError(domain: "datagram-tests", code: 3, userInfo: [NSLocalizedDescriptionKey: "ping_group_range is \(now), wanted \(value)"])
    }
}

final class DatagramSocketTests: XCTestCase {
    /// Set in the child process of `testAutoFallsBackToDatagramWithoutCapNetRaw`.
    private static let childKey = "VIGIL_DGRAM_CHILD"
    private static var isChild: Bool { ProcessInfo.processInfo.environment[childKey] == "1" }

    override func setUpWithError() throws {
        // Never a silent skip: scripts/test.sh runs as root, as these tests need.
        guard getuid() == 0 else {
            XCTFail("namespaces and net.ipv4.ping_group_range need root (run scripts/test.sh as root)")
            throw NSError(domain: "DatagramSocketTests", code: 1)
        }
    }

    /// Runs `body` with ping sockets allowed for every group, then puts the old range back.
    private func withPingSocketsAllowed(_ body: () throws -> Void) throws {
        let previous = try pingGroupRange()
        defer {
            do { try setPingGroupRange(previous) } catch { XCTFail("could not restore ping_group_range \(previous): \(error)") }
        }
        try setPingGroupRange("0 2147483647")
        try body()
    }

    func testIPv4DatagramReachableAndUnrouted() throws {
        if Self.isChild { return }
        let lab = try ProbeLab(tag: "dg", subnet: "10.225")
        defer { lab.remove() }
        let id = lab.id
        // A whole /24 answers inside the namespace; another /24 is routed there but goes nowhere.
        try lab.inside(["ip", "route", "add", "local", "10.226.\(id).0/24", "dev", "lo"])
        try must(["ip", "route", "add", "10.226.\(id).0/24", "via", lab.peer])
        try must(["ip", "route", "add", "10.227.\(id).0/24", "via", lab.peer])
        let live = (0..<256).map { IPAddress.v4(UInt32(10) << 24 | UInt32(226) << 16 | UInt32(id) << 8 | UInt32($0)) }
        let dark = (1...10).map { IPAddress.v4(UInt32(10) << 24 | UInt32(227) << 16 | UInt32(id) << 8 | UInt32($0)) }

        try withPingSocketsAllowed {
            let prober = try Prober(rate: 2000, timeout: 1, kind: .datagram)
            XCTAssertEqual(prober.socketKind, .datagram)
            let start = Date()
            let results = prober.probe(live + dark)
            XCTAssertLessThan(Date().timeIntervalSince(start), 3, "266 probes at 2000/s + 1 s timeout")
            let s = prober.lastStats
            XCTAssertEqual(s.sent, 266)
            XCTAssertEqual(s.sendErrors, 0)
            XCTAssertEqual(s.unmatched, 0)
            XCTAssertEqual(results.prefix(256).filter { $0.answered == 1 }.count, 256)
            XCTAssertEqual(results.suffix(10).reduce(0) { $0 + $1.answered }, 0)
            XCTAssertTrue(results.suffix(10).allSatisfy { $0.sent == 1 && $0.rtts.isEmpty })
            for r in results.prefix(256) {
                XCTAssertEqual(r.sent, 1)
                for rtt in r.rtts { XCTAssertTrue(rtt > 0 && rtt < 1, "rtt \(rtt) for \(r.target)") }
            }
            XCTAssertEqual(s.kernelTimestamps, s.answered, "SO_TIMESTAMPNS on ping sockets")
            print("datagram probing: identifier \(prober.identifier)/\(prober.identifierV6), \(s)")

            // The kernel gives every ping socket its own identifier and delivers it only its own
            // replies: a second prober probing at the same time gets all of its answers too.
            nonisolated(unsafe) let other = try Prober(rate: 2000, timeout: 1, kind: .datagram)
            XCTAssertNotEqual(other.identifier, prober.identifier)
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var otherResults: [ProbeResult] = []
            Thread { otherResults = other.probe(live); done.signal() }.start()
            let again = prober.probe(live)
            XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
            XCTAssertEqual(again.filter { $0.answered == 1 }.count, 256)
            XCTAssertEqual(otherResults.filter { $0.answered == 1 }.count, 256)
            XCTAssertEqual(prober.lastStats.unmatched, 0)
            XCTAssertEqual(other.lastStats.unmatched, 0)
        }
    }

    func testIPv6DatagramReachableAndUnrouted() throws {
        if Self.isChild { return }
        let lab = try ProbeLab(tag: "dg", subnet: "10.225")
        defer { lab.remove() }
        let net = "fd00:225:\(lab.id)"
        try must(["ip", "-6", "addr", "add", "\(net)::1/64", "dev", lab.hostIf, "nodad"])
        try lab.inside(["ip", "-6", "addr", "add", "\(net)::2/64", "dev", lab.innerIf, "nodad"])
        try lab.inside(["ip", "-6", "route", "add", "local", "\(net):1::/64", "dev", "lo"])
        try must(["ip", "-6", "route", "add", "\(net):1::/64", "via", "\(net)::2"])
        try must(["ip", "-6", "route", "add", "\(net):2::/64", "via", "\(net)::2"])
        let live = try (1...256).map { try XCTUnwrap(IPAddress("\(net):1::\(String($0, radix: 16))")) }
        let dark = try (1...5).map { try XCTUnwrap(IPAddress("\(net):2::\($0)")) }

        try withPingSocketsAllowed {
            let prober = try Prober(rate: 2000, timeout: 1, kind: .datagram)
            XCTAssertEqual(prober.socketKind, .datagram)
            guard prober.hasIPv6 else { return XCTFail("no IPv6 ping socket") }
            // Each family's ping socket gets its own identifier from the shared ident table.
            XCTAssertNotEqual(prober.identifierV6, prober.identifier)
            // Neighbour discovery for the next hop may lose the very first packets: one bounded warm-up.
            _ = prober.probe([live[0]])
            let results = prober.probe(live + dark)
            let s = prober.lastStats
            XCTAssertEqual(s.sent, 261)
            XCTAssertEqual(s.sendErrors, 0)
            XCTAssertEqual(s.unmatched, 0)
            XCTAssertEqual(results.prefix(256).filter { $0.answered == 1 }.count, 256)
            XCTAssertEqual(results.suffix(5).reduce(0) { $0 + $1.answered }, 0)
            for r in results.prefix(256) {
                for rtt in r.rtts { XCTAssertTrue(rtt > 0 && rtt < 1, "rtt \(rtt) for \(r.target)") }
            }
            XCTAssertEqual(s.kernelTimestamps, s.answered)

            // Mixed families in one call: each reply matched against its own socket's identifier.
            let mixed = prober.probe(Array(live.prefix(20)) + [IPAddress.v4(0x7F00_0001)])
            XCTAssertEqual(mixed.filter { $0.answered == 1 }.count, 21)
        }
    }

    func testDisabledRangeRefusesDatagramAndAutoPicksRawAsRoot() throws {
        if Self.isChild { return }
        let previous = try pingGroupRange()
        defer {
            do { try setPingGroupRange(previous) } catch { XCTFail("could not restore ping_group_range \(previous): \(error)") }
        }
        try setPingGroupRange("1 0")  // the kernel default: nobody

        XCTAssertThrowsError(try Prober(kind: .datagram)) { error in
            guard case let ProbeError.socket(what, e)? = error as? ProbeError else { return XCTFail("\(error)") }
            XCTAssertEqual(e, EACCES)
            let text = "\(error)"
            XCTAssertTrue(what.contains("SOCK_DGRAM"), text)
            XCTAssertTrue(text.contains("sysctl -w net.ipv4.ping_group_range="), text)
            XCTAssertTrue(text.contains("now \"1 0\""), text)
            XCTAssertTrue(text.contains("CAP_NET_RAW"), text)
            print("datagram refused: \(text)")
        }
        let auto = try Prober(kind: .auto)
        XCTAssertEqual(auto.socketKind, .raw)
        XCTAssertEqual(try Prober().socketKind, .raw, "the default stays raw")
        let results = auto.probe([IPAddress.v4(0x7F00_0001)])
        XCTAssertEqual(results.first?.answered, 1)
    }

    /// `.auto` without CAP_NET_RAW: this test re-runs itself in a child without the capability
    /// (setpriv drops it from the bounding set, so root's execve does not get it), where raw
    /// sockets fail with EPERM. With ping sockets allowed the prober must fall back to one;
    /// with them disabled too, it must say what to do about both.
    func testAutoFallsBackToDatagramWithoutCapNetRaw() throws {
        if Self.isChild { return try autoWithoutCapNetRawChild() }
        try withPingSocketsAllowed {
            let (rc, text) = try runChildWithoutCapNetRaw()
            XCTAssertEqual(rc, 0, text)
            XCTAssertTrue(text.contains("child-auto-kind=datagram answered=[1, 1]"), text)
            XCTAssertTrue(text.contains("Executed 1 test"), "the child must really run the test:\n\(text)")

            try setPingGroupRange("1 0")  // withPingSocketsAllowed restores the original
            let (rc2, text2) = try runChildWithoutCapNetRaw()
            XCTAssertEqual(rc2, 0, text2)
            XCTAssertTrue(text2.contains("child-auto-refused"), text2)
            XCTAssertTrue(text2.contains("Executed 1 test"), "the child must really run the test:\n\(text2)")
        }
    }

    private func autoWithoutCapNetRawChild() throws {
        let raw: ProbeError? = {
            do throws(ProbeError) { _ = try Prober(kind: .raw); return nil } catch { return error }
        }()
        guard case let .socket(_, e)? = raw, e == EPERM else {
            return XCTFail("raw socket without CAP_NET_RAW: \(String(describing: raw))")
        }
        if try pingGroupRange() == "1 0" {
            XCTAssertThrowsError(try Prober(kind: .auto)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("raw ICMP socket refused (Operation not permitted; it needs CAP_NET_RAW)"), text)
                XCTAssertTrue(text.contains("sysctl -w net.ipv4.ping_group_range="), text)
                XCTAssertTrue(text.hasSuffix(": Permission denied"), text)
                print("child-auto-refused: \(text)")
            }
            return
        }
        let prober = try Prober(rate: 1000, timeout: 1, kind: .auto)
        XCTAssertEqual(prober.socketKind, .datagram)
        let results = prober.probe([IPAddress.v4(0x7F00_0001), IPAddress.v6(0, 1)])
        XCTAssertEqual(results.map(\.answered), [1, prober.hasIPv6 ? 1 : 0])
        print("child-auto-kind=\(prober.socketKind.rawValue) answered=\(results.map(\.answered))")
    }

    /// Runs this test's child half in a copy of the test binary without CAP_NET_RAW (bounded by
    /// `timeout`); returns its exit status and output.
    private func runChildWithoutCapNetRaw() throws -> (Int32, String) {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var env = ProcessInfo.processInfo.environment
        env[Self.childKey] = "1"
        let out = Pipe()
        // Read while the child runs so a full pipe can never block it.
        nonisolated(unsafe) var text = ""
        let read = DispatchSemaphore(value: 0)
        Thread {
            text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            read.signal()
        }.start()
        let rc = try sh(["timeout", "60", "setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw", exe,
                                 "ProbingTests.DatagramSocketTests/testAutoFallsBackToDatagramWithoutCapNetRaw"],
                                environment: env, output: out)
        try? out.fileHandleForWriting.close()  // the child's copy is gone; this ends the read
        XCTAssertEqual(read.wait(timeout: .now() + 10), .success, "child output not read")
        return (rc, text)
    }
}
