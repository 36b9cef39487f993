import Foundation
import XCTest
import Config
import Signals
@testable import Alerts

/// What each receiver gets, checked against its documented shape: the notice (schema
/// vigil.alert/1), a webhook template's JSON, Slack's incoming webhook, PagerDuty Events API v2
/// and Alertmanager's postable alerts; and the sentence a person reads.
final class NoticeFormatTests: XCTestCase {
    /// North Korea's withdrawal as the detector would report it.
    static func kp(end: Int64? = nil) -> Event {
        let start: Int64 = 1_419_264_900  // 2014-12-22 16:15 UTC
        return Event(entity: "AS131279", kind: .outage, cause: .bgpWithdrawal, start: start, end: end, scope: 1, severity: 2, level: "critical",
                     precededByInstability: true,
                     evidence: Event.Evidence(signal: "routed_space", baseline: 1024, before: 1024, worst: 0,
                                              peersInOrder: (1...8).map { "peer\($0)" },
                                              prefixes: ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"],
                                              commonUpstream: 4837, instabilitySince: start - 44 * 3600))
    }

    func object(_ s: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any], s)
    }

    func testTheSentenceCarriesTheCauseAndEvidence() throws {
        let n = Notice(Self.kp(), state: .opened, revision: 0, vantage: "", link: "http://vigil.example/")
        XCTAssertEqual(n.summary, "AS131279: all 4 prefixes withdrawn by 8 peers since 2014-12-22 16:15 UTC, after 44h00m of route instability; last path via AS4837.")
        XCTAssertEqual(n.title, "[CRITICAL] AS131279: outage")
        XCTAssertEqual(n.url, "http://vigil.example/event.html?id=AS131279%7Coutage%7C1419264900")
        XCTAssertEqual(n.key, "AS131279|outage|1419264900")
        XCTAssertEqual(n.id, "AS131279|outage|1419264900|opened|0")
        let r = Notice(Self.kp(end: 1_419_264_900 + 5400), state: .resolved, revision: 2, vantage: "ams", link: nil)
        XCTAssertEqual(r.durationSeconds, 5400)
        XCTAssertEqual(r.key, "ams/AS131279|outage|1419264900", "the vantage point is part of the key")
        XCTAssertTrue(r.summary.contains("resolved at 2014-12-22 17:45 UTC after 1h30m"), r.summary)
        // The JSON reads back the same, with the schema named.
        let json = try object(n.json)
        XCTAssertEqual(json["schema"] as? String, "vigil.alert/1")
        XCTAssertEqual((json["evidence"] as? [String: Any])?["common_upstream"] as? Int, 4837)
        XCTAssertEqual(try Notice.decode(n.json), n)
    }

    func testWebhookTemplatesRenderValidJSON() throws {
        var e = Self.kp()
        e.entity = "AS\"131279\\\n"  // what a template must escape
        let n = Notice(e, state: .opened, revision: 0, vantage: "", link: "http://vigil.example")
        var ch = AlertsConfig.Channel(name: "hook", kind: .webhook, url: "http://127.0.0.1:1/hook")
        ch.template = #"{"text": "{{summary}}", "entity": "{{entity}}", "link": "{{url}}", "firing": {{firing}}}"#
        let body = try object(try ChannelFormats.request(n, channel: ch).body)
        XCTAssertEqual(body["entity"] as? String, e.entity)
        XCTAssertEqual(body["text"] as? String, n.summary)
        XCTAssertEqual(body["firing"] as? Bool, true)
        // The README's templates for Microsoft Teams, Matrix and Telegram.
        for (name, template) in Self.documented {
            ch.template = template
            let r = try ChannelFormats.request(n, channel: ch)
            XCTAssertNoThrow(try object(r.body), "\(name): \(r.body)")
            XCTAssertTrue(r.body.contains("withdrawn"), name)
            if name == "matrix" {
                ch.url = "https://matrix.example.org/_matrix/client/v3/rooms/!r:example.org/send/m.room.message/vigil-{{id}}"
                let m = try ChannelFormats.request(n, channel: ch)
                XCTAssertTrue(m.url.hasSuffix("/vigil-AS%22131279%5C%0A%7Coutage%7C1419264900%7Copened%7C0"), m.url)
                ch.url = "http://127.0.0.1:1/hook"
            }
        }
        // Without a template: the notice itself, with its idempotency key in a header.
        ch.template = nil
        let plain = try ChannelFormats.request(n, channel: ch)
        XCTAssertEqual(try Notice.decode(plain.body), n)
        XCTAssertTrue(plain.headers.contains { $0 == ("Idempotency-Key", n.id) })
    }

    /// Kept in step with README "Alerts" (the test reads them from there).
    static var documented: [(String, String)] {
        let readme = (try? String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
        var out: [(String, String)] = []
        for name in ["teams", "matrix", "telegram"] {
            guard let start = readme.range(of: "name = \"\(name)\""), let t = readme.range(of: "template = '''", range: start.upperBound..<readme.endIndex),
                  let end = readme.range(of: "'''", range: t.upperBound..<readme.endIndex) else { continue }
            out.append((name, String(readme[t.upperBound..<end.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        XCTAssertEqual(out.count, 3, "README documents templates for teams, matrix and telegram")
        return out
    }

    func testSlackPagerDutyAndAlertmanagerShapes() throws {
        let opened = Notice(Self.kp(), state: .opened, revision: 0, vantage: "ams", link: "http://vigil.example")
        let resolved = Notice(Self.kp(end: 1_419_264_900 + 600), state: .resolved, revision: 1, vantage: "ams", link: nil)

        let slack = try object(ChannelFormats.slack(opened))
        XCTAssertTrue((slack["text"] as? String)?.contains("<http://vigil.example/event.html?id=") == true, "Slack's link syntax")
        let attachment = try XCTUnwrap((slack["attachments"] as? [[String: Any]])?.first)
        XCTAssertEqual(attachment["color"] as? String, "danger")
        XCTAssertEqual(attachment["text"] as? String, opened.summary)

        let trigger = try object(ChannelFormats.pagerDuty(opened, routingKey: "R0UT1NGKEY0123456789012345678901"))
        XCTAssertEqual(trigger["event_action"] as? String, "trigger")
        XCTAssertEqual(trigger["dedup_key"] as? String, opened.key)
        let payload = try XCTUnwrap(trigger["payload"] as? [String: Any])
        for field in ["summary", "source", "severity"] { XCTAssertNotNil(payload[field], "PagerDuty requires payload.\(field)") }
        XCTAssertTrue(["critical", "error", "warning", "info"].contains(payload["severity"] as? String ?? ""))
        let resolve = try object(ChannelFormats.pagerDuty(resolved, routingKey: "R0UT1NGKEY0123456789012345678901"))
        XCTAssertEqual(resolve["event_action"] as? String, "resolve")
        XCTAssertEqual(resolve["dedup_key"] as? String, opened.key, "resolved with the opening's dedup key")

        let am = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(ChannelFormats.alertmanager([opened, resolved], now: 0).utf8)) as? [[String: Any]])
        XCTAssertEqual(am.count, 2)
        XCTAssertEqual((am[0]["labels"] as? [String: String])?["alertname"], "VigilOutage")
        XCTAssertNil(am[0]["endsAt"], "an open alert has no end")
        XCTAssertEqual(am[1]["endsAt"] as? String, "2014-12-22T16:25:00Z")
        XCTAssertEqual((am[0]["labels"] as? [String: String])?["vigil_key"], (am[1]["labels"] as? [String: String])?["vigil_key"])
        var ch = AlertsConfig.Channel(name: "am", kind: .alertmanager, url: "http://127.0.0.1:9093")
        XCTAssertEqual(try ChannelFormats.request(opened, channel: ch).url, "http://127.0.0.1:9093/api/v2/alerts")
        ch.url = "http://127.0.0.1:9093/api/v2/alerts"
        XCTAssertEqual(try ChannelFormats.request(opened, channel: ch).url, "http://127.0.0.1:9093/api/v2/alerts")
    }
}
