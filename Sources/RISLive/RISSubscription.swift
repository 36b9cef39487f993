import Foundation

/// A RIS Live subscription (`ris_subscribe`): what the stream sends. Every filter left nil is
/// "everything"; the server applies them. It is sent again on every reconnect (a new socket
/// starts with no subscriptions).
public struct RISSubscription: Sendable, Equatable {
    /// One collector (`rrc21`); nil: all of them.
    public var host: String?
    /// UPDATE, RIS_PEER_STATE, OPEN, NOTIFICATION or KEEPALIVE; nil: all.
    public var type: String?
    /// "announcements" or "withdrawals": only messages that carry them.
    public var require: String?
    /// An AS path pattern as RIS Live reads it (`"^3333,12654$"`, an AS number alone, `!` to negate).
    public var path: String?
    /// One peer's address.
    public var peer: String?
    /// Prefixes to watch (each its own subscription on the server), with their more or less specifics.
    public var prefixes: [String]
    public var moreSpecific: Bool
    public var lessSpecific: Bool
    /// Each BGP message as sent (hex), for exact decoding.
    public var includeRaw: Bool

    public init(host: String? = nil, type: String? = nil, require: String? = nil, path: String? = nil, peer: String? = nil,
                prefixes: [String] = [], moreSpecific: Bool = true, lessSpecific: Bool = false, includeRaw: Bool = true) {
        (self.host, self.type, self.require, self.path, self.peer) = (host, type, require, path, peer)
        (self.prefixes, self.moreSpecific, self.lessSpecific, self.includeRaw) = (prefixes, moreSpecific, lessSpecific, includeRaw)
    }

    /// The `ris_subscribe` message, acknowledged (`ris_subscribe_ok`) so a subscription the server refused is seen.
    public var message: String {
        var data: [String: Any] = ["moreSpecific": moreSpecific, "lessSpecific": lessSpecific,
                                   "socketOptions": ["includeRaw": includeRaw, "acknowledge": true]]
        if let host { data["host"] = host }
        if let type { data["type"] = type }
        if let require { data["require"] = require }
        if let path { data["path"] = path }
        if let peer { data["peer"] = peer }
        if prefixes.count == 1 { data["prefix"] = prefixes[0] } else if !prefixes.isEmpty { data["prefix"] = prefixes }
        let json = try! JSONSerialization.data(withJSONObject: ["type": "ris_subscribe", "data": data], options: [.sortedKeys])
        return String(decoding: json, as: UTF8.self)
    }

    public static let ping = #"{"type":"ping"}"#
}
