import XCTest
import Config
import Signals
import Store
@testable import Alerts

/// The rules and the lifecycle: who hears of what, and when.
final class DispatcherTests: XCTestCase {
    func config(_ rules: [AlertsConfig.Rule]) -> AlertsConfig {
        var c = AlertsConfig()
        c.channels = [AlertsConfig.Channel(name: "ops", kind: .webhook, url: "http://127.0.0.1:1/"),
                      AlertsConfig.Channel(name: "pager", kind: .pagerduty, url: "http://127.0.0.1:1/")]
        c.rules = rules
        c.repeatInterval = 3600
        return c
    }
    func outage(_ entity: String = "AS64500", level: String = "warning", scope: Double = 0.5, end: Int64? = nil, stopped: Bool = false) -> Event {
        Event(entity: entity, kind: .outage, cause: .bgpWithdrawal, start: 1000, end: end, scope: scope, severity: 0, level: level,
              precededByInstability: false, evidence: Event.Evidence(signal: "routed_space"), observationStopped: stopped)
    }
    func states(_ items: [OutboxItem]) -> [String] { items.map { "\($0.channel):\((try? Notice.decode($0.payload).state.rawValue) ?? "?")" } }

    func testRulesRouteByEntityLevelAndDuration() {
        var pager = AlertsConfig.Rule(channels: ["pager"])
        pager.minLevel = "critical"
        pager.minDuration = 300
        var ops = AlertsConfig.Rule(channels: ["ops"])
        ops.entities = ["AS645*"]
        let d = Dispatcher(config: config([ops, pager]), vantage: "", link: nil)
        XCTAssertEqual(states(d.handle(.opened(outage("AS64500")), now: 1000)), ["ops:opened"], "a warning: not for the pager")
        XCTAssertEqual(states(d.handle(.opened(outage("AS1", level: "critical")), now: 1000)), [], "critical, but not 5 minutes yet")
        XCTAssertEqual(states(d.tick(now: 1299)), [])
        XCTAssertEqual(states(d.tick(now: 1300)), ["pager:opened"], "after its minimum duration")
        XCTAssertEqual(states(d.handle(.updated(outage("AS64500", level: "critical", scope: 0.9)), now: 1400)), ["ops:updated", "pager:opened"].sorted(),
                       "the level rose: an update to who was told, and the pager's rule now matches (after its minimum)")
        XCTAssertEqual(states(d.handle(.updated(outage("AS64500", level: "critical", scope: 0.95)), now: 1500)), [], "a small change says nothing")
        XCTAssertEqual(states(d.handle(.closed(outage("AS64500", level: "critical", end: 1600)), now: 1600)), ["ops:resolved", "pager:resolved"])
        XCTAssertEqual(states(d.handle(.closed(outage("AS1", level: "critical", end: 1250)), now: 1600)).count, 1, "resolved where announced")
    }

    func testShortEventsStoppedObservationRemindersAndSilences() throws {
        var slow = AlertsConfig.Rule(channels: ["ops"])
        slow.minDuration = 600
        let d = Dispatcher(config: config([slow]), vantage: "ams", link: nil)
        _ = d.handle(.opened(outage()), now: 1000)
        XCTAssertEqual(states(d.handle(.closed(outage(end: 1200)), now: 1200)), [], "over before its minimum: never announced, never resolved")

        let all = Dispatcher(config: config([AlertsConfig.Rule(channels: ["ops"])]), vantage: "ams", link: nil)
        XCTAssertEqual(states(all.handle(.opened(outage()), now: 1000)), ["ops:opened"])
        XCTAssertEqual(states(all.tick(now: 1000 + 3599)), [])
        let reminder = all.tick(now: 1000 + 3600)
        XCTAssertEqual(states(reminder), ["ops:reminder"], "still going after the repeat interval")
        XCTAssertNotEqual(reminder[0].notice, "ams/AS64500|outage|1000|opened|0", "a reminder is a message of its own")
        XCTAssertEqual(states(all.handle(.closed(outage(end: 5000, stopped: true)), now: 5000)), [],
                       "Vigil stopped observing: not a resolution")

        let quiet = Dispatcher(config: config([AlertsConfig.Rule(channels: ["ops"])]), vantage: "", link: nil)
        quiet.silences = [Silence(entity: "AS64500", from: 0, until: 2000, reason: "maintenance")]
        let silenced = quiet.handle(.opened(outage()), now: 1000)
        XCTAssertEqual(silenced.count, 1, "a silenced message is recorded")
        XCTAssertEqual(silenced[0].nextTry, Int64.max, "and never due")
        XCTAssertTrue(silenced[0].lastError.contains("maintenance"))
        XCTAssertEqual(quiet.handle(.opened(outage("AS64501")), now: 1000)[0].nextTry, 1000, "others are sent")
        let after = quiet.handle(.closed(outage(end: 3000)), now: 3000)
        XCTAssertEqual(after.map(\.nextTry), [OutboxItem.never], "the silence is over, but its opening was never sent: nor is its resolution")
    }
}

