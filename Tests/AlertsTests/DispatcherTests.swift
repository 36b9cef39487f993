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
    }
}
