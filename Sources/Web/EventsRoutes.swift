import BGPWire
import Entities
import Hummingbird
import Probing
import Signals
import Store

/// `events` (filtered, newest first, in pages) and `events/{id}` (one event with its whole story).
extension WebAPI {
    /// The event JSON form (README, "Event JSON") with its id first.
    static func eventJSON(_ e: Event) -> String {
        "{\"id\":\(JSONText.quoted(e.id))," + EventFormat.json(e).dropFirst()
    }

    func query(_ p: Params) throws -> EventQuery {
        var q = EventQuery()
        q.entity = try p.value("entity").map { t in
            guard let e = Entity(t) else { throw APIError.badRequest("entity: '\(t)' is not an entity") }
            return e.description
        }
        q.kind = try p.choice("kind", Event.Kind.self, allowed: [.outage, .instability, .degradation, .blip, .feed])
        q.cause = try p.choice("cause", Event.Cause.self, allowed: [.bgpWithdrawal, .unreachableWhileRouted, .routeInstability,
                                                                    .latencyDegradation, .feedLoss, .unknown])
        q.ongoing = try p.bool("ongoing")
        q.from = try p.time("from")
        q.until = try p.time("until")
        if let f = q.from, let u = q.until, f >= u { throw APIError.badRequest("from (\(UTCTime.format(f))) is not before until (\(UTCTime.format(u)))") }
        q.vantage = p.string("vantage")
        if try p.value("agree") != nil { q.agreement = try p.int("agree", default: 1, range: 1...100) }
        return q
    }

    func events(_ req: Request) async throws -> Answer {
        let p = try Params(req)
        let q = try query(p)
        let limit = try p.int("limit", default: 100, range: 1...1000)
        let page = try p.int("page", default: 1, range: 1...1_000_000)
        let found = try await store.events(q).sorted { ($0.start, $0.entity) > ($1.start, $1.entity) }
        let slice = found.dropFirst((page - 1) * limit).prefix(limit)
        return Self.json(JSONText.object([("total", "\(found.count)"), ("page", "\(page)"), ("limit", "\(limit)"),
                                          ("events", JSONText.array(slice.map(Self.eventJSON)))]))
    }

    /// An id is `entity|kind|start` (as `id` in the list gives it).
    func event(_ id: String, _ req: Request) async throws -> Answer {
        let parts = id.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3, let start = Int64(parts[2]), Event.Kind(rawValue: String(parts[1])) != nil else {
            throw APIError.badRequest("'\(id)' is not an event id (entity|kind|start, as the events list gives it)")
        }
        let entity = String(parts[0])
        let found = try await store.events(entity: entity, from: start, until: start + 1).filter { $0.id == id }
        guard let e = found.first else { throw APIError.notFound("no event \(id)") }
        // The story around it: signal changes from an hour before to an hour after (a day at most while ongoing).
        let end = e.end ?? min(now(), e.start + 86400)
        let rows = try await store.series(entity: entity, vantage: nil, from: e.start - 3600, until: end + 3600, points: 0)
        var timeline: [String] = []
        var last: SeriesRow?
        for r in rows {
            defer { last = r }
            if let l = last, l.routedV4 == r.routedV4, l.routedV6 == r.routedV6, l.visiblePrefixes == r.visiblePrefixes, r.withdrawals == 0, r.announcements == 0 { continue }
            timeline.append(JSONText.object([("t", JSONText.quoted(UTCTime.format(r.bin))), ("routed_v4", JSONText.number(r.routedV4)),
                                             ("routed_v6", JSONText.number(r.routedV6)), ("visible_prefixes", "\(r.visiblePrefixes)"),
                                             ("mean_visibility", JSONText.number(r.meanVisibility)), ("announcements", "\(r.announcements)"),
                                             ("withdrawals", "\(r.withdrawals)")]))
        }
        let blocks = try await store.blocks(entity: entity, vantage: nil).map { b in
            JSONText.object([("block", JSONText.quoted(b.block.description)), ("state", JSONText.quoted(b.state.rawValue)),
                             ("belief", JSONText.number(b.belief)), ("availability", JSONText.number(b.availability)),
                             ("responsive", "\(b.responsive)")])
        }
        let others = found.dropFirst().map(Self.eventJSON)
        return Self.json(JSONText.object([("event", Self.eventJSON(e)), ("other_vantage_points", JSONText.array(others)),
                                          ("timeline", JSONText.array(timeline)), ("blocks", JSONText.array(blocks))]))
    }

