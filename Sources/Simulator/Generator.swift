import BGPWire
import MRT
#if canImport(Glibc)
import Glibc
#endif

/// Writes a scenario's world as real MRT, as a RIS collector would publish it:
/// a TABLE_DUMP_V2 RIB at the start (`bview.YYYYMMDD.HHMM.gz`) and BGP4MP updates
/// in 5-minute files (`updates.YYYYMMDD.HHMM.gz`).
public struct Generator {
    let s: Scenario
    var rng: SplitMix
    let peerASN: [UInt32]
    let peerAddress: [IPAddress]
    let tier1: [UInt32] = [174, 701, 1299, 2914, 3257, 3356, 6453, 6762, 7018, 3491]
    /// Routes: per prefix index, per peer: the current path or nil (not routed by that peer).
    var routes: [[ [UInt32]? ]] = []
    var prefixes: [Prefix] = []
    var origin: [UInt32] = []
    var upstream: [UInt32] = []
    var entityPrefixes: [String: [Int]] = [:]
    var carries: [[Bool]] = []
    var sessionUp: [Bool] = []
    /// Per prefix, per peer: the route's community variant (0: its usual one).
    var community: [[UInt8]] = []
    /// Per prefix, per peer: withdrawn by a scripted event, which noise cannot undo.
    var held: [[Bool]] = []
    /// Per peer: its whole table withdrawn (`peer-withdraw`), the session still up.
    var silent: [Bool] = []
    /// Per prefix: when it last flapped at several or all peers (such flaps are isolated).
    var lastWideFlap: [Int: Int64] = [:]
    /// Chronic churners: prefix and the 1–2 peers it churns at.
    var churners: [(prefix: Int, peers: [Int])] = []

    public struct Output: Sendable {
        public var rib: String
        public var updates: [String]
        public var messages: Int
    }

    public init(_ scenario: Scenario) {
        s = scenario
        rng = SplitMix(seed: scenario.seed)
        let n = scenario.peers.full + scenario.peers.partial
        peerASN = (0..<n).map { 64_600 + UInt32($0) }
        peerAddress = (0..<n).map { .v4(0x0A00_0001 + UInt32($0)) }
        sessionUp = Array(repeating: true, count: n)
        silent = Array(repeating: false, count: n)
        // Background prefixes 20.0.0.0/24 upwards, then the entities'.
        for i in 0..<scenario.background.prefixes {
            prefixes.append(Prefix(address: .v4(0x1400_0000 + UInt32(i) << 8), length: 24))
            let o = 10_000 + UInt32(i % scenario.background.origins)
            origin.append(o)
            upstream.append(20_000 + o % 97)
        }
        for e in scenario.entities {
            for p in e.prefixes {
                entityPrefixes[e.name, default: []].append(prefixes.count)
                prefixes.append(p)
                origin.append(e.origin)
                upstream.append(e.upstream)
            }
        }
        let bgCount = scenario.background.prefixes
        carries = (0..<n).map { peer in
            (0..<prefixes.count).map { i in
                // Partial-feed peers carry a share of the background, and every entity prefix.
                peer < scenario.peers.full || i >= bgCount || Double((i * 7919 + peer * 104_729) % 1000) / 1000 < scenario.peers.partialShare
            }
        }
        routes = (0..<prefixes.count).map { i in (0..<n).map { p in carries[p][i] ? path(i, p, alt: 0) : nil } }
        community = Array(repeating: Array(repeating: 0, count: n), count: prefixes.count)
        held = Array(repeating: Array(repeating: false, count: n), count: prefixes.count)
        for _ in 0..<scenario.background.churners {
            guard let i = noisePrefix(tail: false) else { break }
            let first = Int(rng.next() % UInt64(n))
            churners.append((i, rng.next() % 3 == 0 && n > 1 ? [first, (first + 1) % n] : [first]))
        }
    }

