public import BGPWire
import NIOConcurrencyHelpers

/// Every session's state as `vigil collect --status` shows it; written by the
/// sessions' event loops, read by whoever reports.
public final class SessionRegistry: @unchecked Sendable {
    public struct Entry: Sendable, Codable, Equatable {
        public var address: String
        public var asn: UInt32 = 0
        public var state = "Idle"
        /// Since when in this state (Unix seconds); 0 never.
        public var since: UInt32 = 0
        public var messages = 0
        public var updates = 0
        public var lastMessage: UInt32 = 0
        public var connections = 0
        public var lastError: String?
        /// Routes held from this peer (filled in from the routing state by the reporter).
        public var routes = 0
        public var via = "bgp"

        public init(address: String) { self.address = address }
    }

    let lock = NIOLock()
    var entries: [IPAddress: Entry] = [:]

    public init() {}

    public func update(_ address: IPAddress, _ body: (inout Entry) -> Void) {
        lock.withLock {
            var e = entries[address] ?? Entry(address: address.description)
            body(&e)
            entries[address] = e
        }
    }

    /// Forgets the sessions of peers that are not configured (`accept_any`) once they have been
    /// idle for `idle` seconds: addresses that came and went must not grow the table for ever.
    @discardableResult
    public func prune(keeping configured: Set<IPAddress>, idle: UInt32, now: UInt32) -> Int {
        lock.withLock {
            let before = entries.count
            entries = entries.filter { address, e in
                configured.contains(address) || e.state != "Idle" || now &- max(e.since, e.lastMessage) < idle
            }
            return before - entries.count
        }
    }

    public func snapshot() -> [Entry] {
        lock.withLock { entries.values.sorted { $0.address < $1.address } }
    }
}
