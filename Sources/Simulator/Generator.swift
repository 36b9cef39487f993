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
    }

    func path(_ i: Int, _ peer: Int, alt: Int) -> [UInt32] {
        [peerASN[peer], tier1[(Int(origin[i]) + peer + alt) % tier1.count], upstream[i], origin[i]]
    }

    /// A pending update: time, peer, prefix index, new path (nil = withdraw), or a session state change.
    enum Change {
        case route(t: Int64, peer: Int, prefix: Int, path: [UInt32]?)
        case session(t: Int64, peer: Int, up: Bool)
        var t: Int64 { switch self { case let .route(t, _, _, _), let .session(t, _, _): t } }
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
                return RIBRecord.Entry(peerIndex: UInt16(peer), originated: UInt32(s.start) - 3600, attributes: attrs(path, peer))
            }
            try w.write(MRTRecord(timestamp: UInt32(s.start),
                                  body: .rib(RIBRecord(family: .ipv4Unicast, sequence: UInt32(i), prefix: p, entries: entries))))
        }
        try w.close()
    }

    func attrs(_ path: [UInt32], _ peer: Int) -> [PathAttribute] {
        [.origin(.igp), .asPath(ASPath(sequence: path)), .nextHop(0x0A00_0001 + UInt32(peer))]
    }

    /// Applies one change to the state and writes it (if it changes anything).
    mutating func apply(_ c: Change, _ w: MRTWriter) throws -> Int {
        switch c {
        case let .session(t, p, up):
            guard sessionUp[p] != up else { return 0 }
            sessionUp[p] = up
            let peering = BGP4MPPeering(peerAS: peerASN[p], localAS: 12654, peerAddress: peerAddress[p], localAddress: .v4(0x0A00_00FE))
            try w.write(MRTRecord(timestamp: UInt32(t), body: .stateChange(StateChange(peering: peering, oldState: up ? 1 : 6, newState: up ? 6 : 1))))
            var n = 1
            if up {
                // A session coming back re-announces its whole table (what is withdrawn stays so).
                for i in prefixes.indices where carries[p][i] && routes[i][p] != nil {
                    try w.write(message(t, p, .update(Update(attributes: attrs(routes[i][p]!, p), nlri: [NLRI(prefixes[i])]))))
                    n += 1
                }
            }
            return n
        case let .route(t, p, i, newPath):
            guard sessionUp[p], carries[p][i], routes[i][p] != newPath else { return 0 }
            routes[i][p] = newPath
            if let np = newPath {
                try w.write(message(t, p, .update(Update(attributes: attrs(np, p), nlri: [NLRI(prefixes[i])]))))
            } else {
                try w.write(message(t, p, .update(Update(withdrawn: [NLRI(prefixes[i])]))))
            }
            return 1
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
        let bg = s.background.prefixes
        func at() -> Int64 { from + Int64(rng.next() % UInt64(to - from)) }
        if bg > 0 {
            // Flaps, heavy-tailed: a few prefixes flap far more than the rest.
            for _ in 0..<rng.poisson(s.background.flapsPerHour * hours) {
                let i = min(bg - 1, Int(Double(bg) * pow(rng.unit(), 4)))
                let p = Int(rng.next() % UInt64(n)), t = at()
                out.append(.route(t: t, peer: p, prefix: i, path: nil))
                out.append(.route(t: t + 20 + Int64(rng.next() % 240), peer: p, prefix: i, path: path(i, p, alt: 0)))
            }
            for _ in 0..<rng.poisson(s.background.pathChangesPerHour * hours) {
                let i = Int(rng.next() % UInt64(bg)), p = Int(rng.next() % UInt64(n))
                out.append(.route(t: at(), peer: p, prefix: i, path: path(i, p, alt: 1 + Int(rng.next() % 3))))
            }
            for _ in 0..<rng.poisson(s.background.sessionResetsPerDay * hours / 24) {
                let p = Int(rng.next() % UInt64(n)), t = at()
                out.append(.session(t: t, peer: p, up: false))
                out.append(.session(t: t + 60 + Int64(rng.next() % 180), peer: p, up: true))
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
                        out.append(.route(t: down, peer: p, prefix: i, path: nil))
                        out.append(.route(t: down + 30 + Int64(rng.next() % 150), peer: p, prefix: i, path: path(i, p, alt: Int(rng.next() % 2))))
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
                        for i in affected { out.append(.route(t: e.start + spread * Int64(k) / Int64(max(1, peers.count)), peer: p, prefix: i, path: nil)) }
                    }
                }
                if e.end >= from && e.end < to {
                    for (k, p) in peers.enumerated() {
                        for i in affected { out.append(.route(t: e.end + Int64(k) * 3, peer: p, prefix: i, path: path(i, p, alt: 0))) }
                    }
                }
            case .peerDown:
                if e.start >= from && e.start < to { out.append(.session(t: e.start, peer: e.peer!, up: false)) }
                if e.end >= from && e.end < to { out.append(.session(t: e.end, peer: e.peer!, up: true)) }
            }
        }
        return out
    }

    func stamp(_ t: Int64) -> String { UTCTime.archiveStamp(t) }
}

/// Seeded, so a scenario always writes the same bytes.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
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
