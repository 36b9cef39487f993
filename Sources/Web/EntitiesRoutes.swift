import BGPWire
import Entities
import Hummingbird
import Signals
import Store

/// `entities` (search) and `entities/{code}` (what Vigil knows of one).
extension WebAPI {
    static func kind(_ name: String) -> String {
        switch Entity(name) {
        case .country: "country"
        case .asn: "as"
        case .prefix: "prefix"
        case nil: "unknown"
        }
    }

    func entities(_ req: Request) async throws -> Answer {
        let p = try Params(req)
        let limit = try p.int("limit", default: 50, range: 1...1000)
        let type = try p.value("type")
        if let t = type, !["country", "as", "prefix"].contains(t) { throw APIError.badRequest("type: '\(t)' is not one of country, as, prefix") }
        // Related entities: a country's ASes, an AS's prefixes.
        if let related = try p.value("related") {
            let name = try await knownEntity(related)
            let found = try await relatedEntities(of: name)
            return Self.json(JSONText.object([("related", JSONText.quoted(name)),
                                              ("entities", JSONText.array(found.prefix(limit).map(entityBrief)))]))
        }
        let q = p.string("q") ?? ""
        // Searching reads names in order: a type filter reads more, bounded.
        let names = try await store.searchEntities(q, limit: type == nil ? limit : min(limit * 50, 50_000))
        let kept = names.filter { type == nil || Self.kind($0) == type }.prefix(limit)
        return Self.json(JSONText.object([("query", JSONText.quoted(q)), ("entities", JSONText.array(kept.map(entityBrief)))]))
    }

    func entityBrief(_ name: String) -> String {
        JSONText.object([("code", JSONText.quoted(name)), ("type", JSONText.quoted(Self.kind(name)))])
    }

    /// A country's origin ASes (registered to it), an AS's prefixes (originated by it), a prefix's origin ASes.
    func relatedEntities(of name: String) async throws -> [String] {
        switch Entity(name) {
        case let .country(c):
            let map = try await store.loadEntityMap()
            return try await store.searchEntities("AS", limit: 1_000_000).filter {
                if case let .asn(a) = Entity($0) { return map.country(ofASN: a) == c }
                return false
            }
        case let .asn(a):
            return try await store.prefixOrigins().filter { $0.origin == a }.map(\.prefix.description).sorted()
        case let .prefix(p):
            return Set(try await store.prefixOrigins().filter { $0.prefix == p }.map { "AS\($0.origin)" }).sorted()
        case nil:
            return []
        }
    }

    func entity(_ text: String, _ req: Request) async throws -> Answer {
        let name = try await knownEntity(text)
        let map = try await store.loadEntityMap()
        var pairs: [(String, String)] = [("code", JSONText.quoted(name)), ("type", JSONText.quoted(Self.kind(name)))]
        var country: String?
        var prefixes: [String] = []
        switch Entity(name) {
        case let .asn(a):
            country = map.country(ofASN: a)
            prefixes = try await relatedEntities(of: name)
        case let .prefix(p):
            country = CountryLookup(map).country(of: p)
            prefixes = [p.description]
        case let .country(c):
            country = c
        case nil:
            break
        }
        pairs.append(("country", country.map(JSONText.quoted) ?? "null"))
        pairs.append(("prefixes", JSONText.strings(prefixes)))
        // Upstreams as the evidence of its events named them (the AS every withdrawn path went through).
        let events = try await store.events(entity: name, from: nil, until: nil)
        let upstreams = Set(events.compactMap(\.evidence.commonUpstream)).sorted().map { "AS\($0)" }
        pairs.append(("upstreams", JSONText.strings(upstreams)))
        pairs.append(("events", "\(events.count)"))
        // The span of its data (the dashboard's default range) and the space it routes in the last bin.
        let rows = try await store.series(entity: name, vantage: nil, from: nil, until: nil, points: 0)
        if let first = rows.first, let last = rows.last {
            pairs.append(("first_bin", JSONText.quoted(UTCTime.format(first.bin))))
            pairs.append(("last_bin", JSONText.quoted(UTCTime.format(last.bin))))
            pairs.append(("routed_v4", JSONText.number(last.routedV4)))
            pairs.append(("routed_v6", JSONText.number(last.routedV6)))
            pairs.append(("visible_prefixes", "\(last.visiblePrefixes)"))
        }
        if Self.kind(name) == "country" {
            pairs.append(("ases", "\(try await relatedEntities(of: name).count)"))
        }
        return Self.json(JSONText.object(pairs))
    }
}
