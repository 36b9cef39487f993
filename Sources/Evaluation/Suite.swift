import BGPWire
public import Simulator

/// A scenario with its ground truth: what happened, to whom, when, and why.
public struct TruthCase: Sendable {
    public struct Truth: Sendable {
        public var entity: String
        /// "outage" or "instability".
        public var kind: String
        public var cause: String
        public var start: Int64
        public var end: Int64
    }
    /// Something that must not raise any alert (a vantage point's feed breaking).
    public struct Decoy: Sendable {
        public var what: String
        public var start: Int64
        public var end: Int64
    }
    public var name: String
    public var scenario: Scenario
    public var truth: [Truth]
    public var decoys: [Decoy] = []
    /// Entities to watch (all scripted ones, including those with no events).
    public var entities: [String]
    /// A case with no scripted event at all: any outage detected is a false one.
    public var control: Bool
}

/// Generates the evaluation suite: entity sizes from one /24 to a country-sized
/// network of thousands, noise from quiet to heavy, every scripted event type,
/// decoys (a vantage point withdrawing its whole table, one losing its session),
/// and noise-only control cases. Day one of each case is history (baselines);
/// the events fall on day two.
///
/// Every case carries the noise real feeds carry, on the watched entities as much
/// per prefix as on the rest of the world: flaps of one prefix under five minutes at one, 2–3 and every peer,
/// path and community changes at one peer, chronic churners at 1–2 peers, session
/// resets with a full re-announcement, and partial-feed peers (the generator's 4).
public enum Suite {
    public static let sizes = [1, 4, 64, 2000]
    public struct Noise: Sendable {
        var name: String
        /// Per hour over the world: single-peer flaps, path changes, community changes, flaps at 2–3 peers, at every peer.
        var flaps, paths, communities, multiPeerFlaps, allPeerFlaps: Double
        var resetsPerDay: Double
        var churners: Int
    }
    public static let noise: [Noise] = [
        Noise(name: "quiet", flaps: 2, paths: 4, communities: 4, multiPeerFlaps: 0.5, allPeerFlaps: 0.25, resetsPerDay: 0.5, churners: 1),
        Noise(name: "normal", flaps: 20, paths: 30, communities: 30, multiPeerFlaps: 3, allPeerFlaps: 1, resetsPerDay: 1, churners: 2),
        Noise(name: "heavy", flaps: 120, paths: 200, communities: 200, multiPeerFlaps: 12, allPeerFlaps: 4, resetsPerDay: 6, churners: 4),
    ]