/// Many networks failing together: one message, not forty.
final class GroupingTests: XCTestCase {
    func outage(_ k: Int, start: Int64 = 1000, end: Int64? = nil) -> Event {
        Event(entity: "AS\(64500 + k)", kind: .outage, cause: .bgpWithdrawal, start: start, end: end, scope: 1, severity: 0, level: "critical",
              precededByInstability: false, evidence: Event.Evidence(signal: "routed_space", prefixes: ["192.0.2.0/24"], commonUpstream: 4837))
    }
    func notices(_ items: [OutboxItem]) -> [Notice] { items.compactMap { try? Notice.decode($0.payload) } }

    func testFortyASesOfOneCountryAreOneMessage() throws {
        var c = AlertsConfig()
        c.channels = [AlertsConfig.Channel(name: "ops", kind: .webhook, url: "http://127.0.0.1:1/"),
                      AlertsConfig.Channel(name: "am", kind: .alertmanager, url: "http://127.0.0.1:1/")]
        c.rules = [AlertsConfig.Rule(channels: ["ops", "am"])]
        c.groupWait = 30
        let d = Dispatcher(config: c, vantage: "", link: "http://vigil.example")
        d.groupOf = { e in e.entity.hasPrefix("AS645") ? ("KP", "registered in KP") : nil }
        var items: [OutboxItem] = []
        for k in 0..<40 { items += d.handle(.opened(outage(k, start: 1000 - Int64(k % 5))), now: 1000 + Int64(k / 4)) }
        XCTAssertEqual(Set(items.map(\.channel)), ["am"], "Alertmanager hears of each at once; the others wait for the group")
        XCTAssertEqual(items.count, 40)
        XCTAssertEqual(d.tick(now: 1029), [], "still waiting")
        let opened = d.tick(now: 1030)
        XCTAssertEqual(opened.map(\.channel), ["ops"], "one message")
        let n = try XCTUnwrap(notices(opened).first)
        XCTAssertEqual(n.members?.count, 40)
        XCTAssertEqual(n.entity, "KP")
        XCTAssertEqual(n.state, .opened)
        XCTAssertTrue(n.summary.hasPrefix("40 networks registered in KP lost their routes since"), n.summary)
        XCTAssertTrue(n.summary.contains("and 28 more; last path via AS4837"), n.summary)
        XCTAssertEqual(n.title, "[CRITICAL] 40 networks registered in KP: outage")

        // One more joins: an update, a wait later; no message per AS on the grouped channel.
        XCTAssertEqual(d.handle(.opened(outage(40, start: 1100)), now: 1100).map(\.channel), ["am"])
        XCTAssertEqual(d.tick(now: 1129), [])
        let update = notices(d.tick(now: 1130))
        XCTAssertEqual(update.map(\.state), [.updated])
        XCTAssertEqual(update.first?.members?.count, 41)

        // They recover: Alertmanager each, the group once when the last is back, with its duration.
        var back: [OutboxItem] = []
        for k in 0...40 { back += d.handle(.closed(outage(k, start: k == 40 ? 1100 : 1000 - Int64(k % 5), end: 1600 + Int64(k))), now: 1640) }
        XCTAssertEqual(back.filter { $0.channel == "am" }.count, 41)
        let resolved = notices(back.filter { $0.channel == "ops" })
        XCTAssertEqual(resolved.map(\.state), [.resolved])
        XCTAssertEqual(resolved.first?.durationSeconds, 1640 - 996, "from the first to fail to the last back")
        XCTAssertEqual(resolved.first?.key, n.key, "the group's key from opening to resolution")
    }

