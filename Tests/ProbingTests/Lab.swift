import BGPWire
import Foundation
import XCTest

// Shell and namespace helpers shared by the probing tests, which build their own networks.

/// Runs a command; its output goes to `output` (default: discarded).
@discardableResult
func sh(_ args: [String], environment: [String: String]? = nil, output: Pipe? = nil) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    if let environment { p.environment = environment }
    p.standardOutput = output ?? FileHandle.nullDevice
    p.standardError = output ?? FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

func must(_ args: [String]) throws {
    let rc = try sh(args)
    guard rc == 0 else {
        throw NSError(domain: "probing-tests", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "\(args.joined(separator: " ")) failed (\(rc))"])
    }
}

/// nft, installed if missing (scripts/test.sh installs it; never a silent skip).
func ensureNft() throws {
    if try sh(["sh", "-c", "command -v nft"]) == 0 { return }
    _ = try sh(["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "nftables"])
    guard try sh(["sh", "-c", "command -v nft"]) == 0 else {
        XCTFail("nft is not available and `apt-get install nftables` failed")
        throw NSError(domain: "probing-tests", code: 2)
    }
}

/// A namespace joined to the host by a veth pair: host SUBNET.ID.1/24, namespace SUBNET.ID.2/24.
/// Each test class takes its own `tag` (interface names) and `subnet`, so classes never clash.
final class ProbeLab {
    let id = Int(getpid()) % 200 + 20
    let name: String
    let hostIf: String
    let innerIf: String
    let host: String
    let peer: String

    init(tag: String, subnet: String) throws {
        let n = getpid() % 100000
        name = "vg\(tag)\(n)"
        hostIf = "vh\(tag)\(n)"
        innerIf = "vp\(tag)\(n)"
        host = "\(subnet).\(id).1"
        peer = "\(subnet).\(id).2"
        remove()
        try must(["ip", "netns", "add", name])
        try must(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", innerIf])
        try must(["ip", "link", "set", innerIf, "netns", name])
        try must(["ip", "addr", "add", "\(host)/24", "dev", hostIf])
        try must(["ip", "link", "set", hostIf, "up"])
        try inside(["ip", "addr", "add", "\(peer)/24", "dev", innerIf])
        try inside(["ip", "link", "set", innerIf, "up"])
        try inside(["ip", "link", "set", "lo", "up"])
    }

    func inside(_ args: [String]) throws { try must(["ip", "netns", "exec", name] + args) }

    /// Deleting the namespace deletes the veth pair and with it every route through it.
    func remove() {
        _ = try? sh(["ip", "netns", "del", name])
        _ = try? sh(["ip", "link", "del", hostIf])
    }
}

/// The vantage point (host) reaches the probed /22 through a router namespace:
/// host — r — t, where t answers for two whole /24s and a /28 of a third (the
/// fourth is dark). Breaking the r—t link is an outage beyond our first hop.
final class TwoHopLab {
    let n = Int(getpid()) % 100000
    /// Third octet of the /22 (a multiple of 4) and of the point-to-point subnets.
    let base = (Int(getpid()) % 60) * 4
    let id = Int(getpid()) % 200 + 20
    var r: String { "vgbr\(n)" }
    var t: String { "vgbt\(n)" }
    var hostIf: String { "vhbr\(n)" }
    var rLink: String { "vrbt\(n)" }
    var target: String { "10.97.\(base).0/22" }
    func block(_ k: Int) -> String { "10.97.\(base + k).0/24" }
    var sparse: String { "10.97.\(base + 1).16/28" }
    func address(_ k: Int, _ last: Int) -> IPAddress { IPAddress("10.97.\(base + k).\(last)")! }

    init() throws {
        remove()
        let hr = "10.201.\(id)", rt = "10.202.\(id)"
        try must(["ip", "netns", "add", r])
        try must(["ip", "netns", "add", t])
        try must(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", "vrbh\(n)"])
        try must(["ip", "link", "set", "vrbh\(n)", "netns", r])
        try must(["ip", "link", "add", "vtbr\(n)", "type", "veth", "peer", "name", rLink])
        try must(["ip", "link", "set", rLink, "netns", r])
        try must(["ip", "link", "set", "vtbr\(n)", "netns", t])
        try must(["ip", "addr", "add", "\(hr).1/24", "dev", hostIf])
        try must(["ip", "link", "set", hostIf, "up"])
        try must(["ip", "route", "add", target, "via", "\(hr).2"])
        for c in [["ip", "addr", "add", "\(hr).2/24", "dev", "vrbh\(n)"], ["ip", "link", "set", "vrbh\(n)", "up"],
                  ["ip", "addr", "add", "\(rt).1/24", "dev", rLink], ["ip", "link", "set", rLink, "up"], ["ip", "link", "set", "lo", "up"],
                  ["sysctl", "-qw", "net.ipv4.ip_forward=1"], ["ip", "route", "add", target, "via", "\(rt).2"]] {
            try must(["ip", "netns", "exec", r] + c)
        }
        for c in [["ip", "addr", "add", "\(rt).2/24", "dev", "vtbr\(n)"], ["ip", "link", "set", "vtbr\(n)", "up"], ["ip", "link", "set", "lo", "up"],
                  ["ip", "route", "add", "default", "via", "\(rt).1"],
                  ["ip", "route", "add", "local", block(0), "dev", "lo"], ["ip", "route", "add", "local", sparse, "dev", "lo"],
                  ["ip", "route", "add", "local", block(3), "dev", "lo"]] {
            try inTarget(c)
        }
    }

    func breakLink() throws { try must(["ip", "netns", "exec", r, "ip", "link", "set", rLink, "down"]) }
    func repairLink() throws {
        try must(["ip", "netns", "exec", r, "ip", "link", "set", rLink, "up"])
        try must(["ip", "netns", "exec", r, "ip", "route", "replace", target, "via", "10.202.\(id).2"])
    }
    func inTarget(_ args: [String]) throws { try must(["ip", "netns", "exec", t] + args) }

    func remove() {
        _ = try? sh(["ip", "netns", "del", r])
        _ = try? sh(["ip", "netns", "del", t])
        _ = try? sh(["ip", "link", "del", hostIf])
        _ = try? sh(["ip", "route", "del", target])
    }
}
