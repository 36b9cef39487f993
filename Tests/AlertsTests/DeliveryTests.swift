import Foundation
import XCTest
import Config
import Signals
import Store
import Logging
@testable import Alerts

/// Delivery to real receivers on loopback: Prometheus Alertmanager shows Vigil's alert and then
/// resolves it; a webhook receiver that is down for a minute gets every message exactly once
/// (by its id) when it comes back, openings before resolutions; and messages left in a SQLite
/// outbox are delivered by the next process that opens it.
final class DeliveryTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-delivery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func outage(_ entity: String, start: Int64, end: Int64? = nil) -> Event {
        Event(entity: entity, kind: .outage, cause: .bgpWithdrawal, start: start, end: end, scope: 1, severity: 0, level: "critical",
              precededByInstability: false, evidence: Event.Evidence(signal: "routed_space", prefixes: ["192.0.2.0/24"]))
    }

    /// Runs a deliverer until `body` returns.
    func delivering(_ store: any SeriesStore, _ config: AlertsConfig, _ body: () throws -> Void) rethrows {
        let d = Deliverer(store: store, config: config, logger: Logger(label: "test"))
        let task = Task { await d.run() }
        defer {
            task.cancel()
            let done = DispatchSemaphore(value: 0)
            Task { _ = await task.value; done.signal() }
            done.wait()
        }
        try body()
    }

    func testAlertmanagerShowsTheAlertThenResolvesIt() throws {
        let port = 19493
        let am = try Receivers.alertmanager(port: port, dir: dir)
        defer { am.stop() }
        var config = AlertsConfig()
        config.channels = [AlertsConfig.Channel(name: "am", kind: .alertmanager, url: "http://127.0.0.1:\(port)")]
        config.rules = [AlertsConfig.Rule(channels: ["am"])]
        config.alertmanagerRefresh = 5
        let amPath = dir.appendingPathComponent("am.db").path
        let store = try blockingWait { try await Stores.open(amPath) }
        let dispatcher = Dispatcher(config: config, vantage: "ams", link: "http://127.0.0.1:9473")
        let now = Int64(Date().timeIntervalSince1970)
        try delivering(store, config) {
            let opened = dispatcher.handle(.opened(outage("AS64511", start: now - 60)), now: now)
            _ = try blockingWait { try await store.enqueueAlerts(opened) }
            var shown: [String: Any] = [:]
            try Receivers.waitFor("the alert in Alertmanager", seconds: 15) {
                let alerts = (try? JSONSerialization.jsonObject(with: Data((Receivers.get("http://127.0.0.1:\(port)/api/v2/alerts") ?? "[]").utf8))) as? [[String: Any]] ?? []
                shown = alerts.first { ($0["labels"] as? [String: String])?["vigil_key"] == "ams/AS64511|outage|\(now - 60)" } ?? [:]
                return !shown.isEmpty
            }
            XCTAssertEqual((shown["labels"] as? [String: String])?["entity"], "AS64511")
            XCTAssertEqual((shown["status"] as? [String: Any])?["state"] as? String, "active")
            XCTAssertTrue(((shown["annotations"] as? [String: String])?["summary"] ?? "").contains("withdrawn"))
            XCTAssertEqual(shown["generatorURL"] as? String, "http://127.0.0.1:9473/event.html?id=AS64511%7Coutage%7C\(now - 60)")
            // Still there after the refresh interval would have let it time out unrefreshed.
            sleep(6)
            XCTAssertTrue(Receivers.get("http://127.0.0.1:\(port)/api/v2/alerts")?.contains("AS64511") == true, "kept alive by refreshes")

            let resolved = dispatcher.handle(.closed(outage("AS64511", start: now - 60, end: now + 5)), now: now + 5)
            _ = try blockingWait { try await store.enqueueAlerts(resolved) }
            try Receivers.waitFor("the alert resolved in Alertmanager", seconds: 20) {
                // Alertmanager lists only alerts that have not ended.
                Receivers.get("http://127.0.0.1:\(port)/api/v2/alerts").map { !$0.contains("AS64511") } ?? false
            }
        }
        let history = try blockingWait { try await store.alertOutbox(limit: 10) }
        XCTAssertEqual(history.count, 2)
        XCTAssertTrue(history.allSatisfy { $0.delivered != nil }, "both delivered: \(history)")
    }

    func testAReceiverDownForAMinuteGetsEveryMessageOnceInOrder() throws {
        let port = 19494, file = dir.appendingPathComponent("received.jsonl").path
        var config = AlertsConfig()
        config.channels = [AlertsConfig.Channel(name: "hook", kind: .webhook, url: "http://127.0.0.1:\(port)/hook")]
        config.channels[0].rate = 100
        config.rules = [AlertsConfig.Rule(channels: ["hook"])]
        config.maxBackoff = 4
        let path = dir.appendingPathComponent("outbox.db").path
        let store = try blockingWait { try await Stores.open(path) }
        let dispatcher = Dispatcher(config: config, vantage: "", link: nil)
        var sent: [String] = []
        let t0 = Int64(Date().timeIntervalSince1970)
        try delivering(store, config) {
            // 20 outages open, 10 of them end: 30 messages while nobody listens.
            for k in 0..<20 {
                let items = dispatcher.handle(.opened(outage("AS\(65000 + k)", start: t0 - 100)), now: t0)
                    + (k < 10 ? dispatcher.handle(.closed(outage("AS\(65000 + k)", start: t0 - 100, end: t0)), now: t0) : [])
                sent += items.map(\.notice)
                _ = try blockingWait { try await store.enqueueAlerts(items) }
            }
            sleep(60)
            let failed = try blockingWait { try await store.alertAttempts(limit: 10_000) }
            XCTAssertGreaterThan(failed.count, 0, "tried while the receiver was down")
            XCTAssertTrue(failed.allSatisfy { !$0.delivered }, "nothing delivered to nobody")
            let receiver = try Receivers.http(port: port, file: file, dir: dir)
            defer { receiver.stop() }
            try Receivers.waitFor("every message", seconds: 30) { Receivers.received(file).count >= sent.count }
            sleep(2)  // anything twice would be here by now
        }
        let got = Receivers.received(file)
        let ids = got.compactMap { $0["key"] as? String }
        XCTAssertEqual(ids.count, sent.count, "each message once")
        XCTAssertEqual(Set(ids), Set(sent), "every message")
        for k in 0..<10 {
            let key = "AS\(65000 + k)|outage|\(t0 - 100)"
            let order = ids.filter { $0.hasPrefix(key + "|") }
            XCTAssertEqual(order, ["\(key)|opened|0", "\(key)|resolved|1"], "the opening before the resolution")
        }
        for line in got {
            let body = try XCTUnwrap(line["body"] as? [String: Any])
            XCTAssertEqual(body["schema"] as? String, "vigil.alert/1")
            XCTAssertEqual(body["id"] as? String, line["key"] as? String, "the header carries the notice's id")
        }
        let attempts = try blockingWait { try await store.alertAttempts(limit: 10_000) }
        print("receiver down 60 s: \(attempts.filter { !$0.delivered }.count) failed attempts, then \(got.count) of \(sent.count) messages, each once")
    }

    func testPendingMessagesAreDeliveredByTheNextProcess() throws {
        let port = 19495, file = dir.appendingPathComponent("received.jsonl").path
        var config = AlertsConfig()
        config.channels = [AlertsConfig.Channel(name: "hook", kind: .webhook, url: "http://127.0.0.1:\(port)/hook")]
        config.rules = [AlertsConfig.Rule(channels: ["hook"])]
        let path = dir.appendingPathComponent("outbox.db").path
        let now = Int64(Date().timeIntervalSince1970)
        do {
            // A process wrote its messages and went away before any delivery.
            let store = try blockingWait { try await Stores.open(path) }
            let d = Dispatcher(config: config, vantage: "", link: nil)
            let items = d.handle(.opened(outage("AS64512", start: now)), now: now)
            _ = try blockingWait { try await store.enqueueAlerts(items) }
        }
        let receiver = try Receivers.http(port: port, file: file, dir: dir)
        defer { receiver.stop() }
        let again = try blockingWait { try await Stores.open(path) }
        try delivering(again, config) {
            try Receivers.waitFor("the message left in the outbox", seconds: 15) { Receivers.received(file).count == 1 }
        }
        XCTAssertEqual(Receivers.received(file).first?["key"] as? String, "AS64512|outage|\(now)|opened|0")
    }
}

