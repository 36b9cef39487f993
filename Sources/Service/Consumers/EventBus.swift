public import Signals
import NIOConcurrencyHelpers

/// The pipeline's one way out (DESIGN.md: a new consumer is a new subscriber, never a new
/// closure in the pipeline). Each subscriber has its own bounded buffer; publishing never
/// waits for anyone: a subscriber that falls behind loses the newest messages, counts them,
/// and finds a `.missed(count:)` where they would have been once it has room again.
public final class EventBus: Sendable {
    final class Subscriber: Sendable {
        let name: String
        let continuation: AsyncStream<BusMessage>.Continuation
        /// Missed since the last `.missed` delivered, and in all.
        let drops = NIOLockedValueBox((pending: 0, total: 0))
        init(name: String, continuation: AsyncStream<BusMessage>.Continuation) {
            self.name = name
            self.continuation = continuation
        }
    }

    /// A consumer's end: the messages, and how many it missed.
    public struct Subscription: Sendable {
        public let name: String
        public let messages: AsyncStream<BusMessage>
        let subscriber: Subscriber
        /// Messages this subscriber missed because its buffer was full.
        public var missed: Int { subscriber.drops.withLockedValue { $0.total } }
    }

    let subscribers = NIOLockedValueBox([Subscriber]())

    public init() {}

    /// A new subscriber with room for `capacity` messages (at least 2: one for a `.missed` mark).
    public func subscribe(_ name: String, capacity: Int) -> Subscription {
        let (stream, continuation) = AsyncStream<BusMessage>.makeStream(bufferingPolicy: .bufferingOldest(max(2, capacity)))
        let s = Subscriber(name: name, continuation: continuation)
        subscribers.withLockedValue { $0.append(s) }
        continuation.onTermination = { [weak self] _ in
            self?.subscribers.withLockedValue { $0.removeAll { $0 === s } }
        }
        return Subscription(name: name, messages: stream, subscriber: s)
    }

    /// Hands `message` to every subscriber that has room; never blocks.
    public func publish(_ message: BusMessage) {
        for s in subscribers.withLockedValue({ $0 }) {
            s.drops.withLockedValue { d in
                if d.pending > 0 {
                    guard case .enqueued = s.continuation.yield(.missed(count: d.pending)) else {
                        d.pending += 1
                        d.total += 1
                        return
                    }
                    d.pending = 0
                }
                if case .dropped = s.continuation.yield(message) {
                    d.pending += 1
                    d.total += 1
                }
            }
        }
    }

    /// Subscribers and what each has missed, for metrics and status.
    public var missedBySubscriber: [(name: String, missed: Int)] {
        subscribers.withLockedValue { $0.map { s in (s.name, s.drops.withLockedValue { $0.total }) } }
    }

    /// Ends every subscriber's stream (the pipeline stopped): consumers drain what they hold and finish.
    public func finish() {
        for s in subscribers.withLockedValue({ $0 }) { s.continuation.finish() }
    }
}
