public import BGPWire
import TOMLKeys
import TOMLKit
#if canImport(Glibc)
import Glibc
#endif

/// A synthetic world to simulate (the TOML format is documented in README.md, "Scenarios").
public struct Scenario: Sendable {
    public struct Peers: Sendable { public var full = 8, partial = 4, partialShare = 0.4 }
    public struct Background: Sendable {
        public var prefixes = 2000, origins = 300
        public var flapsPerHour = 20.0, pathChangesPerHour = 30.0, sessionResetsPerDay = 1.0
        /// One route at one peer: its community changed, and reverted 5 minutes to 2 hours later.
        public var communityChangesPerHour = 0.0
        /// One prefix withdrawn for under five minutes at 2–3 peers, and at every peer.
        public var multiPeerFlapsPerHour = 0.0, allPeerFlapsPerHour = 0.0
        /// Chronic churners: prefixes changing attributes or flapping `churnPerHour` times an hour at 1–2 peers.
        public var churners = 0, churnPerHour = 20.0
        /// Share of the noise above that falls on the entities' prefixes (0: noise never touches them).
        public var entityShare = 0.0
        public init() {}
        public init(prefixes: Int, origins: Int, flapsPerHour: Double, pathChangesPerHour: Double, sessionResetsPerDay: Double) {
            self.prefixes = prefixes
            self.origins = origins
            self.flapsPerHour = flapsPerHour
            self.pathChangesPerHour = pathChangesPerHour
            self.sessionResetsPerDay = sessionResetsPerDay
        }
    }
    public struct EntityDef: Sendable {
        public var name: String
        public var origin: UInt32
        public var upstream: UInt32
        public var prefixes: [Prefix]
        public init(name: String, origin: UInt32, upstream: UInt32, prefixes: [Prefix]) {
            self.name = name
            self.origin = origin
            self.upstream = upstream
            self.prefixes = prefixes
        }
    }
    public enum EventKind: String, Sendable, CaseIterable {
        case flap, withdraw, upstreamWithdraw = "upstream-withdraw", peerDown = "peer-down"
        /// The peer withdraws its whole table explicitly (its session stays up) and re-announces it at the end.
        case peerWithdraw = "peer-withdraw"
    }
    public struct EventDef: Sendable {
        public var kind: EventKind
        public var entity: String?
        public var peer: Int?
        public var start: Int64
        public var end: Int64
        /// Share of the entity's prefixes affected (withdrawals), default 1.
        public var share = 1.0
        /// Share of the peers affected, default 1 (0.5 for flaps).
        public var peers: Double?
        /// Flaps per hour (flap).
        public var rate = 6.0
        public var note: String?
        public init(kind: EventKind, entity: String?, peer: Int? = nil, start: Int64, end: Int64) {
            self.kind = kind
            self.entity = entity
            self.peer = peer
            self.start = start
            self.end = end
        }
    }

    public var name: String
    public var description: String = ""
    public var start: Int64
    public var end: Int64
    public var seed: UInt64 = 1
    public var collector = "sim00"
    public var peers = Peers()
    public var background = Background()
    public var entities: [EntityDef] = []
    public var events: [EventDef] = []

