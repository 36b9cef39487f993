import BGPWire
import TOMLKit

/// One RIS Live feed (`[[ris_live]]`, `vigil serve`): RIPE's collectors' updates as they arrive,
/// without peering with anyone.
public struct RISLiveConfig: Sendable, Equatable {
    /// RIPE asks every client to name itself in the URL.
    public static let defaultURL = "wss://ris-live.ripe.net/v1/ws/?client=vigil"
    public var url = defaultURL
    /// The collectors to hear (`rrc00`, `rrc21` …); empty: every one.
    public var collectors: [String] = []
    /// Only updates for these prefixes (and their more specifics unless `more_specific = false`); empty: all.
    public var prefixes: [String] = []
    public var moreSpecific = true
    public var lessSpecific = false
    /// One peer's address, and an AS path pattern as RIS Live reads it (`"^3333,12654$"`).
    public var peer: String?
    public var path: String?
    /// A `ping` this often; no message at all (not even a pong) for `stale`: the stream stalled, reconnect.
    public var ping: Int64 = 30
    public var stale: Int64 = 90
    /// Health: messages stamped this long before they arrive are lagging; no update for `silent` is silence.
    /// A filtered stream (prefixes, peer or path) may be quiet for hours, so it is never called silent unless `silent` is set.
    public var lag: Int64 = 120
    public var silent: Int64?
    /// The RIS beacons as a canary (`beacons = false`: none): the prefixes (default: RIPE's), their
    /// schedule (announced every `beacon_period` from 00:00 UTC, withdrawn `beacon_withdraw_after`
    /// later) and how long after the scheduled time a change must have been heard.
    public var beacons = true
    public var beaconPrefixes: [String] = []
    public var beaconPeriod: Int64 = 4 * 3600
    public var beaconWithdrawAfter: Int64 = 2 * 3600
    public var beaconGrace: Int64 = 900
    /// The starting state (`RISLiveSeed`): each collector's latest RIB and the updates after it, from
    /// a local copy in RIS's layout (`seed_folder`, a folder per collector) or RIS's archive over
    /// HTTP (`seed_mirror`, kept in `seed_cache`); none: the state starts empty.
    public var seedFolder: String?
    public var seedMirror: String?
    public var seedCache = "archive-cache"
    public var seeded: Bool { seedFolder != nil || seedMirror != nil }
    /// Write what arrives as MRT (BGP4MP_ET), a folder per collector under `[archive] directory`, in the collector's layout.
    public var archive = false
    public var filtered: Bool { !prefixes.isEmpty || peer != nil || path != nil }
    public var silentAfter: Int64 { silent ?? (filtered ? CollectConfig.maxDuration : 120) }

    public var name: String { collectors.isEmpty ? "ris-live" : "ris-live \(collectors.joined(separator: ","))" }

    public init() {}

    static let keys: Set<String> = ["url", "collectors", "prefixes", "more_specific", "less_specific", "peer", "path", "ping", "stale", "lag", "silent", "archive",
                                     "beacons", "beacon_prefixes", "beacon_period", "beacon_withdraw_after", "beacon_grace",
                                     "seed_folder", "seed_mirror", "seed_cache"]

