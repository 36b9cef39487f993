import Foundation
import XCTest
@testable import Store

/// The alert outbox, alike on every backend: an item is added once (same channel and notice), is
/// pending until an attempt delivers it, waits for its next try after a failure, and every attempt
/// is kept; silences are read back by time; two vantage points keep their own outboxes.
final class OutboxConformanceTests: XCTestCase {
    func testOutboxAttemptsAndSilences() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pg = try PostgresLab.database()
        for (name, location) in [("memory", ""), ("sqlite", dir.appendingPathComponent("o.db").path), ("postgres", pg)] {
            let store = try BlockingStore.open(location, vantage: "ams").base
            let other = name == "memory" ? nil : try BlockingStore.open(location, vantage: "sin").base
            try blockingWait {
                let items = [OutboxItem(channel: "hook", notice: "AS1|outage|0|opened|0", key: "AS1|outage|0", payload: "{}", created: 100),
                             OutboxItem(channel: "hook", notice: "AS1|outage|0|resolved|1", key: "AS1|outage|0", payload: "{}", created: 160),
                             OutboxItem(channel: "pd", notice: "AS1|outage|0|opened|0", key: "AS1|outage|0", payload: "{}", created: 100)]
                let added = try await store.enqueueAlerts(items)
                XCTAssertEqual(added, 3, name)
                let again = try await store.enqueueAlerts([items[0]])
                XCTAssertEqual(again, 0, "\(name): a notice is added once per channel")
                if let other {
                    let theirs = try await other.enqueueAlerts([items[0]])
                    XCTAssertEqual(theirs, 1, "\(name): another vantage point's outbox is its own")
                    let theirPending = try await other.pendingAlerts(channel: nil, due: nil, limit: 10)
                    XCTAssertEqual(theirPending.map(\.vantage), ["sin"], name)
                }
                var pending = try await store.pendingAlerts(channel: nil, due: 100, limit: 10)
                XCTAssertEqual(pending.map(\.notice), ["AS1|outage|0|opened|0", "AS1|outage|0|opened|0"], "\(name): due by 100")
                let first = try XCTUnwrap(pending.first { $0.channel == "hook" })
                try await store.recordAlertAttempt(first.id, at: 101, delivered: false, detail: "connection refused", nextTry: 105)
                pending = try await store.pendingAlerts(channel: nil, due: 104, limit: 10)
                XCTAssertEqual(pending.map(\.channel), ["pd"], "\(name): the failed one waits for its next try")
                pending = try await store.pendingAlerts(channel: nil, due: 200, limit: 10)
                XCTAssertEqual(pending.count, 3, name)
                let retried = try XCTUnwrap(pending.first { $0.id == first.id })
                XCTAssertEqual(retried.attempts, 1, name)
                XCTAssertEqual(retried.lastError, "connection refused", name)
                try await store.recordAlertAttempt(first.id, at: 106, delivered: true, detail: "200 ok", nextTry: 106)
                pending = try await store.pendingAlerts(channel: nil, due: nil, limit: 10)
                XCTAssertFalse(pending.contains { $0.id == first.id }, "\(name): delivered is no longer pending")
                let all = try await store.alertOutbox(limit: 10)
                let delivered = try XCTUnwrap(all.first { $0.id == first.id })
                XCTAssertEqual(delivered.delivered, 106, name)
                XCTAssertEqual(delivered.attempts, 2, name)
                let tries = try await store.alertAttempts(limit: 10)
                XCTAssertEqual(tries.map(\.delivered), [true, false], "\(name): every attempt, newest first")
                XCTAssertEqual(tries.first?.notice, first.notice, name)

                // A silenced message is recorded, never pending; one channel's messages alone.
                let silenced = try await store.enqueueAlerts([OutboxItem(channel: "hook", notice: "AS2|outage|0|opened|0", key: "AS2|outage|0",
                                                                         payload: "{}", created: 300, nextTry: OutboxItem.never, lastError: "silenced")])
                XCTAssertEqual(silenced, 1, name)
                let none = try await store.pendingAlerts(channel: nil, due: nil, limit: 10)
                XCTAssertFalse(none.contains { $0.notice.hasPrefix("AS2") }, "\(name): silenced is not pending")
                let pdOnly = try await store.pendingAlerts(channel: "pd", due: nil, limit: 10)
                XCTAssertEqual(pdOnly.map(\.channel), ["pd"], name)
                let listed = try await store.alertOutbox(limit: 10)
                XCTAssertEqual(listed.first { $0.notice.hasPrefix("AS2") }?.nextTry, OutboxItem.never, "\(name): but listed")

                try await store.addSilence(Silence(entity: "AS65*", from: 100, until: 200, reason: "maintenance"))
                let active = try await store.silences(activeAt: 150)
                XCTAssertEqual(active.map(\.entity), ["AS65*"], name)
                let later = try await store.silences(activeAt: 200)
                XCTAssertEqual(later, [], "\(name): a silence ends at its until")
                XCTAssertTrue(active[0].covers("AS65001", at: 150))
                XCTAssertFalse(active[0].covers("AS64999", at: 150))
            }
        }
    }
}
