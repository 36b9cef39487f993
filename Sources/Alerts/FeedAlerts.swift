public import Signals
public import Store

/// Vigil's own feeds as alerts: a peer whose session or table was lost, or a source that went
/// down, silent, late or incomplete, is announced (kind `feed`, entity `peer:…` or `source:…`) once it has
/// been out for `[alerts] feed_after`, and resolved when it is back. Shorter troubles, a restart's
/// sessions coming up among them, are not news. While a feed is out the detector judges without
/// it, so what Vigil cannot see becomes unknown, not an outage: this alert is what says so.
public struct FeedAlerts: Sendable {
    let after: Int64
    /// Out, not yet announced (by entity).
    var waiting: [String: Event] = [:]
    /// Announced, open (as announced: its key is its start).
    var told: [String: Event] = [:]

    public init(after: Int64) { self.after = after }

    /// A source's health as a feed event: open while it is not up (or starting), closed when it is.
    public static func event(_ h: SourceHealth) -> Event {
        let out = h.state == .down || h.state == .silent || h.state == .lagging || h.state == .incomplete
        return Event(entity: "source:\(h.source)", kind: .feed, cause: .feedLoss, start: h.since, end: out ? nil : h.since, scope: 0, severity: 0,
                     level: "warning", precededByInstability: false, evidence: Event.Evidence(signal: "source_\(h.state.rawValue)", note: h.detail))
    }

    /// A feed went out (no end) or came back (an end).
    public mutating func change(_ e: Event, now: Int64, _ d: Dispatcher) -> [OutboxItem] {
        if e.end == nil {
            if waiting[e.entity] == nil && told[e.entity] == nil { waiting[e.entity] = e }
            return tick(now: now, d)
        }
        waiting[e.entity] = nil
        guard var opened = told.removeValue(forKey: e.entity) else { return [] }
        opened.end = e.end
        return d.handle(.closed(opened), now: now)
    }

    public mutating func tick(now: Int64, _ d: Dispatcher) -> [OutboxItem] {
        var out: [OutboxItem] = []
        for (name, e) in waiting.sorted(by: { $0.key < $1.key }) where now - e.start >= after {
            waiting[name] = nil
            told[name] = e
            out += d.handle(.opened(e), now: now)
        }
        return out
    }
}
