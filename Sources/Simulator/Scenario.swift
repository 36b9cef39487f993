public import BGPWire
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

    /// Parses and validates a scenario; errors name the file, line or key.
    public init(toml text: String, file: String) throws {
        let t: TOMLTable
        do { t = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw Problem(description: "\(file):\(e.source.begin.line):\(e.source.begin.column): \(e.description)")
        }
        func need<T>(_ v: T?, _ key: String) throws -> T {
            guard let v else { throw Problem(description: "\(file): missing or mistyped key '\(key)'") }
            return v
        }
        func time(_ node: (any TOMLValueConvertible)?, _ key: String) throws -> Int64 {
            // A TOML date-time (unquoted): its offset counts; without one it is UTC.
            if let d = node?.dateTime {
                var tm = tm()
                tm.tm_year = Int32(d.date.year - 1900)
                tm.tm_mon = Int32(d.date.month - 1)
                tm.tm_mday = Int32(d.date.day)
                tm.tm_hour = Int32(d.time.hour)
                tm.tm_min = Int32(d.time.minute)
                tm.tm_sec = Int32(d.time.second)
                return Int64(timegm(&tm)) - Int64(d.offset?.offset ?? 0) * 60
            }
            guard let s = node?.string else { throw Problem(description: "\(file): '\(key)' must be a time like \"2014-12-22T16:15Z\"") }
            do { return try UTCTime.parsing(s) } catch { throw Problem(description: "\(file): '\(key)': \(error.description)") }
        }
        name = try need(t["name"]?.string, "name")
        description = t["description"]?.string ?? ""
        start = try time(t["start"], "start")
        end = try time(t["end"], "end")
        guard end > start else { throw Problem(description: "\(file): 'end' must be after 'start'") }
        if let s = t["seed"]?.int { seed = UInt64(s) }
        if let c = t["collector"]?.string { collector = c }
        if let p = t["peers"]?.table {
            if let v = p["full"]?.int { peers.full = v }
            if let v = p["partial"]?.int { peers.partial = v }
            if let v = p["partial_share"]?.double { peers.partialShare = v }
        }
        guard peers.full >= 1, peers.full + peers.partial <= 200 else { throw Problem(description: "\(file): peers.full must be 1..200") }
        if let b = t["background"]?.table {
            if let v = b["prefixes"]?.int { background.prefixes = v }
            if let v = b["origins"]?.int { background.origins = max(1, v) }
            if let v = b["flaps_per_hour"]?.double ?? b["flaps_per_hour"]?.int.map(Double.init) { background.flapsPerHour = v }
            if let v = b["path_changes_per_hour"]?.double ?? b["path_changes_per_hour"]?.int.map(Double.init) { background.pathChangesPerHour = v }
            if let v = b["session_resets_per_day"]?.double ?? b["session_resets_per_day"]?.int.map(Double.init) { background.sessionResetsPerDay = v }
            if let v = b["community_changes_per_hour"]?.double ?? b["community_changes_per_hour"]?.int.map(Double.init) { background.communityChangesPerHour = v }
            if let v = b["multi_peer_flaps_per_hour"]?.double ?? b["multi_peer_flaps_per_hour"]?.int.map(Double.init) { background.multiPeerFlapsPerHour = v }
            if let v = b["all_peer_flaps_per_hour"]?.double ?? b["all_peer_flaps_per_hour"]?.int.map(Double.init) { background.allPeerFlapsPerHour = v }
            if let v = b["churners"]?.int { background.churners = v }
            if let v = b["churn_per_hour"]?.double ?? b["churn_per_hour"]?.int.map(Double.init) { background.churnPerHour = v }
            if let v = b["entity_share"]?.double ?? b["entity_share"]?.int.map(Double.init) { background.entityShare = v }
        }
        guard (0...60_000).contains(background.prefixes) else { throw Problem(description: "\(file): background.prefixes must be 0..60000") }
        guard (0...1).contains(background.entityShare) else { throw Problem(description: "\(file): background.entity_share must be 0..1") }
        guard background.churners >= 0, background.churnPerHour > 0 else {
            throw Problem(description: "\(file): background.churners must be 0 or more, churn_per_hour above 0")
        }
        for (i, e) in (t["entity"]?.array ?? TOMLArray()).enumerated() {
            guard let et = e.table else { throw Problem(description: "\(file): entity #\(i + 1) must be a table ([[entity]])") }
            let key = "entity #\(i + 1)"
            let prefixes = try (et["prefixes"]?.array ?? TOMLArray()).map { v -> Prefix in
                guard let s = v.string, let p = Prefix(s) else { throw Problem(description: "\(file): \(key): bad prefix \(v)") }
                return p
            }
            guard !prefixes.isEmpty else { throw Problem(description: "\(file): \(key): 'prefixes' must list at least one prefix") }
            entities.append(EntityDef(name: try need(et["name"]?.string, "\(key).name"),
                                      origin: UInt32(try need(et["origin"]?.int, "\(key).origin")),
                                      upstream: UInt32(try need(et["upstream"]?.int, "\(key).upstream")), prefixes: prefixes))
        }
        for (i, e) in (t["event"]?.array ?? TOMLArray()).enumerated() {
            guard let et = e.table else { throw Problem(description: "\(file): event #\(i + 1) must be a table ([[event]])") }
            let key = "event #\(i + 1)"
            let kindText = try need(et["kind"]?.string, "\(key).kind")
            guard let kind = EventKind(rawValue: kindText) else {
                throw Problem(description: "\(file): \(key): kind '\(kindText)' is not one of \(EventKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var ev = EventDef(kind: kind, entity: et["entity"]?.string, peer: et["peer"]?.int,
                              start: try time(et["start"], "\(key).start"), end: try time(et["end"], "\(key).end"))
            if let v = et["share"]?.double ?? et["share"]?.int.map(Double.init) { ev.share = v }
            if let v = et["peers"]?.double ?? et["peers"]?.int.map(Double.init) { ev.peers = v }
            if let v = et["rate"]?.double ?? et["rate"]?.int.map(Double.init) { ev.rate = v }
            ev.note = et["note"]?.string
            guard ev.end > ev.start else { throw Problem(description: "\(file): \(key): 'end' must be after 'start'") }
            if kind == .peerDown || kind == .peerWithdraw {
                guard let p = ev.peer, p >= 0, p < peers.full + peers.partial else { throw Problem(description: "\(file): \(key): 'peer' must be a peer index") }
            } else {
                guard let name = ev.entity, entities.contains(where: { $0.name == name }) else {
                    throw Problem(description: "\(file): \(key): 'entity' must name an [[entity]]")
                }
            }
            events.append(ev)
        }
    }
}
