import Foundation
import Alerts
import Config
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

    init(store: any SeriesStore, config: AlertsConfig, vantage: String, link: String?, logger: Logger) {
        (self.store, self.logger) = (store, logger)
        dispatcher = Dispatcher(config: config, vantage: vantage, link: link)
        deliverer = Deliverer(store: store, config: config, logger: logger)
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
                    if k % 10 == 0, let s = try? await store.silences(activeAt: now) { lock.withLock { dispatcher.silences = s } }
                    k += 1
                    await enqueue(lock.withLock { dispatcher.tick(now: now) })
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
