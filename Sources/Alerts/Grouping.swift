import Signals
import BGPWire
import Store

/// Many networks that fail together, told as one: when the ASes of one country (or behind one
/// upstream) lose their routes within `[alerts] group_wait` of each other, their channels get one
/// message naming them all instead of one per AS. A group is announced when its wait is over
/// (one member alone is announced as itself); networks that join later are an update; it is
/// resolved, with its duration, when the last of them recovers. Alertmanager is never sent
/// groups: it groups alerts itself.
extension Dispatcher {
    struct Group {
        var name: String
        var label: String
        var kind: Event.Kind
        /// The member that joined or left last.
        var last: Event
        /// Open members by event key, and every network that was ever one, in order of joining.
        var members: [String: Event] = [:]
        var everyone: [String] = []
        var channels: Set<String> = []
        var deadline: Int64
        var start: Int64
        var end: Int64 = 0
        var announced = false
        var dirty = false
        var revision = 0
        var lastSaid: Int64 = 0
    }

    func join(_ key: String, _ e: Event, _ g: (name: String, label: String), channels: Set<String>, now: Int64) {
        let gk = "\(g.name)|\(e.kind.rawValue)"
        var grp = groups[gk] ?? Group(name: g.name, label: g.label, kind: e.kind, last: e, deadline: now + config.groupWait, start: e.start)
        grp.members[key] = e
        grp.last = e
        if !grp.everyone.contains(e.entity) { grp.everyone.append(e.entity) }
        grp.channels.formUnion(channels)
        grp.start = min(grp.start, e.start)
        if grp.announced && !grp.dirty {
            // Latecomers are told together, a wait after the first of them.
            grp.dirty = true
            grp.deadline = now + config.groupWait
        }
        groups[gk] = grp
        memberOf[key] = gk
        open[key]?.told.formUnion(channels)
        open[key]?.grouped.formUnion(channels)
    }

    /// A member ended (recovered, or Vigil stopped observing it).
    func leaveGroup(_ key: String, _ e: Event, now: Int64, stopped: Bool) -> [OutboxItem] {
        guard let gk = memberOf.removeValue(forKey: key), var grp = groups[gk] else { return [] }
        grp.members[key] = nil
        grp.last = e
        if !stopped { grp.end = max(grp.end, e.end ?? now) }
        groups[gk] = grp
        guard grp.members.isEmpty else { return [] }
        groups[gk] = nil
        // Over before it was announced (within the wait), or no longer observed: nothing to resolve.
        guard grp.announced, !stopped, grp.end > 0 else { return [] }
        return sayGroup(grp, .resolved, now: now)
    }

    func tickGroups(now: Int64) -> [OutboxItem] {
        var out: [OutboxItem] = []
        for gk in groups.keys.sorted() {
            guard var grp = groups[gk] else { continue }
            if !grp.announced && now >= grp.deadline {
                if grp.everyone.count == 1, let (key, _) = grp.members.first {
                    // Alone after all: told as itself.
                    groups[gk] = nil
                    memberOf[key] = nil
                    open[key]?.grouped.subtract(grp.channels)
                    open[key]?.told.subtract(grp.channels)
                    out += say(key, .opened, to: grp.channels, now: now)
                    continue
                }
                grp.announced = true
                groups[gk] = grp
                out += sayGroup(grp, .opened, now: now)
            } else if grp.announced && grp.dirty && now >= grp.deadline {
                grp.dirty = false
                groups[gk] = grp
                out += sayGroup(grp, .updated, now: now)
            } else if grp.announced, let r = config.repeatInterval, now - grp.lastSaid >= r {
                out += sayGroup(grp, .reminder, now: now)
            }
        }
        return out
    }

    func sayGroup(_ g: Group, _ state: Notice.State, now: Int64) -> [OutboxItem] {
        var grp = g
        if state != .opened { grp.revision += 1 }
        grp.lastSaid = now
        if groups["\(g.name)|\(g.kind.rawValue)"] != nil { groups["\(g.name)|\(g.kind.rawValue)"] = grp }
        let events = g.members.values.sorted { ($0.start, $0.entity) < ($1.start, $1.entity) }
        let critical = events.contains { $0.level == "critical" } || g.last.level == "critical"
        // The earliest open member speaks for the group (its cause, its evidence); once all have left, the last one.
        var first = events.first ?? g.last
        first.entity = g.name
        first.start = g.start
        first.end = state == .resolved ? g.end : nil
        if critical { first.level = "critical" }
        var n = Notice(first, state: state, revision: grp.revision, vantage: vantage, link: nil)
        n.key = (vantage.isEmpty ? "" : "\(vantage)/") + "group/\(g.name)|\(g.kind.rawValue)|\(g.start)"
        n.id = "\(n.key)|\(state.rawValue)|\(grp.revision)"
        n.members = g.everyone
        n.url = link.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        n.title = AlertText.groupTitle(g.everyone.count, g.label, kind: g.kind, level: first.level, state: state)
        n.summary = AlertText.groupSentence(g.everyone, g.label, open: g.members.count, kind: g.kind, cause: first.cause, start: g.start,
                                            end: g.end, upstream: (events + [g.last]).compactMap(\.evidence.commonUpstream).first, state: state)
        let silence = silences.first { s in g.everyone.allSatisfy { s.covers($0, at: now) } || s.covers(g.name, at: now) }
        return grp.channels.sorted().map { c in
            OutboxItem(channel: c, notice: n.id, key: n.key, payload: n.json, created: now, nextTry: silence == nil ? now : OutboxItem.never,
                       lastError: silence.map { "silenced until \($0.until): \($0.reason)" } ?? "")
        }
    }
}

extension AlertText {
    static func groupTitle(_ count: Int, _ label: String, kind: Event.Kind, level: String, state: Notice.State) -> String {
        "[\(tag(state, level: level))] \(count) networks \(label): \(kind.rawValue)"
    }

    static func groupSentence(_ names: [String], _ label: String, open: Int, kind: Event.Kind, cause: Event.Cause, start: Int64, end: Int64,
                              upstream: UInt32?, state: Notice.State) -> String {
        let shown = names.prefix(12).joined(separator: ", ") + (names.count > 12 ? " and \(names.count - 12) more" : "")
        if state == .resolved {
            return "\(names.count) networks \(label) (\(shown)): \(kind.rawValue) resolved at \(clock(end)) after "
                + "\(EventFormat.duration(seconds: end - start)) (it began \(clock(start)), \(cause.rawValue))."
        }
        let what = cause == .bgpWithdrawal ? "lost their routes" : "\(kind.rawValue) (\(cause.rawValue))"
        var s = "\(names.count) networks \(label) \(what) since \(clock(start)): \(shown)"
        if let up = upstream { s += "; last path via AS\(up)" }
        if open < names.count { s += "; \(names.count - open) of them recovered since" }
        return s + "."
    }
}
