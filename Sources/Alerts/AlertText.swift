import Foundation
import Signals
import BGPWire

/// The words of an alert: a title and one sentence with the cause and its evidence, written for
/// someone woken by it ("AS131279: all 4 prefixes withdrawn by 8 peers since 16:15 UTC, after
/// 44h of route instability; last path via AS4837.").
enum AlertText {
    static func title(_ e: Event, state: Notice.State) -> String {
        let what = switch e.kind {
        case .outage: "outage"
        case .instability: "route instability"
        case .degradation: "degradation"
        case .feed: "feed lost"
        case .blip: "blip"
        }
        return "[\(tag(state, level: e.level))] \(e.entity): \(what)"
    }

    /// The title's tag: the level, or what became of it.
    static func tag(_ state: Notice.State, level: String) -> String {
        switch state {
        case .opened: level.uppercased()
        case .updated: "UPDATED \(level.uppercased())"
        case .reminder: "STILL \(level.uppercased())"
        case .resolved: "RESOLVED"
        case .test: "TEST"
        }
    }

    static func sentence(_ e: Event, state: Notice.State) -> String {
        let ev = e.evidence
        let since = "since \(clock(e.start))"
        if state == .resolved {
            let d = EventFormat.duration(seconds: (e.end ?? e.start) - e.start)
            return "\(e.entity): \(noun(e)) resolved at \(clock(e.end ?? e.start)) after \(d) (it began \(clock(e.start)), \(e.cause.rawValue))."
        }
        var s: String
        switch e.cause {
        case .bgpWithdrawal:
            let n = ev.prefixes.count
            let what = e.scope >= 0.999 ? (n > 1 ? "all \(n) prefixes" : n == 1 ? "its only prefix" : "all its routes")
                : "\(n > 0 ? "\(n) prefix\(n == 1 ? "" : "es"), " : "")\(percent(e.scope)) of its routed space,"
            let by = ev.peersInOrder.isEmpty ? "" : " by \(ev.peersInOrder.count) peer\(ev.peersInOrder.count == 1 ? "" : "s")"
            s = "\(e.entity): \(what) withdrawn\(by) \(since)"
            if let t = ev.instabilitySince, t < e.start {
                s += ", after \(EventFormat.duration(seconds: e.start - t)) of route instability"
            } else if e.precededByInstability {
                s += ", after route instability"
            }
            if let up = ev.commonUpstream { s += "; last path via AS\(up)" }
        case .unreachableWhileRouted:
            s = "\(e.entity): \(percent(e.scope)) of its probed blocks stopped answering \(since) while its routes stayed announced"
        case .routeInstability:
            s = "\(e.entity): route instability \(since): \(ev.flaps) prefix flaps, churn up to \(Int(ev.churnPeak)) updates a bin against a normal \(Int(ev.churnBaseline))"
        case .latencyDegradation:
            s = "\(e.entity): \(ev.signal) degraded \(since): \(number(ev.worst)) against a baseline of \(number(ev.baseline))"
        case .feedLoss:
            s = "\(e.entity): Vigil's feed lost \(since)\(ev.note.isEmpty ? "" : " (\(ev.note))"); what it saw is unknown, not down, until it returns"
        case .unknown:
            s = "\(e.entity): \(noun(e)) \(since)"
        }
        switch state {
        case .updated: s += " (now \(e.level), \(percent(e.scope)) affected)"
        case .reminder: s += " (still going after \(EventFormat.duration(seconds: max(0, Int64(Date().timeIntervalSince1970) - e.start))))"
        default: break
        }
        return s + "."
    }

    static func noun(_ e: Event) -> String {
        switch e.kind {
        case .outage: "outage"
        case .instability: "route instability"
        case .degradation: "degradation"
        case .feed: "feed loss"
        case .blip: "blip"
        }
    }

    /// "16:15 UTC" today, else "2014-12-22 16:15 UTC".
    static func clock(_ t: Int64) -> String {
        let iso = UTCTime.format(t)  // 2014-12-22T16:15:00Z
        let day = String(iso.prefix(10)), hm = String(iso.dropFirst(11).prefix(5))
        let today = String(UTCTime.format(Int64(Date().timeIntervalSince1970)).prefix(10))
        return day == today ? "\(hm) UTC" : "\(day) \(hm) UTC"
    }

    static func percent(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }
    static func number(_ x: Double) -> String { x == x.rounded() ? "\(Int(x))" : String(format: "%.2f", x) }
}
