import BGPWire

/// Events as people read them: a table, or JSON lines (schema in README.md).
public enum EventFormat {
    /// A string's content as JSON writes it (quotes, backslashes and control characters escaped).
    public static func esc(_ s: String) -> String {
        var o = ""
        for c in s.unicodeScalars {
            switch c {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\r": o += "\\r"
            case "\t": o += "\\t"
            case _ where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                o += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: o.unicodeScalars.append(c)
            }
        }
        return o
    }

    static func num(_ v: Double) -> String { NumberText.decimal(v) }

    public static func json(_ e: Event) -> String {
        let ev = e.evidence
        var evidence = "\"signal\":\"\(esc(ev.signal))\",\"baseline\":\(num(ev.baseline)),\"before\":\(num(ev.before)),\"worst\":\(num(ev.worst))"
        evidence += ",\"visibility_before\":\(num(ev.visibilityBefore)),\"visibility_worst\":\(num(ev.visibilityWorst))"
        evidence += ",\"peers_in_order\":[\(ev.peersInOrder.map { "\"\(esc($0))\"" }.joined(separator: ","))]"
        evidence += ",\"prefixes\":[\(ev.prefixes.map { "\"\(esc($0))\"" }.joined(separator: ","))]"
        evidence += ",\"common_upstream\":\(ev.commonUpstream.map { "\"AS\($0)\"" } ?? "null")"
        evidence += ",\"churn_baseline\":\(num(ev.churnBaseline)),\"churn_peak\":\(num(ev.churnPeak)),\"note\":\"\(esc(ev.note))\""
        evidence += ",\"flaps\":\(ev.flaps),\"total_losses\":\(ev.totalLosses),\"longest_loss_s\":\(ev.longestLoss)"
        evidence += ",\"instability_since\":\(ev.instabilitySince.map { "\"\(UTCTime.format($0))\"" } ?? "null")"
        return "{\"version\":\(jsonVersion),\"entity\":\"\(esc(e.entity))\",\"kind\":\"\(e.kind.rawValue)\",\"cause\":\"\(e.cause.rawValue)\",\"start\":\"\(UTCTime.format(e.start))\","
            + "\"end\":\(e.end.map { "\"\(UTCTime.format($0))\"" } ?? "null"),\"observation_stopped\":\(e.observationStopped),\"scope\":\(num(e.scope)),\"severity\":\(num(e.severity)),"
            + "\"level\":\"\(e.level)\",\"preceded_by_instability\":\(e.precededByInstability),\(seen(e))\"evidence\":{\(evidence)}}"
    }

    /// With several vantage points: the one that saw the event, or those that agree on it.
    static func seen(_ e: Event) -> String {
        (e.vantage.isEmpty ? "" : "\"vantage\":\"\(esc(e.vantage))\",")
            + (e.seenBy.isEmpty ? "" : "\"seen_by\":[\(e.seenBy.map { "\"\(esc($0))\"" }.joined(separator: ","))],")
    }

    /// The version of the event JSON form (README, "Event JSON"): bumped when a key changes
    /// meaning or goes; new keys may be added within a version.
    public static let jsonVersion = 1

    /// One change of an event as a JSON line (events file, the bus's JSON form, API): `change`
    /// (opened, updated, closed, observation-stopped), then the event's keys (`version` first),
    /// and for live openings `detected_after_s`.
    public static func jsonLine(_ change: Detector.Change, latency: Double? = nil) -> String {
        let e = change.event
        let what = switch change {
        case .opened: "opened"
        case .updated: "updated"
        case .closed: e.observationStopped ? "observation-stopped" : "closed"
        }
        var line = "{\"change\":\"\(what)\"," + json(e).dropFirst()
        if case .opened = change, let l = latency { line = String(line.dropLast()) + ",\"detected_after_s\":\(num3(l))}" }
        return line
    }

    static func num3(_ v: Double) -> String {
        let ms = Int((v * 1000).rounded())
        let frac = String(abs(ms) % 1000)
        return "\(ms < 0 ? "-" : "")\(abs(ms) / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }

    /// How long the event lasted; one Vigil stopped observing lasted at least that long.
    public static func duration(_ e: Event) -> String {
        guard let end = e.end else { return "ongoing" }
        let d = duration(seconds: end - e.start)
        return e.observationStopped ? "\(d)+ (observation stopped)" : d
    }

    /// `14s`, `5m`, `2h05m`: seconds under a minute, minutes under an hour.
    public static func duration(seconds: Int64) -> String {
        let s = max(0, seconds)
        if s < 60 { return "\(s)s" }
        let m = s / 60
        return m >= 60 ? "\(m / 60)h\(m % 60 < 10 ? "0" : "")\(m % 60)m" : "\(m)m"
    }

    public static func table(_ events: [Event]) -> String {
        // A "seen from" column only when several vantage points wrote the events.
        let vantages = events.contains { !$0.vantage.isEmpty || !$0.seenBy.isEmpty }
        let header = ["entity", "kind", "cause", "start", "end", "duration", "scope", "severity", "after instability"]
            + (vantages ? ["seen from"] : []) + ["evidence"]
        let rows = events.map { e -> [String] in
            var ev = e.evidence.note
            if e.kind == .outage {
                ev = "space \(num(e.evidence.before)) -> \(num(e.evidence.worst)) (baseline \(num(e.evidence.baseline))), visibility \(num(e.evidence.visibilityBefore)) -> \(num(e.evidence.visibilityWorst))"
                if !e.evidence.peersInOrder.isEmpty { ev += ", \(e.evidence.peersInOrder.count) peers withdrew" }
                if let u = e.evidence.commonUpstream { ev += ", all lost paths via AS\(u)" }
            } else if e.kind == .instability {
                ev = "\(e.evidence.flaps) prefix flaps (peak \(num(e.evidence.churnPeak))/bin)"
                if e.evidence.totalLosses > 0 {
                    ev += ", \(e.evidence.totalLosses) total losses shorter than an outage (longest \(e.evidence.longestLoss / 60) min)"
                }
            }
            return [e.entity, e.kind.rawValue, e.cause.rawValue, UTCTime.format(e.start), e.end.map(UTCTime.format) ?? "-", duration(e),
                    num(e.scope), num(e.severity), e.kind == .outage ? (e.precededByInstability ? "yes" : "no") : "-"]
                + (vantages ? [e.seenBy.isEmpty ? e.vantage : e.seenBy.joined(separator: "+")] : []) + [ev]
        }
        let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
        func line(_ c: [String]) -> String {
            c.enumerated().map { i, v in i == c.count - 1 ? v : v + String(repeating: " ", count: widths[i] - v.count) }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
