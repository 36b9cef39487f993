public import Config
public import Signals
public import Store

/// Decides what is said to whom: event changes from the bus become outbox items by the rules
/// (entity, kind, cause, level, minimum duration → channels). An event's opening is announced
/// once it has lasted a rule's minimum; updates only when its level or cause changed or its scope
/// moved by a fifth; a reminder after the repeat interval; a resolution only for what was announced.
/// An event that "closed" because Vigil stopped observing is not a resolution and says nothing.
/// Not thread-safe: one consumer task owns it.
public final class Dispatcher {
    let config: AlertsConfig
    let vantage: String
    /// Links to event pages (`[alerts] link`, or the dashboard's address).
    let link: String?

    /// What was said about an open event, per channel.
    struct Open {
        var event: Event
        /// Channels (by rule) and the minimum duration before each may hear of it.
        var waiting: [String: Int64]
        var told: Set<String> = []
        /// Channels told through its group (`Grouping.swift`): they hear of the group, not of it.
        var grouped: Set<String> = []
        /// Channels whose opening was silenced: they hear nothing more of it either.
        var hushed: Set<String> = []
        var revision = 0
        var lastSaid: Int64 = 0
        var saidLevel = "", saidCause = "", saidScope = 0.0
    }
    var open: [String: Open] = [:]
    /// Silences in force (refreshed by the caller from the store).
    public var silences: [Silence] = []
    /// Events that fail together (`Grouping.swift`), by group key; and each member event's group.
    var groups: [String: Group] = [:]
    var memberOf: [String: String] = [:]
    /// What an event is grouped by: a name ("KP", "AS4837") and how to say it ("registered in KP"); nil: alone.
    public var groupOf: (@Sendable (Event) -> (name: String, label: String)?)?

    public init(config: AlertsConfig, vantage: String, link: String?) {
        (self.config, self.vantage, self.link) = (config, vantage, link ?? config.link)
    }

    /// Channels the rules send `e` to, each with the rule's minimum duration (the smallest if several).
    func channels(for e: Event) -> [String: Int64] {
        guard e.kind.isAlert || e.kind == .feed else { return [:] }
        var out: [String: Int64] = [:]
        for r in config.rules {
            if !r.entities.isEmpty && !r.entities.contains(where: { Silence.matches($0, e.entity) }) { continue }
            if !r.kinds.isEmpty && !r.kinds.contains(e.kind.rawValue) { continue }
            if !r.causes.isEmpty && !r.causes.contains(e.cause.rawValue) { continue }
            if r.minLevel == "critical" && e.level != "critical" { continue }
            for c in r.channels { out[c] = min(out[c] ?? Int64.max, r.minDuration) }
        }
        return out
    }

    /// The items an event change makes (none, or one per channel told).
    public func handle(_ change: Detector.Change, now: Int64) -> [OutboxItem] {
        let e = change.event
        let key = Notice.key(e, vantage: vantage)
        switch change {
        case .opened:
            let ch = channels(for: e)
            guard !ch.isEmpty else { return [] }
            open[key] = Open(event: e, waiting: ch)
            return due(key, now: now)
        case .updated:
            guard var o = open[key] else { return [] }
            o.event = e
            // A level rule may now match where it did not.
            for (c, d) in channels(for: e) where o.waiting[c] == nil && !o.told.contains(c) { o.waiting[c] = d }
            open[key] = o
            // Those told before hear of the change; those whose rule now matches, of the opening.
            let changed = e.level != o.saidLevel || e.cause.rawValue != o.saidCause || abs(e.scope - o.saidScope) >= 0.2
            let told = o.told.subtracting(o.grouped)
            var out = changed && !told.isEmpty ? say(key, .updated, to: told, now: now) : []
            out += due(key, now: now)
            return out
        case .closed:
            guard let o = open[key] else { return [] }
            // Vigil stopped observing: not a recovery; the event is not resolved, nor its group.
            if e.observationStopped {
                open[key] = nil
                _ = leaveGroup(key, e, now: now, stopped: true)  // a group is not resolved by a stop
                return []
            }
            open[key]!.event = e
            let alone = o.told.subtracting(o.grouped)
            let out = alone.isEmpty ? [] : say(key, .resolved, to: alone, now: now)
            open[key] = nil
            return out + leaveGroup(key, e, now: now, stopped: false)
        }
    }

