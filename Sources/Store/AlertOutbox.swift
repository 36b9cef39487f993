import Foundation

/// One message waiting for (or given to) one alert channel. The outbox lives in the store so a
/// message the pipeline decided to send survives a restart or a crash until a channel takes it:
/// the dispatcher writes it before anyone tries to deliver it, the deliverer marks it delivered
/// only after the receiver said yes (at least once; `notice` is the idempotency key receivers see).
public struct OutboxItem: Sendable, Equatable {
    /// The store's number for it (0 before it is stored).
    public var id: Int64
    public var channel: String
    /// Unique per message and channel: the event's key, its state and a revision.
    public var notice: String
    /// The event's stable key: the same for its opening, updates and resolution.
    public var key: String
    /// The notice as JSON (schema `vigil.alert/1`); channels format from it.
    public var payload: String
    public var created: Int64
    /// Not tried again before this time (Unix seconds).
    public var nextTry: Int64
    public var attempts: Int
    /// When a receiver took it (nil: pending).
    public var delivered: Int64?
    public var lastError: String
    /// The vantage point whose observatory sends it (set by the store).
    public var vantage: String
    /// The next try of a message never to be sent (silenced): recorded, not pending.
    public static let never = Int64.max

    public init(id: Int64 = 0, channel: String, notice: String, key: String, payload: String, created: Int64, nextTry: Int64? = nil,
                attempts: Int = 0, delivered: Int64? = nil, lastError: String = "", vantage: String = "") {
        (self.id, self.channel, self.notice, self.key, self.payload) = (id, channel, notice, key, payload)
        (self.created, self.nextTry, self.attempts, self.delivered, self.lastError, self.vantage) =
            (created, nextTry ?? created, attempts, delivered, lastError, vantage)
    }
}

/// One try at delivering an outbox item: when, whether the receiver took it, and what it said.
public struct AlertAttempt: Sendable, Equatable {
    public var item: Int64
    public var channel: String
    public var notice: String
    public var at: Int64
    public var delivered: Bool
    public var detail: String
    public init(item: Int64, channel: String, notice: String, at: Int64, delivered: Bool, detail: String) {
        (self.item, self.channel, self.notice, self.at, self.delivered, self.detail) = (item, channel, notice, at, delivered, detail)
    }
}

/// A silence: alerts about entities matching `entity` (a name, or a prefix ending in `*`) are not
/// sent while it lasts; they are recorded as silenced. Kept in the store, so `vigil alerts silence`
/// reaches a running observatory.
public struct Silence: Sendable, Equatable {
    public var entity: String
    public var from: Int64
    public var until: Int64
    public var reason: String
    public init(entity: String, from: Int64, until: Int64, reason: String) {
        (self.entity, self.from, self.until, self.reason) = (entity, from, until, reason)
    }
    public func covers(_ name: String, at t: Int64) -> Bool {
        t >= from && t < until && Self.matches(entity, name)
    }
    /// Whether `pattern` (a name, or a prefix ending in `*`) names `name`: silences and alert rules alike.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
    }
}

/// The in-memory outbox (tests, runs that store nothing).
final class MemoryOutbox: @unchecked Sendable {
    let lock = NSLock()
    var items: [OutboxItem] = []
    var attempts: [AlertAttempt] = []
    var silences: [Silence] = []

    func enqueue(_ list: [OutboxItem], vantage: String) -> Int {
        lock.withLock {
            var added = 0
            for var i in list where !items.contains(where: { $0.vantage == vantage && $0.channel == i.channel && $0.notice == i.notice }) {
                i.id = Int64(items.count + 1)
                i.vantage = vantage
                items.append(i)
                added += 1
            }
            return added
        }
    }
    func pending(vantage: String, channel: String?, due: Int64?, limit: Int) -> [OutboxItem] {
        lock.withLock {
            Array(items.filter { i in
                i.vantage == vantage && i.delivered == nil && i.nextTry < OutboxItem.never && (channel.map { i.channel == $0 } ?? true)
                    && (due.map { i.nextTry <= $0 } ?? true)
            }.sorted { ($0.nextTry, $0.id) < ($1.nextTry, $1.id) }.prefix(limit))
        }
    }
    func record(_ id: Int64, at: Int64, delivered: Bool, detail: String, nextTry: Int64) {
        lock.withLock {
            guard let k = items.firstIndex(where: { $0.id == id }) else { return }
            items[k].attempts += 1
            items[k].nextTry = nextTry
            if delivered { items[k].delivered = at } else { items[k].lastError = detail }
            attempts.append(AlertAttempt(item: id, channel: items[k].channel, notice: items[k].notice, at: at, delivered: delivered, detail: detail))
        }
    }
}

extension MemoryStore {
    public func enqueueAlerts(_ items: [OutboxItem]) async throws -> Int { outbox.enqueue(items, vantage: vantage) }
    public func pendingAlerts(channel: String?, due: Int64?, limit: Int) async throws -> [OutboxItem] {
        outbox.pending(vantage: vantage, channel: channel, due: due, limit: limit)
    }
    public func recordAlertAttempt(_ id: Int64, at: Int64, delivered: Bool, detail: String, nextTry: Int64) async throws {
        outbox.record(id, at: at, delivered: delivered, detail: detail, nextTry: nextTry)
    }
    public func alertOutbox(limit: Int) async throws -> [OutboxItem] {
        outbox.lock.withLock { Array(outbox.items.sorted { ($0.created, $0.id) > ($1.created, $1.id) }.prefix(limit)) }
    }
    public func alertAttempts(limit: Int) async throws -> [AlertAttempt] {
        outbox.lock.withLock { Array(outbox.attempts.reversed().prefix(limit)) }
    }
    public func addSilence(_ s: Silence) async throws { outbox.lock.withLock { outbox.silences.append(s) } }
    public func silences(activeAt t: Int64?) async throws -> [Silence] {
        outbox.lock.withLock { outbox.silences.filter { s in t.map { s.from <= $0 && $0 < s.until } ?? true } }
    }
}
