import XCTest
@testable import Config

/// `[alerts]`, `[[channel]]` and `[[rule]]`: what each key sets, and mistakes named by line.
final class AlertsConfigTests: XCTestCase {
    let base = "[collector]\nlisten = \"127.0.0.1:179\"\n"
    func parse(_ text: String) throws -> CollectConfig { try parseConfig(base + text, file: "x.toml") }
    func problem(_ text: String) -> String { configProblem(base + text, file: "x.toml") }

    func testChannelsRulesAndDefaults() throws {
        XCTAssertEqual(try parse("").alerts, AlertsConfig(), "no alerts unless configured")
        let c = try parse("""
            [alerts]
            link = "https://vigil.example.org"
            repeat = "never"
            max_backoff = "30s"
            [[channel]]
            name = "ops"
            type = "webhook"
            url = "http://127.0.0.1:8080/hook"
            method = "PUT"
            headers = { Authorization = "Bearer x" }
            template = '{"text": "{{summary}}"}'
            rate = 0.5
            [[channel]]
            name = "pd"
            type = "pagerduty"
            routing_key = "abc"
            [[rule]]
            entities = ["AS645*"]
            kinds = "outage"
            min_level = "critical"
            min_duration = "5m"
            channels = ["pd"]
            """).alerts
        XCTAssertEqual(c.link, "https://vigil.example.org")
        XCTAssertNil(c.repeatInterval)
        XCTAssertEqual(c.maxBackoff, 30)
        XCTAssertEqual(c.channels.map(\.name), ["ops", "pd"])
        XCTAssertEqual(c.channels[0].method, "PUT")
        XCTAssertEqual(c.channels[0].headers, ["Authorization": "Bearer x"])
        XCTAssertEqual(c.channels[0].rate, 0.5)
        XCTAssertEqual(c.channels[1].url, "https://events.pagerduty.com/v2/enqueue")
        XCTAssertEqual(c.rules.count, 1)
        XCTAssertEqual(c.rules[0].kinds, ["outage"])
        XCTAssertEqual(c.rules[0].minDuration, 300)
        let all = try parse("[[channel]]\nname = \"a\"\ntype = \"slack\"\nurl = \"https://hooks.slack.com/x\"\n").alerts
        XCTAssertEqual(all.rules.map(\.channels), [["a"]], "no rule: every channel hears of everything")
    }

    func testMailAndSyslogChannels() throws {
        let c = try parse("""
            [[channel]]
            name = "mail"
            type = "email"
            url = "smtps://mail.example.org"
            from = "vigil@example.org"
            to = ["a@example.org", "b@example.org"]
            username = "u"
            password = "p"
            [[channel]]
            name = "log"
            type = "syslog"
            url = "unix:///dev/log"
            """).alerts
        XCTAssertEqual(c.channels[0].tls, "tls", "smtps:// is TLS from the start")
        XCTAssertEqual(c.channels[0].to, ["a@example.org", "b@example.org"])
        XCTAssertEqual(c.channels[1].kind, .syslog)
        XCTAssertEqual(problem("[[channel]]\nname = \"m\"\ntype = \"email\"\nurl = \"smtp://x\"\nto = \"a@b\"\n"),
                       "x.toml:3: channel.1: an email channel needs from = \"ADDRESS\"")
        XCTAssertEqual(problem("[[channel]]\nname = \"l\"\ntype = \"syslog\"\nurl = \"http://x\"\n"),
                       "x.toml:6: channel.1.url: 'http://x' is not udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH")
        XCTAssertEqual(problem("[[channel]]\nname = \"h\"\ntype = \"webhook\"\nurl = \"http://x\"\nfrom = \"a@b\"\n"),
                       "x.toml:7: channel.1.from: only an email channel takes from")
    }

    func testMaintenanceWindowsGroupingAndFeeds() throws {
        let c = try parse("""
            [alerts]
            group_wait = "30s"
            feed_after = "10m"
            [[silence]]
            entities = ["AS645*", "KP"]
            from = "2026-12-24T02:00:00Z"
            until = "2026-12-24T04:00:00Z"
            reason = "upgrade"
            """).alerts
        XCTAssertEqual(c.groupWait, 30)
        XCTAssertEqual(c.feedAfter, 600)
        XCTAssertEqual(c.windows, [AlertsConfig.Window(entities: ["AS645*", "KP"], from: 1_798_077_600, until: 1_798_084_800, reason: "upgrade")])
        XCTAssertEqual(problem("[[silence]]\nentities = [\"KP\"]\nfrom = \"2026-12-24T04:00:00Z\"\nuntil = \"2026-12-24T02:00:00Z\"\n"),
                       "x.toml:6: silence.1.until: must be after from")
        XCTAssertEqual(problem("[[silence]]\nentities = [\"KP\"]\nfrom = \"soon\"\nuntil = \"2026-12-24T02:00:00Z\"\n"),
                       "x.toml:5: silence.1.from: 'soon' is not a time (like \"2026-12-24T02:00:00Z\")")
    }

    func testMistakesAreNamedByLine() {
        XCTAssertEqual(problem("[[channel]]\nname = \"a\"\ntype = \"sms\"\nurl = \"http://x\"\n"),
                       "x.toml:5: channel.1.type: 'sms' is not one of webhook, slack, pagerduty, alertmanager, email, syslog")
        XCTAssertEqual(problem("[[channel]]\nname = \"a\"\ntype = \"webhook\"\nurl = \"ftp://x\"\n"),
                       "x.toml:6: channel.1.url: 'ftp://x' is not an http:// or https:// address")
        XCTAssertEqual(problem("[[channel]]\nname = \"a\"\ntype = \"pagerduty\"\n"), "x.toml:3: channel.1: a pagerduty channel needs its routing_key")
        XCTAssertEqual(problem("[[channel]]\nname = \"a\"\ntype = \"slack\"\nurl = \"http://x\"\n[[rule]]\nchannels = [\"b\"]\n"),
                       "x.toml:8: rule.1.channels: 'b' is not a [[channel]]'s name")
        XCTAssertEqual(problem("[[channel]]\nname = \"a\"\ntype = \"slack\"\nurl = \"http://x\"\ncolour = 1\n"),
                       "x.toml:7: channel.1.colour: unknown key (expected one of: ca_file, from, headers, method, name, password, rate, routing_key, template, timeout, tls, to, type, url, username)")
        XCTAssertTrue(problem("[[channel]]\nname = \"a\"\ntype = \"slack\"\nurl = \"http://x\"\n[[channel]]\nname = \"a\"\ntype = \"slack\"\nurl = \"http://y\"\n")
            .contains("'a' is already a channel's name"))
    }
}