    /// Openings whose minimum duration has passed, and reminders: called every second or so.
    public func tick(now: Int64) -> [OutboxItem] {
        var out: [OutboxItem] = []
        for key in open.keys.sorted() {
            out += due(key, now: now)
            if let r = config.repeatInterval, let o = open[key], !o.told.subtracting(o.grouped).isEmpty, now - o.lastSaid >= r {
                out += say(key, .reminder, to: o.told.subtracting(o.grouped), now: now)
            }
        }
        return out + tickGroups(now: now)
    }

    /// Tells the channels whose minimum duration has passed that the event opened.
    func due(_ key: String, now: Int64) -> [OutboxItem] {
        guard var o = open[key] else { return [] }
        let ready = Set(o.waiting.filter { now - o.event.start >= $0.value }.keys)
        guard !ready.isEmpty else { return [] }
        for c in ready { o.waiting[c] = nil }
        open[key] = o
        // Alertmanager groups alerts itself: it always hears of each event.
        let groupable: Set<String> = config.groupWait > 0 ? ready.filter { c in config.channels.first { $0.name == c }?.kind != .alertmanager } : []
        if !groupable.isEmpty, let g = groupOf?(o.event) {
            join(key, o.event, g, channels: groupable, now: now)
            let alone = ready.subtracting(groupable)
            return alone.isEmpty ? [] : say(key, .opened, to: alone, now: now)
        }
        return say(key, .opened, to: ready, now: now)
    }

    func say(_ key: String, _ state: Notice.State, to channels: Set<String>, now: Int64) -> [OutboxItem] {
        guard var o = open[key] else { return [] }
        if state != .opened { o.revision += 1 }
        let n = Notice(o.event, state: state, revision: state == .opened ? 0 : o.revision, vantage: vantage, link: link)
        (o.lastSaid, o.saidLevel, o.saidCause, o.saidScope) = (now, o.event.level, o.event.cause.rawValue, o.event.scope)
        if state == .opened { o.told.formUnion(channels) }
        let silence = silences.first { $0.covers(o.event.entity, at: now) }
        if state == .opened, silence != nil { o.hushed.formUnion(channels) }
        open[key] = o
        return channels.sorted().map { c in
            // A silenced message is recorded, never sent: it is never due.
            let why = silence.map { "silenced until \($0.until): \($0.reason)" } ?? (o.hushed.contains(c) ? "silenced: its opening was" : nil)
            return OutboxItem(channel: c, notice: n.id, key: n.key, payload: n.json, created: now, nextTry: why == nil ? now : OutboxItem.never,
                              lastError: why ?? "")
        }
    }

    /// A test message for `channel` (`vigil alerts test`).
    public static func test(channel: String, vantage: String, link: String?, now: Int64) -> OutboxItem {
        let e = Event(entity: "AS64496", kind: .outage, cause: .bgpWithdrawal, start: now, end: nil, scope: 1, severity: 0, level: "warning",
                      precededByInstability: false, evidence: Event.Evidence(signal: "routed_space", prefixes: ["192.0.2.0/24"], note: "test"))
        var n = Notice(e, state: .test, revision: 0, vantage: vantage, link: link)
        n.id = "test|\(channel)|\(now)"
        n.title = "[TEST] Vigil test message"
        n.summary = "A test message from Vigil to the channel '\(channel)': if you read this, alerts reach you here."
        return OutboxItem(channel: channel, notice: n.id, key: n.id, payload: n.json, created: now)
    }
}