    /// `summary`: what is wrong at `at` (default now): ongoing events, the biggest drops in the last bin
    /// stored, recoveries of the day before, and feed health counted by state.
    func summary(_ req: Request) async throws -> Answer {
        let p = try Params(req)
        let at = try p.time("at") ?? now()
        let limit = try p.int("limit", default: 20, range: 1...200)
        let recent = try await store.events(EventQuery(from: at - 86400, until: at + 1))
        let ongoing = recent.filter { $0.start <= at && ($0.end.map { $0 > at } ?? true) && $0.kind != .blip }
            .sorted { ($0.severity, $0.start) > ($1.severity, $1.start) }
        let recovered = recent.filter { e in e.end.map { $0 <= at && !e.observationStopped } ?? false && e.kind.isAlert }
            .sorted { ($0.end ?? 0) > ($1.end ?? 0) }
        let drops = try await store.biggestDrops(limit: limit).map { d in
            JSONText.object([("entity", JSONText.quoted(d.entity)), ("bin", JSONText.quoted(UTCTime.format(d.bin))),
                             ("before", JSONText.number(d.before)), ("now", JSONText.number(d.now)), ("drop", JSONText.number(d.drop))])
        }
        // The map: each country with an ongoing event of its own or of an AS or prefix registered to it, the worst kind.
        let lookup = CountryLookup(try await store.loadEntityMap())
        let rank: [Event.Kind: Int] = [.outage: 3, .degradation: 2, .instability: 1]
        var countries: [String: Event.Kind] = [:]
        for e in ongoing where e.kind.isAlert {
            let cc: String? = switch Entity(e.entity) {
            case let .country(c): c
            case let .asn(a): lookup.country(ofASN: a)
            case let .prefix(p): lookup.country(of: p)
            case nil: nil
            }
            guard let cc else { continue }
            if (rank[e.kind] ?? 0) > (countries[cc].flatMap { rank[$0] } ?? 0) { countries[cc] = e.kind }
        }
        var states: [String: Int] = [:]
        for h in try await store.sourceHealth(vantage: nil) { states[h.state.rawValue, default: 0] += 1 }
        return Self.json(JSONText.object([
            ("at", JSONText.quoted(UTCTime.format(at))),
            ("ongoing", JSONText.array(ongoing.prefix(limit).map(Self.eventJSON))),
            ("countries", JSONText.object(countries.sorted { $0.key < $1.key }.map { ($0.key, JSONText.quoted($0.value.rawValue)) })),
            ("drops", JSONText.array(drops)),
            ("recoveries", JSONText.array(recovered.prefix(limit).map(Self.eventJSON))),
            ("feeds", JSONText.object(states.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") })),
        ]))
    }

    /// `feeds`: every source's health as stored (per vantage point), and this process's own live view
    /// (sessions, BMP routers, followers, probers) when it has sources.
    func feeds(_ req: Request) async throws -> Answer {
        let p = try Params(req)
        let health = try await store.sourceHealth(vantage: p.string("vantage")).map { h in
            JSONText.object([("source", JSONText.quoted(h.source)), ("vantage", JSONText.quoted(h.vantage)), ("state", JSONText.quoted(h.state.rawValue)),
                             ("since", JSONText.quoted(UTCTime.format(h.since))), ("last_data", h.lastData.map { JSONText.quoted(UTCTime.format($0)) } ?? "null"),
                             ("lag_s", h.lastData.flatMap { l in h.dataTime.map { JSONText.number(Double(l - $0)) } } ?? "null"),
                             ("detail", JSONText.quoted(h.detail))])
        }
        let live = self.live().map { String(decoding: $0, as: UTF8.self) } ?? "null"
        return Self.json(JSONText.object([("sources", JSONText.array(health)), ("live", live)]))
    }
}