    public static func cases(seed: UInt64) -> [TruthCase] {
        var out: [TruthCase] = []
        var rng = Rng(seed: seed)
        let day0: Int64 = 1_420_070_400 + Int64(seed % 50) * 86_400  // 2015-01-01 + seed days
        for (ni, n) in noise.enumerated() {
            for (si, size) in sizes.enumerated() {
                let caseSeed = seed &* 1000 &+ UInt64(ni * 10 + si)
                var s = Scenario(name: "\(n.name) noise, \(size) prefixes", start: day0, end: day0 + 2 * 86_400)
                s.seed = caseSeed
                s.background = .init(prefixes: 500, origins: 80, flapsPerHour: n.flaps, pathChangesPerHour: n.paths, sessionResetsPerDay: n.resetsPerDay)
                s.background.communityChangesPerHour = n.communities
                s.background.multiPeerFlapsPerHour = n.multiPeerFlaps
                s.background.allPeerFlapsPerHour = n.allPeerFlaps
                s.background.churners = n.churners
                // The entities are part of the world: their share of its prefixes gets that share of the noise.
                s.background.entityShare = Double(5 * size) / Double(5 * size + s.background.prefixes)
                // Four entities of this size, one per event type, plus one left alone.
                let names = ["AS65001", "AS65002", "AS65003", "AS65004", "AS65005"]
                for (k, name) in names.enumerated() {
                    let base = UInt32(0x1E00_0000) + UInt32(k) << 20
                    let prefixes = (0..<size).map { Prefix(address: .v4(base + UInt32($0) << 8), length: 24) }
                    s.entities.append(.init(name: name, origin: 65001 + UInt32(k), upstream: 3000 + UInt32(k), prefixes: prefixes))
                }
                var truth: [TruthCase.Truth] = []
                func slot(_ minHour: Int, _ maxHour: Int) -> Int64 {
                    day0 + 86_400 + Int64(minHour) * 3600 + Int64(rng.next() % UInt64((maxHour - minHour) * 3600))
                }
                // At least 15 minutes: a shorter loss is a blip by design, not an outage.
                func duration() -> Int64 { [900, 1800, 3600, 3 * 3600][Int(rng.next() % 4)] + Int64(rng.next() % 120) }
                // 1. A full withdrawal.
                let a = slot(2, 8), ad = duration()
                s.events.append(.init(kind: .withdraw, entity: "AS65001", start: a, end: a + ad))
                truth.append(.init(entity: "AS65001", kind: "outage", cause: "bgp-withdrawal", start: a, end: a + ad))
                // 2. The upstream stops announcing: peers lose the routes one after another.
                let b = slot(9, 14), bd = duration()
                s.events.append(.init(kind: .upstreamWithdraw, entity: "AS65002", start: b, end: b + bd))
                truth.append(.init(entity: "AS65002", kind: "outage", cause: "bgp-withdrawal", start: b, end: b + bd))
                // 3. Hours of flapping, then everything withdrawn.
                let c = slot(2, 6)
                var flap = Scenario.EventDef(kind: .flap, entity: "AS65003", start: c, end: c + 3 * 3600)
                flap.rate = 8
                flap.peers = 0.6
                s.events.append(flap)
                truth.append(.init(entity: "AS65003", kind: "instability", cause: "route-instability", start: c, end: c + 3 * 3600))
                let cw = c + 3 * 3600 + 300, cd = duration()
                s.events.append(.init(kind: .withdraw, entity: "AS65003", start: cw, end: cw + cd))
                truth.append(.init(entity: "AS65003", kind: "outage", cause: "bgp-withdrawal", start: cw, end: cw + cd))
                // 4. Half of the prefixes withdrawn (for a single /24: all of it).
                let d = slot(14, 20), dd = duration()
                var half = Scenario.EventDef(kind: .withdraw, entity: "AS65004", start: d, end: d + dd)
                half.share = 0.5
                s.events.append(half)
                truth.append(.init(entity: "AS65004", kind: "outage", cause: "bgp-withdrawal", start: d, end: d + dd))
                // Decoys, no one's outage (the other peers still route): 5. a peer's session drops and
                // comes back with its table; 6. a full-feed peer withdraws its whole table and re-announces it.
                var decoys: [TruthCase.Decoy] = []
                let e = slot(15, 20)
                var down = Scenario.EventDef(kind: .peerDown, entity: nil, start: e, end: e + 1800)
                down.peer = 0
                s.events.append(down)
                decoys.append(.init(what: "peer 0 session down", start: e, end: e + 1800))
                let f = slot(19, 21), fd = Int64(1800 + rng.next() % 5400)
                var table = Scenario.EventDef(kind: .peerWithdraw, entity: nil, start: f, end: f + fd)
                table.peer = 1 + Int(rng.next() % UInt64(s.peers.full - 1))
                s.events.append(table)
                decoys.append(.init(what: "peer \(table.peer!) withdraws its table", start: f, end: f + fd))
                out.append(TruthCase(name: s.name, scenario: s, truth: truth, decoys: decoys, entities: names, control: false))
                // The same world with no scripted event: a noise-only control.
                var ctl = s
                ctl.name = "\(n.name) noise, \(size) prefixes, control"
                ctl.events = []
                ctl.seed = caseSeed &+ 7
                out.append(TruthCase(name: ctl.name, scenario: ctl, truth: [], entities: names, control: true))
            }
        }
        return out
    }
}

struct Rng {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
}
