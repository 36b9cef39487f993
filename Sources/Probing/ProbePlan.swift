public import BGPWire

/// What the operator allows Vigil to probe: targets (the allow-list — nothing
/// else is ever sent to), a never-probe list honoured at every step, and why
/// each target is probed. Probing is off until targets are configured.
public struct ProbePlan: Sendable {
    public struct Target: Sendable, Equatable {
        public var prefix: Prefix
        /// The entity its signals belong to ("AS131279", "KP", or the prefix itself).
        public var entity: String
        /// Recorded with every block of the target.
        public var why: String
        /// Known addresses to census: required for IPv6 (a /48 cannot be swept); for IPv4
        /// a hitlist that replaces the sweep of every address.
        public var hosts: [IPAddress]

        public init(prefix: Prefix, entity: String? = nil, why: String? = nil, hosts: [IPAddress] = []) {
            self.prefix = prefix.masked
            self.entity = entity ?? prefix.masked.description
            self.why = why ?? "configured target \(prefix.masked)"
            self.hosts = hosts
        }
    }

    public var targets: [Target] = []
    public var never: [Prefix] = []
    /// Packets per second, every target together.
    public var rate = 10_000.0
    /// The most probes per second a configuration or command line may ask for (`probe.max_rate`):
    /// an operator's ceiling, so a typo or a borrowed command cannot flood other people's networks.
    public var maxRate = 10_000.0
    /// Seconds between round starts (Trinocular: 11 minutes; ours: 10).
    public var round = 600.0
    /// Seconds to wait for a reply.
    public var timeout = 3.0
    /// Adaptive probes per block per round at most (Trinocular: 15 including the first; ours 14).
    public var maxProbesPerBlock = 14
    /// Seconds between censuses (every address of every block once) to refresh the ever-responsive sets.
    public var censusInterval = 86_400.0
    /// Refuse plans larger than this many blocks (the responsive IPv4 Internet is ~5 million /24s).
    public var maxBlocks = 6_000_000

    public init() {}

    /// Addresses and ranges never probed, whatever is configured: "this network",
    /// loopback, link-local, multicast, reserved and broadcast (RFC 6890).
    public static let reserved: [Prefix] = ["0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
                                            "::/128", "::1/128", "fe80::/10", "ff00::/8"].map { Prefix($0)! }

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ d: String) { description = d }
    }

    /// Whether an address may be probed: inside a target and outside every never range.
    public func allows(_ a: IPAddress) -> Bool {
        let host = Prefix(address: a, length: UInt8(a.bitWidth))
        return targets.contains { $0.prefix.contains(host) } && !isNever(host)
    }

    /// Whether `p` lies inside a never-probe or reserved range.
    public func isNever(_ p: Prefix) -> Bool {
        never.contains { $0.contains(p) } || ProbePlan.reserved.contains { $0.contains(p) }
    }

    /// Whether some never-probe or reserved range overlaps `p` (then its addresses need checking one by one).
    public func touchesNever(_ p: Prefix) -> Bool {
        (never + ProbePlan.reserved).contains { $0.contains(p) || p.contains($0) }
    }

    /// The blocks of the plan: each target cut into /24s (IPv4) or /48s (IPv6);
    /// a target longer than that is one block of its own. Blocks wholly inside
    /// a never range are left out (and counted); a block in two targets goes to the first.
    public func blocks() throws(Problem) -> (blocks: [PlannedBlock], excluded: Int) {
        var out: [PlannedBlock] = []
        var seen = Set<Prefix>()
        var excluded = 0
        for (ti, t) in targets.enumerated() {
            let v6 = t.prefix.isIPv6
            let unit: UInt8 = v6 ? 48 : 24
            let blockLength = max(unit, t.prefix.length)
            let count = 1 << min(40, Int(blockLength - t.prefix.length))
            guard out.count + count <= maxBlocks else {
                throw Problem("target \(t.prefix) makes \(count) blocks: more than the plan's limit of \(maxBlocks)")
            }
            for i in 0..<count {
                let p = Prefix(address: ProbePlan.offset(t.prefix.address, by: UInt64(i), atLength: blockLength), length: blockLength)
                if isNever(p) {
                    excluded += 1
                    continue
                }
                guard seen.insert(p).inserted else { continue }
                out.append(PlannedBlock(prefix: p, target: ti))
            }
        }
        return (out, excluded)
    }

    /// The `index`-th address of `p` (IPv6: within its low 64 bits).
    public static func address(in p: Prefix, index: UInt64) -> IPAddress {
        switch p.address {
        case let .v4(a): .v4(a &+ UInt32(truncatingIfNeeded: index))
        case let .v6(hi, lo): .v6(hi, lo &+ index)
        }
    }

    /// `base` plus `i` blocks of length `len`.
    static func offset(_ base: IPAddress, by i: UInt64, atLength len: UInt8) -> IPAddress {
        switch base {
        case let .v4(a): return .v4(a &+ UInt32(truncatingIfNeeded: i << (32 - UInt64(len))))
        case let .v6(hi, lo):
            // /48 and shorter blocks step inside the high 64 bits; longer ones (one block per target) do not step.
            return len <= 64 ? .v6(hi &+ (i << (64 - UInt64(len))), lo) : .v6(hi, lo)
        }
    }
}

/// One block of a plan and the target it came from.
public struct PlannedBlock: Sendable, Equatable {
    public var prefix: Prefix
    public var target: Int
}