    /// The prefix one noise event falls on: with the background's `entityShare`, one
    /// of a random entity's; otherwise a background prefix (heavy-tailed for flaps).
    mutating func noisePrefix(tail: Bool) -> Int? {
        let share = s.background.entityShare
        if share > 0, !s.entities.isEmpty, rng.unit() < share {
            let ids = entityPrefixes[s.entities[Int(rng.next() % UInt64(s.entities.count))].name]!
            return ids[Int(rng.next() % UInt64(ids.count))]
        }
        let bg = s.background.prefixes
        guard bg > 0 else { return nil }
        return tail ? min(bg - 1, Int(Double(bg) * pow(rng.unit(), 4))) : Int(rng.next() % UInt64(bg))
    }

    func path(_ i: Int, _ peer: Int, alt: Int) -> [UInt32] {
        [peerASN[peer], tier1[(Int(origin[i]) + peer + alt) % tier1.count], upstream[i], origin[i]]
    }

    /// A pending update: time, peer, prefix index, new path (nil = withdraw; `scripted`
    /// ones hold the route down against noise until they restore it), a community
    /// variant, a session state change, or a peer withdrawing (one `part` of `parts`)
    /// or re-announcing its whole table.
    enum Change {
        case route(t: Int64, peer: Int, prefix: Int, path: [UInt32]?, scripted: Bool)
        case community(t: Int64, peer: Int, prefix: Int, variant: UInt8)
        case session(t: Int64, peer: Int, up: Bool)
        case table(t: Int64, peer: Int, up: Bool, part: Int, parts: Int)
        var t: Int64 {
            switch self {
            case let .route(t, _, _, _, _), let .community(t, _, _, _), let .session(t, _, _), let .table(t, _, _, _, _): t
            }
        }
        /// Noise: a route at one peer, not holding it.
        static func noise(t: Int64, peer: Int, prefix: Int, path: [UInt32]?) -> Change {
            .route(t: t, peer: peer, prefix: prefix, path: path, scripted: false)
        }
    }

    public mutating func write(to dir: String) throws -> Output {
        mkdir(dir, 0o755)
        let slot: Int64 = 300
        let ribPath = dir + "/bview." + stamp(s.start) + ".gz"
        try writeRIB(ribPath)
        var files: [String] = []
        var pending: [Change] = []
        var messages = 0
        var t = s.start
        while t < s.end {
            pending += changes(in: t, t + slot)
            pending.sort { $0.t < $1.t }
            let now = pending.prefix { $0.t < t + slot }
            pending.removeFirst(now.count)
            let path = dir + "/updates." + stamp(t) + ".gz"
            let w = try MRTWriter(path: path, gzip: true, level: 1)
            for c in now { messages += try apply(c, w) }
            try w.close()
            files.append(path)
            t += slot
        }
        return Output(rib: ribPath, updates: files, messages: messages)
    }

    func writeRIB(_ path: String) throws {
        let w = try MRTWriter(path: path, gzip: true, level: 1)
        let table = PeerIndexTable(collectorID: 1, viewName: Array(s.collector.utf8),
                                   peers: peerASN.indices.map { .init(bgpID: UInt32($0 + 1), address: peerAddress[$0], asn: peerASN[$0]) })
        try w.write(MRTRecord(timestamp: UInt32(s.start), body: .peerIndexTable(table)))
        for (i, p) in prefixes.enumerated() {
            let entries = routes[i].enumerated().compactMap { peer, path -> RIBRecord.Entry? in
                guard let path else { return nil }
                return RIBRecord.Entry(peerIndex: UInt16(peer), originated: UInt32(s.start) - 3600, attributes: attrs(path, peer, 0))
            }
            try w.write(MRTRecord(timestamp: UInt32(s.start),
                                  body: .rib(RIBRecord(family: .ipv4Unicast, sequence: UInt32(i), prefix: p, entries: entries))))
        }
        try w.close()
    }