    func testOneAloneIsToldAsItselfAndStopsAreNotResolutions() throws {
        var c = AlertsConfig()
        c.channels = [AlertsConfig.Channel(name: "ops", kind: .webhook, url: "http://127.0.0.1:1/")]
        c.rules = [AlertsConfig.Rule(channels: ["ops"])]
        c.groupWait = 10
        let d = Dispatcher(config: c, vantage: "", link: nil)
        d.groupOf = { _ in ("KP", "registered in KP") }
        XCTAssertEqual(d.handle(.opened(outage(1)), now: 1000), [])
        let alone = notices(d.tick(now: 1010))
        XCTAssertEqual(alone.map(\.entity), ["AS64501"], "a group of one is the network itself")
        XCTAssertNil(alone.first?.members)
        XCTAssertEqual(notices(d.handle(.closed(outage(1, end: 1100)), now: 1100)).map(\.state), [.resolved])

        _ = d.handle(.opened(outage(2)), now: 2000)
        _ = d.handle(.opened(outage(3)), now: 2000)
        XCTAssertEqual(notices(d.tick(now: 2010)).first?.members?.count, 2)
        var stopped = outage(2, end: 2100)
        stopped.observationStopped = true
        var stopped3 = outage(3, end: 2100)
        stopped3.observationStopped = true
        XCTAssertEqual(d.handle(.closed(stopped), now: 2100) + d.handle(.closed(stopped3), now: 2100), [], "Vigil stopped: no resolution")
    }
}

/// Vigil's own feeds: out for `feed_after` is news, shorter is not; maintenance windows hold alerts.
final class FeedAlertTests: XCTestCase {
    func testASourceOutLongEnoughIsAnnouncedAndResolved() throws {
        var c = AlertsConfig()
        c.channels = [AlertsConfig.Channel(name: "ops", kind: .webhook, url: "http://127.0.0.1:1/")]
        c.rules = [AlertsConfig.Rule(channels: ["ops"])]
        let d = Dispatcher(config: c, vantage: "", link: nil)
        var feed = FeedAlerts(after: 300)
        func health(_ s: SourceHealth.State, _ t: Int64) -> Event {
            FeedAlerts.event(SourceHealth(source: "bgp", state: s, since: t, lastData: nil, dataTime: nil, detail: "0 of 1 sessions established"))
        }
        XCTAssertEqual(feed.change(health(.down, 1000), now: 1000, d), [])
        XCTAssertEqual(feed.change(health(.up, 1100), now: 1100, d), [], "out for under feed_after: not news")
        XCTAssertEqual(feed.change(health(.silent, 2000), now: 2000, d), [])
        XCTAssertEqual(feed.tick(now: 2299, d), [])
        let opened = feed.tick(now: 2300, d).compactMap { try? Notice.decode($0.payload) }
        XCTAssertEqual(opened.map(\.entity), ["source:bgp"])
        XCTAssertEqual(opened.first?.kind, "feed")
        XCTAssertTrue(opened.first?.summary.contains("unknown, not down") == true, opened.first?.summary ?? "")
        XCTAssertEqual(feed.change(health(.silent, 2000), now: 2400, d), [], "still out: said once")
        let back = feed.change(health(.up, 2500), now: 2500, d).compactMap { try? Notice.decode($0.payload) }
        XCTAssertEqual(back.map(\.state), [.resolved])
        XCTAssertEqual(back.first?.durationSeconds, 500)
    }

    func testMaintenanceWindowsFromTheConfigurationHoldAlerts() throws {
        var c = AlertsConfig()
        c.channels = [AlertsConfig.Channel(name: "ops", kind: .webhook, url: "http://127.0.0.1:1/")]
        c.rules = [AlertsConfig.Rule(channels: ["ops"])]
        let d = Dispatcher(config: c, vantage: "", link: nil)
        d.silences = [Silence(entity: "AS645*", from: 900, until: 2000, reason: "maintenance window")]
        let e = Event(entity: "AS64511", kind: .outage, cause: .bgpWithdrawal, start: 1000, end: nil, scope: 1, severity: 0, level: "warning",
                      precededByInstability: false, evidence: Event.Evidence(signal: "routed_space"))
        let held = d.handle(.opened(e), now: 1000)
        XCTAssertEqual(held.map(\.nextTry), [Int64.max])
        XCTAssertEqual(held.first?.lastError, "silenced until 2000: maintenance window")
    }
}
