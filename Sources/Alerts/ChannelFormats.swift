import Foundation
public import Config
import Mustache
import Signals

/// An HTTP request to a receiver, built from a notice; what the deliverer sends.
public struct AlertRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: String
    public static func == (a: AlertRequest, b: AlertRequest) -> Bool {
        a.method == b.method && a.url == b.url && a.body == b.body && a.headers.map { "\($0.0): \($0.1)" } == b.headers.map { "\($0.0): \($0.1)" }
    }
}

struct ChannelError: Error, CustomStringConvertible { let description: String }

/// Each receiver's documented format (README "Alerts" links them): a generic webhook (the notice,
/// or a Mustache template over it), Slack's incoming webhooks, PagerDuty Events API v2 and
/// Prometheus Alertmanager's `/api/v2/alerts`.
public enum ChannelFormats {
    public static func request(_ n: Notice, channel c: AlertsConfig.Channel) throws -> AlertRequest {
        var headers: [(String, String)] = [("Content-Type", "application/json"), ("Idempotency-Key", n.id), ("User-Agent", "vigil")]
        let body: String
        var url = c.url
        switch c.kind {
        case .webhook:
            body = try c.template.map { try render($0, n) } ?? n.json
            // A URL may name fields too (a Matrix transaction id), each percent-encoded.
            if url.contains("{{") { url = try render("{{% CONTENT_TYPE: URL}}" + url, n) }
        case .slack:
            body = slack(n)
        case .pagerduty:
            body = pagerDuty(n, routingKey: c.routingKey ?? "")
        case .email, .syslog:
            throw ChannelError(description: "\(c.kind.rawValue) is not sent over HTTP")
        case .alertmanager:
            // The base address of Alertmanager is enough; its API path is added.
            if !url.contains("/api/") { url = (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/api/v2/alerts" }
            body = alertmanager([n], now: Int64(Date().timeIntervalSince1970))
        }
        for (k, v) in c.headers.sorted(by: { $0.key < $1.key }) {
            headers.removeAll { $0.0.lowercased() == k.lowercased() }
            headers.append((k, v))
        }
        return AlertRequest(method: c.kind == .webhook ? c.method : "POST", url: url, headers: headers, body: body)
    }

    // MARK: templates

    /// A JSON string's content: what `{{name}}` gives in a template (the default content type here is JSON).
    struct JSONContent: MustacheContentType {
        func escapeText(_ text: String) -> String { String(EventFormat.esc(text)) }
    }

    /// A URL's part: everything but unreserved characters percent-encoded.
    struct URLContent: MustacheContentType {
        func escapeText(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? ""
        }
    }

    /// Renders a webhook template. Values are escaped for a JSON string unless the template starts
    /// with `{{% CONTENT_TYPE: TEXT}}`; `{{{name}}}` is never escaped.
    public static func render(_ template: String, _ n: Notice) throws -> String {
        MustacheContentTypes.register(JSONContent(), named: "JSON")
        MustacheContentTypes.register(URLContent(), named: "URL")
        let text = template.hasPrefix("{{%") ? template : "{{% CONTENT_TYPE: JSON}}" + template
        return try MustacheTemplate(string: text).render(values(n))
    }

    /// What a template can name: every field of the notice (flat), `evidence.*` and a few conveniences.
    static func values(_ n: Notice) -> [String: Any] {
        var v: [String: Any] = [
            "schema": n.schema, "id": n.id, "key": n.key, "state": n.state.rawValue, "entity": n.entity, "kind": n.kind, "cause": n.cause,
            "level": n.level, "start": n.start, "scope": n.scope, "scope_percent": Int((n.scope * 100).rounded()), "vantage": n.vantage,
            "title": n.title, "summary": n.summary, "resolved": n.state == .resolved, "firing": n.state != .resolved,
            "critical": n.level == "critical", "json": n.json,
        ]
        if let e = n.end { v["end"] = e }
        if let d = n.durationSeconds { v["duration_seconds"] = d; v["duration"] = EventFormat.duration(seconds: d) }
        if let u = n.url { v["url"] = u }
        var ev: [String: Any] = ["signal": n.evidence.signal, "baseline": n.evidence.baseline, "worst": n.evidence.worst,
                                 "prefixes": n.evidence.prefixes, "prefix_count": n.evidence.prefixCount, "peers": n.evidence.peers,
                                 "peer_count": n.evidence.peerCount, "flaps": n.evidence.flaps]
        if let u = n.evidence.commonUpstream { ev["common_upstream"] = "AS\(u)" }
        if let t = n.evidence.instabilitySince { ev["instability_since"] = t }
        v["evidence"] = ev
        return v
    }

    // MARK: receivers

    static func json(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Slack incoming webhook: `text` (the notification's words) and one attachment coloured by state.
    static func slack(_ n: Notice) -> String {
        let link = n.url.map { " <\($0)|details>" } ?? ""
        var fields: [[String: Any]] = [["title": "Cause", "value": n.cause, "short": true], ["title": "Level", "value": n.level, "short": true]]
        if !n.vantage.isEmpty { fields.append(["title": "Vantage point", "value": n.vantage, "short": true]) }
        let colour = n.state == .resolved ? "good" : n.level == "critical" ? "danger" : "warning"
        return json(["text": "\(n.title)\(link)",
                     "attachments": [["color": colour, "title": n.title, "text": n.summary, "fields": fields, "footer": "vigil · \(n.key)"]]])
    }

    /// PagerDuty Events API v2: trigger with the event's key as dedup_key, resolve with the same.
    static func pagerDuty(_ n: Notice, routingKey: String) -> String {
        if n.state == .resolved {
            return json(["routing_key": routingKey, "event_action": "resolve", "dedup_key": n.key])
        }
        var payload: [String: Any] = [
            "summary": String(n.summary.prefix(1024)), "source": n.vantage.isEmpty ? "vigil" : "vigil/\(n.vantage)",
            "severity": n.level == "critical" ? "critical" : n.state == .test ? "info" : "warning", "timestamp": n.start,
            "component": n.entity, "group": n.kind, "class": n.cause,
            "custom_details": ["state": n.state.rawValue, "scope": n.scope, "prefixes": n.evidence.prefixes, "peers": n.evidence.peerCount,
                               "notice": n.id] as [String: Any],
        ]
        if n.state == .test { payload["summary"] = "Vigil test message" }
        var o: [String: Any] = ["routing_key": routingKey, "event_action": "trigger", "dedup_key": n.key, "payload": payload, "client": "Vigil"]
        if let u = n.url { o["links"] = [["href": u, "text": "Event in Vigil"]]; o["client_url"] = u }
        return json(o)
    }

    /// Alertmanager API v2 (`postableAlerts`): labels identify the alert (its key is one), `endsAt`
    /// resolves it; an alert not resolved carries no `endsAt` and is re-sent (`alertmanager_refresh`).
    public static func alertmanager(_ list: [Notice], now: Int64) -> String {
        json(list.map { n -> [String: Any] in
            var labels = ["alertname": "Vigil" + n.kind.prefix(1).uppercased() + n.kind.dropFirst(), "entity": n.entity, "kind": n.kind,
                          "cause": n.cause, "severity": n.level, "vigil_key": n.key]
            if !n.vantage.isEmpty { labels["vantage"] = n.vantage }
            var a: [String: Any] = ["labels": labels, "annotations": ["summary": n.summary, "title": n.title], "startsAt": n.start]
            if n.state == .resolved { a["endsAt"] = n.end ?? n.start }
            if let u = n.url { a["generatorURL"] = u }
            return a
        })
    }
}