    /// Every route carries a community of its peer (PEER_AS:100 + variant), as most feeds tag routes.
    func attrs(_ path: [UInt32], _ peer: Int, _ variant: UInt8) -> [PathAttribute] {
        [.origin(.igp), .asPath(ASPath(sequence: path)), .nextHop(0x0A00_0001 + UInt32(peer)),
         .communities([(peerASN[peer] & 0xFFFF) << 16 | (100 + UInt32(variant))])]
    }

    func announce(_ t: Int64, _ p: Int, _ i: Int, _ w: MRTWriter) throws {
        try w.write(message(t, p, .update(Update(attributes: attrs(routes[i][p]!, p, community[i][p]), nlri: [NLRI(prefixes[i])]))))
    }

    /// Re-announces a peer's whole table (a session back up, a table withdrawal over).
    func announceTable(_ t: Int64, _ p: Int, _ w: MRTWriter) throws -> Int {
        var n = 0
        for i in prefixes.indices where carries[p][i] && routes[i][p] != nil {
            try announce(t, p, i, w)
            n += 1
        }
        return n
    }

    /// Applies one change to the state and writes it (if it changes anything).
    mutating func apply(_ c: Change, _ w: MRTWriter) throws -> Int {
        switch c {
        case let .session(t, p, up):
            guard sessionUp[p] != up else { return 0 }
            sessionUp[p] = up
            let peering = BGP4MPPeering(peerAS: peerASN[p], localAS: 12654, peerAddress: peerAddress[p], localAddress: .v4(0x0A00_00FE))
            try w.write(MRTRecord(timestamp: UInt32(t), body: .stateChange(StateChange(peering: peering, oldState: up ? 1 : 6, newState: up ? 6 : 1))))
            // A session coming back re-announces its whole table (what is withdrawn stays so).
            return 1 + (up && !silent[p] ? try announceTable(t, p, w) : 0)
        case let .route(t, p, i, newPath, scripted):
            guard carries[p][i] else { return 0 }
            if scripted { held[i][p] = newPath == nil } else if held[i][p] { return 0 }
            // Routes change while the peer is out too: it comes back with its table as it is then
            // (a flap's re-announcement is not lost to a session reset).
            guard routes[i][p] != newPath else { return 0 }
            routes[i][p] = newPath
            guard sessionUp[p], !silent[p] else { return 0 }
            if newPath != nil {
                try announce(t, p, i, w)
            } else {
                try w.write(message(t, p, .update(Update(withdrawn: [NLRI(prefixes[i])]))))
            }
            return 1
        case let .community(t, p, i, variant):
            guard sessionUp[p], !silent[p], carries[p][i], !held[i][p], routes[i][p] != nil, community[i][p] != variant else { return 0 }
            community[i][p] = variant
            try announce(t, p, i, w)
            return 1
        case let .table(t, p, up, part, parts):
            if up {
                guard silent[p] else { return 0 }
                silent[p] = false
                return sessionUp[p] ? try announceTable(t, p, w) : 0
            }
            if part == 0 { silent[p] = true }
            guard silent[p], sessionUp[p] else { return 0 }
            // The withdrawal comes in bursts, as a router sends it: up to 500 prefixes per UPDATE.
            var batch: [NLRI] = [], n = 0, k = 0
            for i in prefixes.indices where carries[p][i] && routes[i][p] != nil {
                defer { k += 1 }
                guard k % parts == part else { continue }
                batch.append(NLRI(prefixes[i]))
                if batch.count == 500 {
                    try w.write(message(t, p, .update(Update(withdrawn: batch))))
                    batch.removeAll(keepingCapacity: true)
                    n += 1
                }
            }
            if !batch.isEmpty {
                try w.write(message(t, p, .update(Update(withdrawn: batch))))
                n += 1
            }
            return n
        }
    }

