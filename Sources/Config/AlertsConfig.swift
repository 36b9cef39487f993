import TOMLKit
import TOMLKeys
import BGPWire

/// Where alerts go and which go where (`[alerts]`, `[[channel]]`, `[[rule]]`; README "Alerts").
public struct AlertsConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case webhook, slack, pagerduty, alertmanager, email, syslog
        /// Receivers spoken to over HTTP(S).
        public var isHTTP: Bool { self != .email && self != .syslog }
    }
    /// One receiver. `url` is where messages are sent; the rest depends on the kind.
    public struct Channel: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        public var url: String
        /// Webhook: the HTTP method, extra headers and the body template (Mustache over the notice).
        public var method = "POST"
        public var headers: [String: String] = [:]
        public var template: String?
        /// PagerDuty: the integration's routing key.
        public var routingKey: String?
        /// Most messages a second to this receiver (a bucket of this many, refilled each second).
        public var rate = 1.0
        /// Seconds a receiver may take to answer.
        public var timeout: Int64 = 10
        /// Email: sender, recipients, login, the CA certificates to trust (PEM), and "starttls"
        /// (default for smtp://), "tls" (smtps://) or "none" (in the clear: a local relay only).
        public var from = ""
        public var to: [String] = []
        public var username: String?
        public var password: String?
        public var caFile: String?
        public var tls = "starttls"
        public init(name: String, kind: Kind, url: String) { (self.name, self.kind, self.url) = (name, kind, url) }
    }
    /// Which events go to which channels. Every list left out matches everything.
    public struct Rule: Sendable, Equatable {
        /// Entity names, or prefixes ending in `*` ("AS*", "KP").
        public var entities: [String] = []
        public var kinds: [String] = []
        public var causes: [String] = []
        /// "warning" (every alert) or "critical" (only critical ones).
        public var minLevel = "warning"
        /// An event is announced once it has lasted this long (its resolution only if it was announced).
        public var minDuration: Int64 = 0
        public var channels: [String] = []
        public init(channels: [String]) { self.channels = channels }
    }

    /// A maintenance window: alerts about these entities (names, or prefixes ending in `*`) between
    /// `from` and `until` are recorded, not sent.
    public struct Window: Sendable, Equatable {
        public var entities: [String]
        public var from: Int64
        public var until: Int64
        public var reason: String
    }

    public var channels: [Channel] = []
    public var rules: [Rule] = []
    public var windows: [Window] = []
    /// A vantage point's peer or source out for this long is announced (kind `feed`); shorter is not news.
    public var feedAfter: Int64 = 300
    /// Links to event pages start with this (nil: none, or the dashboard's own address when served).
    public var link: String?
    /// An ongoing event is announced again after this long (nil: never).
    public var repeatInterval: Int64? = 4 * 3600
    /// The longest wait between two tries of a failed delivery (backoff doubles up to it).
    public var maxBackoff: Int64 = 600
    /// Alertmanager forgets an alert it is not told about again: open alerts are re-sent this often.
    public var alertmanagerRefresh: Int64 = 60
    /// Events of ASes of one country (or behind one upstream) that open within this long of the
    /// first are told as one message (0: each alone, at once).
    public var groupWait: Int64 = 0

    public init() {}

    static let rootKeys = ["alerts", "channel", "rule", "silence"]
    static let keys: [String: Set<String>] = [
        "alerts": ["link", "repeat", "max_backoff", "alertmanager_refresh", "group_wait", "feed_after"],
        "silence": ["entities", "from", "until", "reason"],
        "channel": ["name", "type", "url", "method", "headers", "template", "routing_key", "rate", "timeout", "from", "to", "username",
                    "password", "ca_file", "tls"],
        "rule": ["entities", "kinds", "causes", "min_level", "min_duration", "channels"],
    ]

    /// Reads the alert sections of a configuration; `fail(key, what)` makes an error naming the file and line.
    static func parse(_ t: TOMLTable, fail: (String, String) -> CollectConfig.Problem,
                      duration: (TOMLTable, String, String, Int64) throws -> Int64?) throws -> AlertsConfig {
        var out = AlertsConfig()
        func check(_ tt: TOMLTable, _ section: String, _ path: String) throws {
            let allowed = keys[section] ?? []
            for k in tt.keys where !allowed.contains(k) {
                throw fail("\(path).\(k)", "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        func string(_ tt: TOMLTable, _ k: String, _ path: String) throws -> String? {
            guard let v = tt[k] else { return nil }
            guard let s = v.string else { throw fail("\(path).\(k)", "must be a string") }
            return s
        }
        func strings(_ tt: TOMLTable, _ k: String, _ path: String) throws -> [String] {
            guard let v = tt[k] else { return [] }
            if let s = v.string { return [s] }
            guard let a = v.array, let list = Optional(a.compactMap(\.string)), list.count == a.count else {
                throw fail("\(path).\(k)", "must be a string or a list of strings")
            }
            return list
        }
        func tables(_ key: String) throws -> [TOMLTable] {
            guard let v = t[key] else { return [] }
            guard let a = v.array else { throw fail(key, "must be an array of tables ([[\(key)]])") }
            return try a.enumerated().map { i, item in
                guard let tt = item.table else { throw fail("\(key).\(i + 1)", "must be a table") }
                try check(tt, key, "\(key).\(i + 1)")
                return tt
            }
        }
        if let v = t["alerts"] {
            guard let a = v.table else { throw fail("alerts", "must be a table ([alerts])") }
            try check(a, "alerts", "alerts")
            if let l = try string(a, "link", "alerts") {
                guard l.hasPrefix("http://") || l.hasPrefix("https://") else { throw fail("alerts.link", "must be an http:// or https:// address") }
                out.link = l
            }
            if let r = a["repeat"], r.string == "never" || r.string == "" { out.repeatInterval = nil } else if let r = try duration(a, "repeat", "alerts", 60) {
                out.repeatInterval = r
            }
            if let b = try duration(a, "max_backoff", "alerts", 1) { out.maxBackoff = b }
            if let r = try duration(a, "alertmanager_refresh", "alerts", 5) { out.alertmanagerRefresh = r }
            if let f = try duration(a, "feed_after", "alerts", 0) { out.feedAfter = f }
            if let g = try duration(a, "group_wait", "alerts", 0) {
                guard g <= 3600 else { throw fail("alerts.group_wait", "must be at most an hour") }
                out.groupWait = g
            }
        }
        for (i, c) in try tables("channel").enumerated() {
            let path = "channel.\(i + 1)"
            guard let name = try string(c, "name", path), !name.isEmpty else { throw fail(path, "a channel needs a name") }
            guard !out.channels.contains(where: { $0.name == name }) else { throw fail("\(path).name", "'\(name)' is already a channel's name") }
            guard let type = try string(c, "type", path) else { throw fail(path, "a channel needs a type (\(Kind.allCases.map(\.rawValue).joined(separator: ", ")))") }
            guard let kind = Kind(rawValue: type) else {
                throw fail("\(path).type", "'\(type)' is not one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let defaultURL = kind == .pagerduty ? "https://events.pagerduty.com/v2/enqueue" : nil
            guard let url = try string(c, "url", path) ?? defaultURL else { throw fail(path, "a \(type) channel needs a url") }
            switch kind {
            case .email:
                guard url.hasPrefix("smtp://") || url.hasPrefix("smtps://") else { throw fail("\(path).url", "'\(url)' is not an smtp:// or smtps:// address") }
            case .syslog:
                guard url.hasPrefix("udp://") || url.hasPrefix("tcp://") || url.hasPrefix("unix:///") else {
                    throw fail("\(path).url", "'\(url)' is not udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH")
                }
            default:
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw fail("\(path).url", "'\(url)' is not an http:// or https:// address") }
            }
            var ch = Channel(name: name, kind: kind, url: url)
            if kind == .email {
                guard let from = try string(c, "from", path), from.contains("@") else { throw fail(path, "an email channel needs from = \"ADDRESS\"") }
                ch.from = from
                ch.to = try strings(c, "to", path)
                guard !ch.to.isEmpty, ch.to.allSatisfy({ $0.contains("@") }) else { throw fail(path, "an email channel needs to = [\"ADDRESS\", …]") }
                ch.username = try string(c, "username", path)
                ch.password = try string(c, "password", path)
                if (ch.username == nil) != (ch.password == nil) { throw fail(path, "give username and password together") }
                ch.caFile = try string(c, "ca_file", path)
                ch.tls = url.hasPrefix("smtps://") ? "tls" : "starttls"
                if let t = try string(c, "tls", path) {
                    guard ["starttls", "tls", "none"].contains(t) else { throw fail("\(path).tls", "must be starttls, tls or none") }
                    ch.tls = t
                }
            } else {
                for k in ["from", "to", "username", "password", "ca_file", "tls"] where c[k] != nil {
                    throw fail("\(path).\(k)", "only an email channel takes \(k)")
                }
            }
            if let m = try string(c, "method", path) {
                guard ["POST", "PUT", "PATCH", "GET"].contains(m) else { throw fail("\(path).method", "must be POST, PUT, PATCH or GET") }
                ch.method = m
            }
            if let h = c["headers"] {
                guard let ht = h.table else { throw fail("\(path).headers", "must be a table of header names and values") }
                for k in ht.keys {
                    guard let v = ht[k]?.string else { throw fail("\(path).headers.\(k)", "must be a string") }
                    ch.headers[k] = v
                }
            }
            ch.template = try string(c, "template", path)
            if ch.template != nil && kind != .webhook { throw fail("\(path).template", "only a webhook channel takes a template") }
            ch.routingKey = try string(c, "routing_key", path)
            if kind == .pagerduty && (ch.routingKey ?? "").isEmpty { throw fail(path, "a pagerduty channel needs its routing_key") }
            if let r = c["rate"] {
                guard let x = r.double ?? r.int.map(Double.init), x > 0, x <= 1000 else { throw fail("\(path).rate", "must be a number of messages a second above 0, at most 1000") }
                ch.rate = x
            }
            if let tmo = try duration(c, "timeout", path, 1) { ch.timeout = tmo }
            out.channels.append(ch)
        }
        for (i, r) in try tables("rule").enumerated() {
            let path = "rule.\(i + 1)"
            var rule = Rule(channels: try strings(r, "channels", path))
            guard !rule.channels.isEmpty else { throw fail(path, "a rule needs channels") }
            for c in rule.channels where !out.channels.contains(where: { $0.name == c }) {
                throw fail("\(path).channels", "'\(c)' is not a [[channel]]'s name")
            }
            rule.entities = try strings(r, "entities", path)
            rule.kinds = try strings(r, "kinds", path)
            for k in rule.kinds where !["outage", "instability", "degradation", "feed"].contains(k) {
                throw fail("\(path).kinds", "'\(k)' is not one of outage, instability, degradation, feed")
            }
            rule.causes = try strings(r, "causes", path)
            let causes = ["bgp-withdrawal", "unreachable-while-routed", "route-instability", "latency-degradation", "feed-loss"]
            for c in rule.causes where !causes.contains(c) { throw fail("\(path).causes", "'\(c)' is not one of \(causes.joined(separator: ", "))") }
            if let l = try string(r, "min_level", path) {
                guard ["warning", "critical"].contains(l) else { throw fail("\(path).min_level", "must be warning or critical") }
                rule.minLevel = l
            }
            if let d = try duration(r, "min_duration", path, 0) { rule.minDuration = d }
            out.rules.append(rule)
        }
        for (i, w) in try tables("silence").enumerated() {
            let path = "silence.\(i + 1)"
            let entities = try strings(w, "entities", path)
            guard !entities.isEmpty else { throw fail(path, "a silence names entities (\"AS131279\", \"AS645*\")") }
            func time(_ k: String) throws -> Int64 {
                guard let t = try string(w, k, path) else { throw fail(path, "a silence needs \(k) (a UTC time like \"2026-12-24T02:00:00Z\")") }
                guard let v = UTCTime.parse(t) else { throw fail("\(path).\(k)", "'\(t)' is not a time (like \"2026-12-24T02:00:00Z\")") }
                return v
            }
            let from = try time("from"), until = try time("until")
            guard until > from else { throw fail("\(path).until", "must be after from") }
            out.windows.append(Window(entities: entities, from: from, until: until, reason: try string(w, "reason", path) ?? "maintenance window"))
        }
        // Channels and no rule: every alert to every channel.
        if out.rules.isEmpty && !out.channels.isEmpty { out.rules = [Rule(channels: out.channels.map(\.name))] }
        return out
    }
}