    /// A problem in a scenario file: where (line or key) and what.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init(name: String, start: Int64, end: Int64) {
        self.name = name
        self.start = start
        self.end = end
    }

    static let keys: [String: Set<String>] = [
        "": ["name", "description", "start", "end", "seed", "collector", "peers", "background", "entity", "event"],
        "peers": ["full", "partial", "partial_share"],
        "background": ["prefixes", "origins", "flaps_per_hour", "path_changes_per_hour", "session_resets_per_day",
                       "community_changes_per_hour", "multi_peer_flaps_per_hour", "all_peer_flaps_per_hour", "churners", "churn_per_hour",
                       "entity_share"],
        "entity": ["name", "origin", "upstream", "prefixes"],
        "event": ["kind", "entity", "peer", "start", "end", "share", "peers", "rate", "note"],
    ]

    /// Parses and validates a scenario; errors say `file:line: key: what`. Unknown
    /// keys are errors: a misspelt key silently ignored is an event never simulated.
    public init(toml text: String, file: String) throws {
        let lines = KeyLines(text)
        func fail(_ key: String, _ what: String) -> Problem { Problem(description: lines.problem(file, key, what)) }
        let t = try KeyLines.table(text, file: file) { Problem(description: $0) }
        func checkKeys(_ table: TOMLTable, _ section: String, _ path: String) throws {
            let allowed = Self.keys[section] ?? []
            for k in table.keys.sorted() where !allowed.contains(k) {
                throw fail(path.isEmpty ? k : "\(path).\(k)", "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        func key(_ path: String, _ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }
        func string(_ tt: TOMLTable, _ k: String, _ path: String) throws -> String? {
            guard let v = tt[k] else { return nil }
            guard let s = v.string else { throw fail(key(path, k), "must be a string") }
            return s
        }
        func int(_ tt: TOMLTable, _ k: String, _ path: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let v = tt[k] else { return nil }
            guard let i = v.int else { throw fail(key(path, k), "must be an integer") }
            guard range.contains(i) else { throw fail(key(path, k), "\(i) is out of range \(range.lowerBound)...\(range.upperBound)") }
            return i
        }
        func number(_ tt: TOMLTable, _ k: String, _ path: String, _ range: ClosedRange<Double>) throws -> Double? {
            guard let v = tt[k] else { return nil }
            guard let d = v.double ?? v.int.map(Double.init) else { throw fail(key(path, k), "must be a number") }
            guard range.contains(d) else { throw fail(key(path, k), "\(d) is out of range \(range.lowerBound)...\(range.upperBound)") }
            return d
        }
        func time(_ tt: TOMLTable, _ k: String, _ path: String) throws -> Int64 {
            let v: Int64
            let s: String
            if let d = tt[k]?.dateTime {
                // A TOML date-time (unquoted): its offset counts; without one it is UTC.
                var tm = tm()
                tm.tm_year = Int32(d.date.year - 1900)
                tm.tm_mon = Int32(d.date.month - 1)
                tm.tm_mday = Int32(d.date.day)
                tm.tm_hour = Int32(d.time.hour)
                tm.tm_min = Int32(d.time.minute)
                tm.tm_sec = Int32(d.time.second)
                v = Int64(timegm(&tm)) - Int64(d.offset?.offset ?? 0) * 60
                s = "\(d)"
            } else {
                guard let text = try string(tt, k, path) else { throw fail(key(path, k), "missing: a time like \"2014-12-22T16:15Z\"") }
                do { v = try UTCTime.parsing(text) } catch {
                    throw fail(key(path, k), "\"\(text)\" is not a time like \"2014-12-22T16:15Z\": \(error.description)")
                }
                s = text
            }
            // Archives stamp seconds as 32 bits, and the RIB is dated an hour before the start.
            guard v >= 3600 && v <= Int64(UInt32.max) else { throw fail(key(path, k), "\"\(s)\" is outside 1970-01-01T01:00Z...2106-02-07") }
            return v
        }
        func table(_ k: String) throws -> TOMLTable? {
            guard let v = t[k] else { return nil }
            guard let tt = v.table else { throw fail(k, "must be a table ([\(k)])") }
            try checkKeys(tt, k, k)
            return tt
        }
        func tables(_ k: String) throws -> [(TOMLTable, String)] {
            guard let v = t[k] else { return [] }
            guard let arr = v.array else { throw fail(k, "must be a list of tables ([[\(k)]])") }
            return try arr.enumerated().map { i, item in
                let path = "\(k).\(i + 1)"
                guard let tt = item.table else { throw fail(path, "must be a table ([[\(k)]])") }
                try checkKeys(tt, k, path)
                return (tt, path)
            }
        }
        try checkKeys(t, "", "")
        guard let n = try string(t, "name", "") else { throw fail("name", "missing") }
        name = n
        description = try string(t, "description", "") ?? ""
        start = try time(t, "start", "")
        end = try time(t, "end", "")
        guard end > start else { throw fail("end", "must be after 'start'") }
        // Every 5 minutes of it is an archive file, every hour its noise: a century would never finish.
        guard end - start <= 366 * 86_400 else { throw fail("end", "a scenario spans at most 366 days") }
        if let v = try int(t, "seed", "", 0...Int.max) { seed = UInt64(v) }
        if let c = try string(t, "collector", "") { collector = c }
        if let p = try table("peers") {
            if let v = try int(p, "full", "peers", 1...200) { peers.full = v }
            if let v = try int(p, "partial", "peers", 0...199) { peers.partial = v }
            if let v = try number(p, "partial_share", "peers", 0...1) { peers.partialShare = v }
        }
        guard peers.full + peers.partial <= 200 else { throw fail("peers", "full + partial must be at most 200") }
        if let b = try table("background") {
            if let v = try int(b, "prefixes", "background", 0...60_000) { background.prefixes = v }
            if let v = try int(b, "origins", "background", 1...1_000_000) { background.origins = v }
            // At most one a second each: the generator draws every one of them.
            if let v = try number(b, "flaps_per_hour", "background", 0...3600) { background.flapsPerHour = v }
            if let v = try number(b, "path_changes_per_hour", "background", 0...3600) { background.pathChangesPerHour = v }
            if let v = try number(b, "session_resets_per_day", "background", 0...86_400) { background.sessionResetsPerDay = v }
            if let v = try number(b, "community_changes_per_hour", "background", 0...3600) { background.communityChangesPerHour = v }
            if let v = try number(b, "multi_peer_flaps_per_hour", "background", 0...3600) { background.multiPeerFlapsPerHour = v }
            if let v = try number(b, "all_peer_flaps_per_hour", "background", 0...3600) { background.allPeerFlapsPerHour = v }
            if let v = try int(b, "churners", "background", 0...10_000) { background.churners = v }
            if let v = try number(b, "churn_per_hour", "background", 0.001...3600) { background.churnPerHour = v }
            if let v = try number(b, "entity_share", "background", 0...1) { background.entityShare = v }
        }
        for (et, path) in try tables("entity") {
            let prefixes = try (et["prefixes"]?.array ?? TOMLArray()).map { v -> Prefix in
                guard let s = v.string, let p = Prefix(s) else { throw fail("\(path).prefixes", "bad prefix \(v)") }
                return p
            }
            guard !prefixes.isEmpty else { throw fail("\(path).prefixes", "must list at least one prefix") }
            guard let name = try string(et, "name", path) else { throw fail("\(path).name", "missing") }
            guard let origin = try int(et, "origin", path, 1...Int(UInt32.max)) else { throw fail("\(path).origin", "missing") }
            guard let upstream = try int(et, "upstream", path, 1...Int(UInt32.max)) else { throw fail("\(path).upstream", "missing") }
            entities.append(EntityDef(name: name, origin: UInt32(origin), upstream: UInt32(upstream), prefixes: prefixes))
        }
        for (et, path) in try tables("event") {
            guard let kindText = try string(et, "kind", path) else { throw fail("\(path).kind", "missing") }
            guard let kind = EventKind(rawValue: kindText) else {
                throw fail("\(path).kind", "'\(kindText)' is not one of \(EventKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var ev = EventDef(kind: kind, entity: try string(et, "entity", path), peer: try int(et, "peer", path, 0...199),
                              start: try time(et, "start", path), end: try time(et, "end", path))
            if let v = try number(et, "share", path, 0...1) { ev.share = v }
            if let v = try number(et, "peers", path, 0...1) { ev.peers = v }
            if let v = try number(et, "rate", path, 0...3600) { ev.rate = v }
            ev.note = try string(et, "note", path)
            guard ev.end > ev.start else { throw fail("\(path).end", "must be after 'start'") }
            if kind == .peerDown || kind == .peerWithdraw {
                guard let p = ev.peer, p < peers.full + peers.partial else { throw fail("\(path).peer", "must be a peer index (0...\(peers.full + peers.partial - 1))") }
            } else {
                guard let name = ev.entity, entities.contains(where: { $0.name == name }) else {
                    throw fail("\(path).entity", "must name an [[entity]]")
                }
            }
            events.append(ev)
        }
    }
}