/// A channel's rate limit: messages to one receiver are spaced at most `rate` a second.
final class RateLimitTests: XCTestCase {
    func testMessagesAreSpacedByTheChannelsRate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = 19503, file = dir.appendingPathComponent("received.jsonl").path
        let receiver = try Receivers.http(port: port, file: file, dir: dir)
        defer { receiver.stop() }
        var config = AlertsConfig()
        config.channels = [AlertsConfig.Channel(name: "hook", kind: .webhook, url: "http://127.0.0.1:\(port)/hook")]
        config.channels[0].rate = 2
        let store = MemoryStore()
        let items = (0..<7).map { OutboxItem(channel: "hook", notice: "n\($0)", key: "k\($0)", payload: Dispatcher.test(channel: "hook", vantage: "", link: nil, now: Int64($0)).payload, created: 0) }
        _ = try blockingWait { try await store.enqueueAlerts(items) }
        let d = Deliverer(store: store, config: config, logger: Logger(label: "test"))
        let task = Task { await d.run() }
        try Receivers.waitFor("seven messages", seconds: 20) { Receivers.received(file).count >= 7 }
        task.cancel()
        let times = Receivers.received(file).compactMap { $0["t"] as? Double }.sorted()
        // A bucket of 2 lets the first two go at once; the other five follow at 2 a second.
        let span = times[6] - times[0]
        XCTAssertGreaterThanOrEqual(span, 2.3, "7 messages at 2 a second (a burst of 2) take at least 2.5 s: \(times)")
        XCTAssertLessThan(span, 6, "and not much more")
    }
}