    func message(_ t: Int64, _ p: Int, _ m: BGPMessage) -> MRTRecord {
        let peering = BGP4MPPeering(peerAS: peerASN[p], localAS: 12654, peerAddress: peerAddress[p], localAddress: .v4(0x0A00_00FE))
        return MRTRecord(timestamp: UInt32(t), body: .message(BGP4MPMessage(peering: peering, message: m)))
    }

    /// The changes that start in [from, to): background churn and scripted events.
    mutating func changes(in from: Int64, _ to: Int64) -> [Change] {
        var out: [Change] = []
        let hours = Double(to - from) / 3600
        let n = peerASN.count
        let b = s.background
        func at() -> Int64 { from + Int64(rng.next() % UInt64(to - from)) }
        func peer() -> Int { Int(rng.next() % UInt64(n)) }
        // Flaps of one prefix at one peer, under five minutes; heavy-tailed: a few prefixes flap far more than the rest.
        for _ in 0..<rng.poisson(b.flapsPerHour * hours) {
            guard let i = noisePrefix(tail: true) else { break }
            let p = peer(), t = at()
            out.append(.noise(t: t, peer: p, prefix: i, path: nil))
            out.append(.noise(t: t + 20 + Int64(rng.next() % 240), peer: p, prefix: i, path: path(i, p, alt: 0)))
        }
        for _ in 0..<rng.poisson(b.pathChangesPerHour * hours) {
            guard let i = noisePrefix(tail: false) else { break }
            let p = peer()
            out.append(.noise(t: at(), peer: p, prefix: i, path: path(i, p, alt: 1 + Int(rng.next() % 3))))
        }
        if b.prefixes > 0 || b.entityShare > 0 {
            for _ in 0..<rng.poisson(b.sessionResetsPerDay * hours / 24) {
                let p = peer(), t = at()
                out.append(.session(t: t, peer: p, up: false))
                out.append(.session(t: t + 60 + Int64(rng.next() % 180), peer: p, up: true))
            }
        }
        // A community changed at one peer, reverted 5 minutes to 2 hours later.
        for _ in 0..<rng.poisson(b.communityChangesPerHour * hours) {
            guard let i = noisePrefix(tail: false) else { break }
            let p = peer(), t = at()
            out.append(.community(t: t, peer: p, prefix: i, variant: 1 + UInt8(rng.next() % 9)))
            out.append(.community(t: t + 300 + Int64(rng.next() % 6900), peer: p, prefix: i, variant: 0))
        }
        // One prefix withdrawn for under five minutes at 2–3 peers, or at every peer. Such a
        // flap is isolated: a prefix falling again within two hours is instability (`flap` events).
        for (rate, wide) in [(b.multiPeerFlapsPerHour, false), (b.allPeerFlapsPerHour, true)] {
            for _ in 0..<rng.poisson(rate * hours) {
                guard let i = noisePrefix(tail: false) else { break }
                let t = at(), d = 30 + Int64(rng.next() % 240)
                var peers = Array(0..<n)
                if !wide {
                    for k in 0..<min(n, 3) { peers.swapAt(k, k + Int(rng.next() % UInt64(n - k))) }
                    peers = Array(peers.prefix(2 + Int(rng.next() % 2)))
                }
                guard lastWideFlap[i].map({ t - $0 >= 2 * 3600 + 60 }) ?? true else { continue }
                lastWideFlap[i] = t
                for p in peers {
                    let j = Int64(rng.next() % 15)
                    out.append(.noise(t: t + j, peer: p, prefix: i, path: nil))
                    out.append(.noise(t: t + j + d, peer: p, prefix: i, path: path(i, p, alt: 0)))
                }
            }
        }
        // Chronic churners: three changes in four are attributes (a community, sometimes the
        // path), the fourth a withdrawal re-announced within 5–90 seconds.
        for c in churners {
            for p in c.peers {
                for _ in 0..<rng.poisson(b.churnPerHour * hours) {
                    let t = at()
                    switch rng.next() % 8 {
                    case 0, 1: out.append(.noise(t: t, peer: p, prefix: c.prefix, path: nil))
                        out.append(.noise(t: t + 5 + Int64(rng.next() % 85), peer: p, prefix: c.prefix, path: path(c.prefix, p, alt: 0)))
                    case 2: out.append(.noise(t: t, peer: p, prefix: c.prefix, path: path(c.prefix, p, alt: Int(rng.next() % 2))))
                    default: out.append(.community(t: t, peer: p, prefix: c.prefix, variant: 10 + UInt8(rng.next() % 20)))
                    }
                }
            }
        }
        for e in s.events where e.end >= from && e.start < to {
            switch e.kind {
            case .flap:
                let ids = entityPrefixes[e.entity!]!
                let share = e.peers ?? 0.5
                for _ in 0..<rng.poisson(e.rate * Double(min(to, e.end) - max(from, e.start)) / 3600) {
                    let i = ids[Int(rng.next() % UInt64(ids.count))]
                    let t = max(from, e.start) + Int64(rng.next() % UInt64(max(1, min(to, e.end) - max(from, e.start))))
                    for p in 0..<n where rng.unit() < share {
                        let down = t + Int64(rng.next() % 20)
                        out.append(.noise(t: down, peer: p, prefix: i, path: nil))
                        out.append(.noise(t: down + 30 + Int64(rng.next() % 150), peer: p, prefix: i, path: path(i, p, alt: Int(rng.next() % 2))))
                    }
                }
            case .withdraw, .upstreamWithdraw:
                let ids = entityPrefixes[e.entity!]!
                let affected = Array(ids.prefix(max(1, Int((Double(ids.count) * e.share).rounded()))))
                let share = e.peers ?? 1
                let peers = (0..<n).filter { Double($0) < share * Double(n) }
                // The upstream case spreads the peers' withdrawals over 90 s, in peer order:
                // the upstream stops announcing and the loss propagates.
                let spread: Int64 = e.kind == .upstreamWithdraw ? 90 : 20
                if e.start >= from && e.start < to {
                    for (k, p) in peers.enumerated() {
                        let t = e.start + spread * Int64(k) / Int64(max(1, peers.count))
                        for i in affected { out.append(.route(t: t, peer: p, prefix: i, path: nil, scripted: true)) }
                    }
                }
                if e.end >= from && e.end < to {
                    for (k, p) in peers.enumerated() {
                        for i in affected { out.append(.route(t: e.end + Int64(k) * 3, peer: p, prefix: i, path: path(i, p, alt: 0), scripted: true)) }
                    }
                }
            case .peerDown:
                if e.start >= from && e.start < to { out.append(.session(t: e.start, peer: e.peer!, up: false)) }
                if e.end >= from && e.end < to { out.append(.session(t: e.end, peer: e.peer!, up: true)) }
            case .peerWithdraw:
                // The withdrawals leave in bursts over two minutes; the table comes back at once.
                let parts = 12
                if e.start >= from && e.start < to {
                    for k in 0..<parts { out.append(.table(t: e.start + Int64(k) * 10, peer: e.peer!, up: false, part: k, parts: parts)) }
                }
                if e.end >= from && e.end < to { out.append(.table(t: e.end, peer: e.peer!, up: true, part: 0, parts: 1)) }
            }
        }
        return out
    }

    func stamp(_ t: Int64) -> String { UTCTime.archiveStamp(t) }
}

/// Seeded, so a scenario always writes the same bytes (and a benchmark always measures the same data).
public struct SplitMix: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Knuth's method; fine for the small means used here.
    mutating func poisson(_ mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        if mean > 50 { return max(0, Int((mean + mean.squareRoot() * (unit() + unit() + unit() - 1.5) * 2).rounded())) }
        let l = exp(-mean)
        var k = 0, p = 1.0
        repeat { k += 1; p *= unit() } while p > l
        return k - 1
    }
}
