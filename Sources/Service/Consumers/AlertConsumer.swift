import Foundation
import Alerts
import Config
import Entities
import Signals
import Store
import Logging
import ServiceLifecycle

/// A bus consumer: event changes become alert messages in the store's outbox (`Dispatcher`), and a
/// `Deliverer` takes them to the receivers. The bus never waits for it (its subscription is
/// bounded), and it never waits for a receiver: delivery runs on tasks of its own.
final class AlertConsumer: @unchecked Sendable {
    let store: any SeriesStore
    let dispatcher: Dispatcher
    let deliverer: Deliverer
    let logger: Logger
    let lock = NSLock()

    /// Maintenance windows from the configuration, as silences.
    let windows: [Silence]
    /// Feed and source outages waiting for `feed_after` before they are news.
    var feed: FeedAlerts

    init(store: any SeriesStore, config: AlertsConfig, vantage: String, link: String?, logger: Logger) {
        (self.store, self.logger) = (store, logger)
        windows = config.windows.flatMap { w in w.entities.map { Silence(entity: $0, from: w.from, until: w.until, reason: w.reason) } }
        feed = FeedAlerts(after: config.feedAfter)
        dispatcher = Dispatcher(config: config, vantage: vantage, link: link)
        deliverer = Deliverer(store: store, config: config, logger: logger)
    }

    /// Groups ASes by the country they are registered in (`map`), else by the upstream on their last paths.
    func groupBy(_ map: EntityMap) {
        lock.withLock {
            dispatcher.groupOf = { e in
                guard e.entity.hasPrefix("AS"), let asn = UInt32(e.entity.dropFirst(2)) else { return nil }
                if let cc = map.country(ofASN: asn) { return (cc, "registered in \(cc)") }
                return e.evidence.commonUpstream.map { ("AS\($0)", "behind AS\($0)") }
            }
        }
    }

    /// Reads the subscription until the bus finishes; ticks each second for minimum durations and reminders.
    func run(_ subscription: EventBus.Subscription) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await m in subscription.messages {
                    switch m {
                    case let .event(change, _):
                        let items = lock.withLock { dispatcher.handle(change, now: Int64(Date().timeIntervalSince1970)) }
                        await enqueue(items)
                    case let .feed(f):
                        await enqueue(lock.withLock { feed.change(f.event, now: Int64(Date().timeIntervalSince1970), dispatcher) })
                    case let .source(h):
                        await enqueue(lock.withLock { feed.change(FeedAlerts.event(h), now: Int64(Date().timeIntervalSince1970), dispatcher) })
                    case let .missed(n): logger.error("alerts: fell behind the bus: \(n) messages missed")
                    default: break
                    }
                }
            }
            group.addTask { [self] in
                var k = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    let now = Int64(Date().timeIntervalSince1970)
                    if k % 10 == 0, let s = try? await store.silences(activeAt: now) {
                        lock.withLock { dispatcher.silences = s + windows.filter { $0.from <= now && now < $0.until } }
                    }
                    k += 1
                    await enqueue(lock.withLock { feed.tick(now: now, dispatcher) + dispatcher.tick(now: now) })
                }
            }
            await group.next()  // the bus finished
            group.cancelAll()
        }
    }

    func enqueue(_ items: [OutboxItem]) async {
        guard !items.isEmpty else { return }
        do {
            try await store.enqueueAlerts(items)
            deliverer.poke()
        } catch {
            logger.error("alerts: cannot write the outbox: \(error)")
        }
    }
}
