/// Several vantage points' events judged together. An outage seen from one of three vantage
/// points may be that vantage point's own trouble (its upstream, the network its prober sits in);
/// seen from two, it is the network's. Each vantage point's detector judges what it sees and
/// stores its events under its name; agreement is read from them, so a vantage point that joins
/// or leaves changes nothing already stored.
public enum Agreement {
    /// The alerts (outages, instability, degradation) on which at least `required` vantage points
    /// agree: for each entity and kind, the spans in which that many had such an event open at once.
    /// A combined event starts when the `required`-th vantage point saw it and ends when fewer than
    /// that still do (open while they do); `seenBy` names every vantage point whose event overlapped
    /// it. Its cause is the one most of them gave, its scope and severity the largest, its evidence
    /// the first one's. Annotations (blips, feed events) are about one vantage point: kept as they are.
    public static func combine(_ events: [Event], required: Int) -> [Event] {
        let need = max(1, required)
        var out = events.filter { !$0.kind.isAlert }
        var groups: [String: [Event]] = [:]
        for e in events where e.kind.isAlert { groups["\(e.entity)|\(e.kind.rawValue)", default: []].append(e) }
        for (_, group) in groups { out += spans(group, need) }
        return out.sorted(by: Event.storedOrder)
    }

    /// One entity's events of one kind: a sweep over their starts and ends, counting vantage points.
    static func spans(_ group: [Event], _ need: Int) -> [Event] {
        // Ends before starts at the same time: an event that ends as another begins is not an overlap.
        var edges: [(t: Int64, opens: Bool, i: Int)] = []
        for (i, e) in group.enumerated() {
            edges.append((e.start, true, i))
            if let end = e.end { edges.append((end, false, i)) }
        }
        edges.sort { ($0.t, $0.opens ? 1 : 0) < ($1.t, $1.opens ? 1 : 0) }
        var open: [String: Int] = [:]
        var out: [Event] = []
        var since: Int64?
        for edge in edges {
            let v = group[edge.i].vantage
            open[v, default: 0] += edge.opens ? 1 : -1
            if open[v] == 0 { open[v] = nil }
            if since == nil, open.count >= need {
                since = edge.t
            } else if let s = since, open.count < need {
                out.append(merged(group, from: s, until: edge.t, stopped: group[edge.i].observationStopped))
                since = nil
            }
        }
        if let s = since { out.append(merged(group, from: s, until: nil, stopped: false)) }
        return out
    }

    /// The events of `group` that overlap [from, until) as one.
    static func merged(_ group: [Event], from: Int64, until: Int64?, stopped: Bool) -> Event {
        let overlapping = group.filter { $0.start < (until ?? Int64.max) && ($0.end ?? Int64.max) > from }
            .sorted { ($0.start, $0.vantage) < ($1.start, $1.vantage) }
        var e = overlapping[0]
        var causes: [Event.Cause: Int] = [:]
        for x in overlapping { causes[x.cause, default: 0] += 1 }
        e.cause = causes.max { ($0.value, $1.key.rawValue) < ($1.value, $0.key.rawValue) }!.key
        e.scope = overlapping.map(\.scope).max()!
        e.severity = overlapping.map(\.severity).max()!
        e.start = from
        e.end = until
        e.observationStopped = until != nil && stopped
        e.vantage = ""
        e.seenBy = Set(overlapping.map(\.vantage)).sorted()
        return e
    }
}