    /// Every `[[ris_live]]` of a configuration; `fail(key, what)` names the file and line.
    static func parse(_ t: TOMLTable, fail: (String, String) -> CollectConfig.Problem,
                      duration: (TOMLTable, String, String, Int64) throws -> Int64?) throws -> [RISLiveConfig] {
        guard let v = t["ris_live"] else { return [] }
        guard let list = v.array else { throw fail("ris_live", "must be a list of tables ([[ris_live]])") }
        let feeds = try list.enumerated().map { i, item in
            let path = "ris_live.\(i + 1)"
            guard let tt = item.table else { throw fail(path, "must be a table ([[ris_live]])") }
            for k in tt.keys where !keys.contains(k) {
                throw fail("\(path).\(k)", "unknown key (expected one of: \(keys.sorted().joined(separator: ", ")))")
            }
            func string(_ k: String) throws -> String? {
                guard let v = tt[k] else { return nil }
                guard let s = v.string else { throw fail("\(path).\(k)", "must be a string") }
                return s
            }
            func strings(_ k: String) throws -> [String] {
                guard let v = tt[k] else { return [] }
                guard let a = v.array, let list = Optional(a.compactMap(\.string)), list.count == a.count else {
                    throw fail("\(path).\(k)", "must be a list of strings")
                }
                return list
            }
            func bool(_ k: String) throws -> Bool? {
                guard let v = tt[k] else { return nil }
                guard let b = v.bool else { throw fail("\(path).\(k)", "must be true or false") }
                return b
            }
            var c = RISLiveConfig()
            if let u = try string("url") {
                guard u.hasPrefix("wss://") || u.hasPrefix("ws://") else { throw fail("\(path).url", "'\(u)' is not a ws:// or wss:// URL") }
                c.url = u
            }
            c.collectors = try strings("collectors")
            for h in c.collectors where !(h.hasPrefix("rrc") && h.dropFirst(3).allSatisfy(\.isNumber) && h.count > 3) {
                throw fail("\(path).collectors", "'\(h)' is not a RIS collector (rrc00 … rrc26)")
            }
            c.prefixes = try strings("prefixes")
            for p in c.prefixes where Prefix(p) == nil { throw fail("\(path).prefixes", "'\(p)' is not a prefix like 175.45.176.0/22") }
            if let b = try bool("more_specific") { c.moreSpecific = b }
            if let b = try bool("less_specific") { c.lessSpecific = b }
            if let p = try string("peer") {
                guard IPAddress(p) != nil else { throw fail("\(path).peer", "'\(p)' is not an IP address") }
                c.peer = p
            }
            c.path = try string("path")
            if let d = try duration(tt, "ping", path, 1) { c.ping = d }
            if let d = try duration(tt, "stale", path, 2) { c.stale = d }
            guard c.stale > c.ping else { throw fail("\(path).stale", "must be longer than ping (\(c.ping) s): pongs are what keeps a quiet stream alive") }
            if let d = try duration(tt, "lag", path, 1) { c.lag = d }
            c.silent = try duration(tt, "silent", path, 10)
            if let b = try bool("archive") { c.archive = b }
            if let b = try bool("beacons") { c.beacons = b }
            c.beaconPrefixes = try strings("beacon_prefixes")
            for p in c.beaconPrefixes where Prefix(p) == nil { throw fail("\(path).beacon_prefixes", "'\(p)' is not a prefix like 84.205.64.0/24") }
            if let d = try duration(tt, "beacon_period", path, 2) { c.beaconPeriod = d }
            if let d = try duration(tt, "beacon_withdraw_after", path, 1) { c.beaconWithdrawAfter = d }
            guard c.beaconWithdrawAfter < c.beaconPeriod else {
                throw fail("\(path).beacon_withdraw_after", "must be shorter than beacon_period (\(c.beaconPeriod) s)")
            }
            if let d = try duration(tt, "beacon_grace", path, 1) { c.beaconGrace = d }
            c.seedFolder = try string("seed_folder")
            c.seedMirror = try string("seed_mirror")
            if let m = c.seedMirror, !(m.hasPrefix("http://") || m.hasPrefix("https://")) {
                throw fail("\(path).seed_mirror", "'\(m)' is not an http(s) URL (RIS's archive: https://data.ris.ripe.net)")
            }
            if c.seedFolder != nil && c.seedMirror != nil { throw fail("\(path).seed_mirror", "seed from a folder or a mirror, not both") }
            if c.seeded && c.collectors.isEmpty {
                throw fail("\(path).collectors", "seeding needs the collectors named (each one's RIB is fed): collectors = [\"rrc00\", …]")
            }
            if let v = try string("seed_cache") { c.seedCache = v }
            return c
        }
        // Sources are known by name (health, metrics): two feeds of the same collectors are one, with both filters.
        for (i, f) in feeds.enumerated() where feeds[..<i].contains(where: { $0.name == f.name }) {
            throw fail("ris_live.\(i + 1).collectors", "a second feed of \(f.collectors.isEmpty ? "every collector" : f.collectors.joined(separator: ", ")): merge it into the first [[ris_live]]")
        }
        return feeds
    }
}
