public import Signals

/// Which events to read: any of the fields left nil matches everything.
public struct EventQuery: Sendable {
    public var entity: String?
    public var kind: Event.Kind?
    public var cause: Event.Cause?
    /// true: only events not ended; false: only ended ones.
    public var ongoing: Bool?
    /// Events overlapping [from, until).
    public var from: Int64?
    public var until: Int64?
    /// One vantage point's events (nil: every vantage point's).
    public var vantage: String?
    /// Only what at least this many vantage points agree on, combined (`Agreement`); nil: each as stored.
    public var agreement: Int?
    public init(entity: String? = nil, kind: Event.Kind? = nil, cause: Event.Cause? = nil, ongoing: Bool? = nil,
                from: Int64? = nil, until: Int64? = nil, vantage: String? = nil, agreement: Int? = nil) {
        (self.entity, self.kind, self.cause, self.ongoing, self.from, self.until) = (entity, kind, cause, ongoing, from, until)
        (self.vantage, self.agreement) = (vantage, agreement)
    }
}

/// An entity whose routed space fell between the last two bins stored.
public struct EntityDrop: Sendable, Equatable {
    public var entity: String
    public var bin: Int64
    /// Routed space (/24s plus /48s) in the bin before and in the last bin.
    public var before: Double
    public var now: Double
    /// Share of `before` lost (0–1).
    public var drop: Double { before > 0 ? max(0, before - now) / before : 0 }
}

/// The reads the dashboard and the API make. Default implementations work on any store
/// from its basic reads; a database backend overrides them with indexed queries.
extension SeriesStore {
    /// One entity's series over [from, until) in at most `points` rows. Each row covers
    /// consecutive bins: levels (space, visible prefixes, visibility, full-feed peers) are the
    /// bucket's minimum, so a dip is never averaged away; counts are summed; `bin` is the first.
    public func series(entity: String, vantage: String? = nil, from: Int64?, until: Int64?, points: Int) async throws -> [SeriesRow] {
        Self.downsample(try await series(entity: entity, vantage: vantage, from: from, until: until), points: points)
    }

    /// Buckets of equal time (a whole number of the finest bins), so hourly rows from before the
    /// retention limit and 5-minute rows after it share one time axis.
    static func downsample(_ rows: [SeriesRow], points: Int) -> [SeriesRow] {
        guard points > 0, rows.count > points, let first = rows.first?.bin, let last = rows.last?.bin else { return rows }
        var gap = Int64.max
        for (a, b) in zip(rows, rows.dropFirst()) where b.bin > a.bin { gap = min(gap, b.bin - a.bin) }
        guard gap < Int64.max else { return rows }
        let span = last - first + gap
        let per = Int64(points) * gap
        let w = (span + per - 1) / per * gap
        var out: [SeriesRow] = []
        out.reserveCapacity(points)
        var bucket = Int64.min
        for r in rows {
            let k = (r.bin - first) / w
            if k == bucket { out[out.count - 1] = SeriesRow.rolled(out[out.count - 1], r) } else {
                out.append(r)
                bucket = k
            }
        }
        return out
    }

    /// Events matching `q`, oldest first. With `agreement`, the kind, cause and ongoing filters apply
    /// to the combined events (an outage two vantage points agree on is ongoing while both see it).
    public func events(_ q: EventQuery) async throws -> [Event] {
        var found = try await events(entity: q.entity, vantage: q.vantage, from: q.from, until: q.until)
        if let k = q.agreement { found = Agreement.combine(found, required: k) }
        return found.filter { e in
            (q.kind == nil || e.kind == q.kind) && (q.cause == nil || e.cause == q.cause) && (q.ongoing == nil || (e.end == nil) == q.ongoing)
        }
    }
}

/// The generic forms of the two queries a database answers from its indexes.
extension SeriesStore {
    /// Entity names starting with `text` (case-insensitive: "as131" finds AS131279), in order.
    public func genericSearch(_ text: String, limit: Int) async throws -> [String] {
        let t = text.uppercased()
        return Array(try await entityNames().filter { $0.uppercased().hasPrefix(t) }.prefix(limit))
    }

    /// The `limit` entities that lost the largest share of their routed space between the last two
    /// bins stored (entities with no row in the last bin are unknown there, not zero: left out).
    public func genericDrops(limit: Int) async throws -> [EntityDrop] {
        var last: [String: (Int64, Double)] = [:]
        var prev: [String: Double] = [:]
        var bins = Set<Int64>()
        var all: [SeriesRow] = []
        for e in try await entityNames() { all += try await series(entity: e, from: nil, until: nil).suffix(2) }
        for r in all { bins.insert(r.bin) }
        let top = bins.sorted().suffix(2)
        guard let lastBin = top.last else { return [] }
        let prevBin = top.count == 2 ? top.first! : nil
        for r in all {
            if r.bin == lastBin { last[r.entity] = (r.bin, r.routedV4 + r.routedV6) }
            if r.bin == prevBin { prev[r.entity] = r.routedV4 + r.routedV6 }
        }
        return Self.rank(last: last, prev: prev, limit: limit)
    }

    static func rank(last: [String: (Int64, Double)], prev: [String: Double], limit: Int) -> [EntityDrop] {
        EntityDrop.strongest(last.compactMap { e, v -> EntityDrop? in
            guard let b = prev[e], b > v.1 else { return nil }
            return EntityDrop(entity: e, bin: v.0, before: b, now: v.1)
        }, limit: limit)
    }

    /// Entity search in a database whose names are an ordered key: the text as typed, in upper and in
    /// lower case (names are "AS…", country codes and prefixes, IPv6 in lower case), each a range
    /// [form, form + U+10FFFF) to read at most `limit` names from (then `searchResult`).
    static func searchRanges(_ text: String) -> [(String, String)] {
        Set([text, text.uppercased(), text.lowercased()]).map { ($0, $0 + "\u{10FFFF}") }
    }

    static func searchResult(_ found: [String], limit: Int) -> [String] { Array(Set(found).sorted().prefix(limit)) }
}

extension EntityDrop {
    /// The `limit` largest drops, each entity once (its largest, when several vantage points saw it):
    /// by share lost, then space lost, then name.
    static func strongest(_ drops: [EntityDrop], limit: Int) -> [EntityDrop] {
        var best: [String: EntityDrop] = [:]
        for d in drops where best[d.entity].map({ $0.drop < d.drop }) ?? true { best[d.entity] = d }
        return Array(best.values.sorted { ($0.drop, $0.before, $1.entity) > ($1.drop, $1.before, $0.entity) }.prefix(limit))
    }
}
