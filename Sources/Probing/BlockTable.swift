public import BGPWire

/// Every probed block's state, kept small (one fixed-size record per block)
/// because the responsive IPv4 Internet is ~5 million /24s.
public struct BlockTable: Sendable {
    /// One block: its ever-responsive addresses (a bitmap over the block's
    /// candidate addresses: the 256 of a /24, or the configured hosts of an IPv6
    /// block), Trinocular's availability and belief, and what it was last judged.
    public struct Block: Sendable {
        public var prefix: Prefix
        public var responsive = Bitmap256()
        public var belief: Float = 0.5
        public var availability: Float = 0
        public var target: UInt32
        /// Next responsive address to probe (round-robin over the bitmap).
        public var cursor: UInt16 = 0
        public var verdict = Belief.Verdict.unjudged
        /// Unix seconds of the last census (0: never).
        public var censusAt: UInt32 = 0

        /// Judged only with a census behind it, a responsive address, and enough availability.
        public var judged: Bool {
            censusAt != 0 && !responsive.isEmpty && Double(availability) >= Belief.minimumAvailability
        }
    }

    public var blocks: [Block] = []
    public let plan: ProbePlan
    /// Blocks' candidate addresses when their target lists hosts (always for IPv6; for IPv4
    /// a hitlist that limits the census), by block index; at most 256 per block.
    public var hosts: [Int: [IPAddress]] = [:]
    /// Blocks left out because the never-probe list covers them.
    public let excluded: Int
    /// Targets (by index in the plan) left with no block of their own, and why: nothing of them is measured (no rows, not zeros).
    public let unprobed: [(target: Int, why: String)]

    public init(plan: ProbePlan) throws(ProbePlan.Problem) {
        self.plan = plan
        let (planned, excluded) = try plan.blocks()
        self.excluded = excluded
        blocks.reserveCapacity(planned.count)
        let listed = Set(plan.targets.indices.filter { !plan.targets[$0].hosts.isEmpty })
        var index: [Prefix: Int] = [:]
        var probed = Set<Int>()
        for b in planned {
            if listed.contains(b.target) { index[b.prefix] = blocks.count }
            blocks.append(Block(prefix: b.prefix, target: UInt32(b.target)))
            probed.insert(b.target)
        }
        unprobed = plan.targets.indices.filter { !probed.contains($0) }.map { ti in
            let t = plan.targets[ti]
            let inside = plan.targets[..<ti].first { $0.prefix.contains(t.prefix) }
            return (ti, inside.map { "its blocks belong to target \($0.prefix)" } ?? "it lies wholly on the never-probe list")
        }
        for ti in listed.sorted() {
            let t = plan.targets[ti]
            for h in t.hosts where plan.allows(h) {
                let key = Prefix(address: h, length: max(t.prefix.isIPv6 ? 48 : 24, t.prefix.length)).masked
                if let i = index[key], Int(blocks[i].target) == ti, (hosts[i]?.count ?? 0) < 256, !(hosts[i]?.contains(h) ?? false) {
                    hosts[i, default: []].append(h)
                }
            }
        }
    }

    /// The block's candidate addresses: its listed hosts if its target has any, else all
    /// of an IPv4 block (up to 256; IPv6 blocks have none); never-probe addresses removed.
    /// `body` gets each with its slot.
    public func forEachCandidate(_ i: Int, _ body: (Int, IPAddress) -> Void) {
        if let listed = hosts[i] {
            for (slot, h) in listed.enumerated() { body(slot, h) }
            return
        }
        let b = blocks[i]
        guard case let .v4(base) = b.prefix.address else { return }
        let size = 1 << (32 - Int(b.prefix.length))
        // A block lies inside its target by construction: only never-probe ranges can take
        // addresses out, and most blocks touch none (no per-address check then).
        let check = plan.touchesNever(b.prefix)
        for slot in 0..<min(size, 256) {
            let a = IPAddress.v4(base &+ UInt32(slot))
            if !check || !plan.isNever(Prefix(address: a, length: 32)) { body(slot, a) }
        }
    }

    /// The address in `slot` of block `i`.
    public func address(_ i: Int, slot: Int) -> IPAddress {
        if let listed = hosts[i] { return listed[slot] }
        guard case let .v4(base) = blocks[i].prefix.address else { return blocks[i].prefix.address }
        return .v4(base &+ UInt32(slot))
    }

    public func entity(_ i: Int) -> String { plan.targets[Int(blocks[i].target)].entity }
    public func why(_ i: Int) -> String { plan.targets[Int(blocks[i].target)].why }
}

/// 256 bits: which of a block's candidate addresses ever answered.
public struct Bitmap256: Sendable, Equatable {
    var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    public init() {}

    public var isEmpty: Bool { (w0 | w1 | w2 | w3) == 0 }
    public var count: Int { w0.nonzeroBitCount + w1.nonzeroBitCount + w2.nonzeroBitCount + w3.nonzeroBitCount }

    public subscript(_ i: Int) -> Bool {
        get { word(i >> 6) >> UInt64(i & 63) & 1 == 1 }
        set {
            let bit: UInt64 = 1 << UInt64(i & 63)
            switch i >> 6 {
            case 0: w0 = newValue ? w0 | bit : w0 & ~bit
            case 1: w1 = newValue ? w1 | bit : w1 & ~bit
            case 2: w2 = newValue ? w2 | bit : w2 & ~bit
            default: w3 = newValue ? w3 | bit : w3 & ~bit
            }
        }
    }

    func word(_ k: Int) -> UInt64 {
        switch k { case 0: w0 case 1: w1 case 2: w2 default: w3 }
    }

    /// The first set bit at or after `from`, wrapping around; nil when empty.
    public func next(from: Int) -> Int? {
        guard !isEmpty else { return nil }
        for step in 0..<256 {
            let i = (from + step) & 255
            if self[i] { return i }
        }
        return nil
    }
}
