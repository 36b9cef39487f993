import Foundation
public import Signals
import BGPWire

/// One alert message, before any channel formats it: schema `vigil.alert/1` (README "Alerts"),
/// the JSON a webhook without a template receives and what every template reads.
/// Fields are added to the schema, never changed or removed, within a version.
public struct Notice: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// An event began; updated: its level, cause or scope changed; reminder: still going after
        /// the repeat interval; resolved: it ended; test: `vigil alerts test`.
        case opened, updated, reminder, resolved, test
    }
    public struct Evidence: Codable, Sendable, Equatable {
        public var signal: String
        public var baseline: Double
        public var worst: Double
        /// Prefixes lost (the first 20) and how many in all.
        public var prefixes: [String]
        public var prefixCount: Int
        /// Peers that lost the routes, in order (the first 20), and how many in all.
        public var peers: [String]
        public var peerCount: Int
        public var commonUpstream: UInt32?
        public var instabilitySince: String?
        public var flaps: Int

        enum CodingKeys: String, CodingKey {
            case signal, baseline, worst, prefixes, peers, flaps
            case prefixCount = "prefix_count", peerCount = "peer_count", commonUpstream = "common_upstream", instabilitySince = "instability_since"
        }
    }

    public var schema = "vigil.alert/1"
    /// Unique per message: the receiver's idempotency key (a retried message carries the same).
    public var id: String
    /// The event's key: the same for its opening, updates, reminders and resolution.
    public var key: String
    public var state: State
    public var entity: String
    public var kind: String
    public var cause: String
    public var level: String
    /// ISO 8601 UTC; `end` only once resolved.
    public var start: String
    public var end: String?
    public var durationSeconds: Int64?
    /// Share of the entity's normal routed space (or probed blocks) affected at the worst point.
    public var scope: Double
    public var vantage: String
    /// One line for a title, and the sentence a person reads at 3 a.m.
    public var title: String
    public var summary: String
    /// The event's page on the dashboard (nil when there is no web address to link to).
    public var url: String?
    public var evidence: Evidence
    /// A group's networks (several failing together, told as one; `entity` then names the group).
    public var members: [String]?

    enum CodingKeys: String, CodingKey {
        case schema, id, key, state, entity, kind, cause, level, start, end, scope, vantage, title, summary, url, evidence, members
        case durationSeconds = "duration_seconds"
    }

    /// The event's stable key: its id, under its vantage point's name when there are several.
    public static func key(_ e: Event, vantage: String) -> String { vantage.isEmpty ? e.id : "\(vantage)/\(e.id)" }

    public init(_ e: Event, state: State, revision: Int, vantage: String, link: String?) {
        key = Self.key(e, vantage: vantage)
        id = "\(key)|\(state.rawValue)|\(revision)"
        self.state = state
        (entity, kind, cause, level, scope, self.vantage) = (e.entity, e.kind.rawValue, e.cause.rawValue, e.level, e.scope, vantage)
        start = UTCTime.format(e.start)
        if state == .resolved, let t = e.end {
            end = UTCTime.format(t)
            durationSeconds = t - e.start
        }
        let ev = e.evidence
        evidence = Evidence(signal: ev.signal, baseline: ev.baseline, worst: ev.worst, prefixes: Array(ev.prefixes.prefix(20)),
                            prefixCount: ev.prefixes.count, peers: Array(ev.peersInOrder.prefix(20)), peerCount: ev.peersInOrder.count,
                            commonUpstream: ev.commonUpstream, instabilitySince: ev.instabilitySince.map(UTCTime.format), flaps: ev.flaps)
        url = link.map { base in
            (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/event.html?id=" + (e.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
        title = AlertText.title(e, state: state)
        summary = AlertText.sentence(e, state: state)
    }

    public var json: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public static func decode(_ json: String) throws -> Notice { try JSONDecoder().decode(Notice.self, from: Data(json.utf8)) }
}
