public import BGPWire
public import Entities
public import Probing
import TOMLKit
import TOMLKeys

/// `vigil collect`'s configuration (format in README.md, "Live collector"):
/// one TOML file for peers, the BMP listener, archives, the store and detection.
/// Every problem is reported with the file, line and key; unknown keys are
/// errors, because a misspelt key silently ignored is a peer never collected.
public struct CollectConfig: Sendable {
    public struct Listen: Sendable, Equatable {
        public var host: String
        public var port: Int
    }
    public struct Peer: Sendable {
        public var address: IPAddress
        public var asn: UInt32?
        /// Dial out (with backoff) rather than wait for the peer.
        public var active: Bool
        public var port: Int
        public var description: String
        /// Most routes it may hold (nil: the collector's `max_prefixes`, if any).
        public var maxPrefixes: Int?
        /// TCP MD5 signature key (RFC 2385), and GTSM (RFC 5082).
        public var password: String?
        public var ttlSecurity = false
    }

    public var name = "vigil00"
    public var localAS: UInt32 = 65535
    public var routerID: UInt32 = 0x7F00_0001
    public var holdTime: UInt16 = 180
    public var listen: [Listen] = []
    public var peers: [Peer] = []
    public var bmpListen: [Listen] = []
    /// Sessions from any address with any AS, not only the configured peers (labs only).
    public var acceptAny = false
    /// Routers allowed to open a BMP session; empty refuses every one unless `bmpAcceptAny`.
    public var bmpRouters: [IPAddress] = []
    public var bmpAcceptAny = false
    /// Seconds a new connection may take to send its OPEN and KEEPALIVE.
    public var openTimeout = 30
    /// Most BGP connections at once, configured peers or not.
    public var maxConnections = 256
    /// Most elements waiting for the pipeline; past it sockets are not read until it drains.
    public var queueLimit = 100_000
    /// Most routes a peer may hold when its [[peer]] sets no `max_prefixes` (nil: no limit).
    public var maxPrefixes: Int?
    /// Share of a peer's `max_prefixes` at which a warning is logged.
    public var maxPrefixesWarning = 0.9
    /// Archives go under `archiveDirectory/name/`; nil: no archive.
    public var archiveDirectory: String? = "archive"
    public var updatesInterval: Int64 = 300
    public var ribInterval: Int64 = 8 * 3600
    public var gzip = true
    public var gzipLevel: Int32 = 1
    /// `[archive] retention` and `max_size`: files older, or beyond the size, are removed (oldest first).
    public var archiveRetention: Int64?
    public var archiveMaxBytes: Int64?
    public var database: String? = "vigil.sqlite"
    /// `[store] vantage`: the name this process writes its series and events under ("" alone).
    public var vantage = ""
    /// `[store] raw_retention`: bins older than this become hourly; `hourly_retention`: hourly data
    /// older than this is dropped (nil: kept).
    public var rawRetention: Int64 = 30 * 86_400
    public var hourlyRetention: Int64?
    public var statusFile: String? = "vigil-status.json"
    public var bin: Int64 = 300
    public var watch: [Entity] = []
    public var fullFeedV4 = 400_000
    public var fullFeedV6 = 10_000
    /// Live detection: how long the routed space must be seen before it is a baseline, and its window.
    public var liveWarmup: Int64 = 600
    public var liveWindow: Int64 = 3600
    /// Live detection: how long a loss must last to be an outage (shorter: a blip), as the bin detector's minimum.
    public var liveMinimumOutage: Int64 = 300
    /// Without a watch list: rows stored only for this many origin ASes per bin (the most routed space).
    public var topEntities: Int?
    /// `[detect] clock`: what closes bins, "wall" or "data" (nil: the wall clock beside live sources,
    /// the data's time for archive followers alone).
    public var clock: String?
    public var eventsFile: String?
    /// Active probing (`[probe]`); nil: off (it stays off until targets are configured).
    public var probe: ProbePlan?
    /// "raw", "datagram" (the unprivileged ICMP socket) or "auto".
    public var probeSocket = "raw"
    /// "socket" (the kernel routes each probe) or "packet" (IPv4 as link-layer frames, faster).
    public var probeSender = "socket"
    /// Data-plane detection: share of judged blocks down for an outage, RTT factor over
    /// the baseline for a degradation, rounds of history before a baseline is trusted.
    public var probeDownShare = 0.1
    public var probeRTTFactor = 3.0
    public var probeBaselineRounds = 3
    /// Archive followers (`[[follow]]`, `vigil serve`): published archives as a feed.
    public var follows: [Follow] = []
    /// RIS Live feeds (`[[ris_live]]`, `vigil serve`).
    public var risLive: [RISLiveConfig] = []
    /// The metrics and status endpoint (`[metrics] listen`); nil: the command's default
    /// (`vigil serve`: 127.0.0.1:9473; `vigil collect`: off), unless `metricsOff`.
    public var metricsListen: Listen?
    /// `[metrics] listen = ""`: no endpoint at all.
    public var metricsOff = false
    public static let defaultMetricsListen = Listen(host: "127.0.0.1", port: 9473)
    /// `[log] level`: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// The user to run as once privileged sockets are open (`[process] user`); nil: stay as started.
    public var user: String?
    /// Alert channels and rules (`[alerts]`, `[[channel]]`, `[[rule]]`); none: no alerts.
    public var alerts = AlertsConfig()

    /// One archive follower: a local folder, or a mirror in the RIS or RouteViews layout.
    public struct Follow: Sendable, Equatable {
        public var folder: String?
        public var mirror: String?
        /// The collector's name (`rrc00`, `route-views2`): the layout of a mirror, a label for a folder.
        public var collector: String?
        /// Where a mirror's files are kept.
        public var cache = "archive-cache"
        public var poll: Int64 = 30
        /// Where to start (nil: now): the last RIB at or before it, then the updates.
        public var start: Int64?
        /// Newest data older than this: the follower is lagging; nothing new for `silent`: silent.
        public var lag: Int64 = 1800
        public var silent: Int64 = 3600
        public var name: String { collector ?? folder ?? mirror ?? "follow" }
    }

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init() {}

    static let keys: [String: Set<String>] = [
        "": ["collector", "peer", "bmp", "archive", "store", "detect", "probe", "follow", "metrics", "log", "process", "alerts", "channel", "rule", "silence",
             "ris_live"],
        "process": ["user"],
        "follow": ["folder", "mirror", "collector", "cache", "poll", "start", "lag", "silent"],
        "metrics": ["listen"],
        "log": ["level"],
        "collector": ["name", "local_as", "router_id", "hold_time", "listen", "accept_any", "open_timeout", "max_connections",
                      "max_prefixes", "max_prefixes_warning", "queue_limit"],
        "peer": ["address", "as", "mode", "port", "description", "max_prefixes", "password", "ttl_security"],
        "bmp": ["listen", "routers", "accept_any"],
        "archive": ["directory", "updates_interval", "rib_interval", "gzip", "gzip_level", "retention", "max_size"],
        "store": ["database", "url", "vantage", "raw_retention", "hourly_retention", "status_file", "events_file"],
        "detect": ["bin", "watch", "full_feed_v4", "full_feed_v6", "live_warmup", "live_window", "live_min_outage", "top_entities", "clock"],
        "probe": ["rate", "max_rate", "round", "timeout", "max_probes", "census_interval", "socket", "sender", "never", "target", "down_share",
                  "rtt_factor", "baseline_rounds", "max_blocks"],
        "probe.target": ["prefix", "entity", "why", "hosts"],
    ]

    /// `forProbing`: read for `vigil probe` — the BGP side may be absent, `[probe]` targets may not.
    public init(toml text: String, file: String, forProbing: Bool = false) throws {
        let lines = KeyLines(text)
        func fail(_ key: String, _ what: String) -> Problem { Problem(description: lines.problem(file, key, what)) }
        let t = try KeyLines.table(text, file: file) { Problem(description: $0) }
        func checkKeys(_ table: TOMLTable, _ section: String, _ path: String) throws {
            let allowed = Self.keys[section] ?? []
            for k in table.keys where !allowed.contains(k) {
                let full = path.isEmpty ? k : "\(path).\(k)"
                throw fail(full, "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        try checkKeys(t, "", "")
        func table(_ key: String) throws -> TOMLTable? {
            guard let v = t[key] else { return nil }
            guard let tt = v.table else { throw fail(key, "must be a table ([\(key)])") }
            try checkKeys(tt, key, key)
            return tt
        }
        func int(_ tt: TOMLTable, _ k: String, _ path: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let v = tt[k] else { return nil }
            guard let i = v.int else { throw fail("\(path).\(k)", "must be an integer") }
            guard range.contains(i) else { throw fail("\(path).\(k)", "\(i) is out of range \(range.lowerBound)...\(range.upperBound)") }
            return i
        }
        func string(_ tt: TOMLTable, _ k: String, _ path: String) throws -> String? {
            guard let v = tt[k] else { return nil }
            guard let s = v.string else { throw fail("\(path).\(k)", "must be a string") }
            return s
        }
        func bool(_ tt: TOMLTable, _ k: String, _ path: String) throws -> Bool? {
            guard let v = tt[k] else { return nil }
            guard let b = v.bool else { throw fail("\(path).\(k)", "must be true or false") }
            return b
        }
        func duration(_ tt: TOMLTable, _ k: String, _ path: String, min: Int64) throws -> Int64? {
            guard let v = tt[k] else { return nil }
            let secs: Int64?
            if let i = v.int { secs = Int64(i) } else if let s = v.string { secs = Self.parseDuration(s) } else { secs = nil }
            guard let secs else { throw fail("\(path).\(k)", "must be seconds or a duration like \"30s\", \"5m\", \"8h\"") }
            guard secs >= min else { throw fail("\(path).\(k)", "must be at least \(min) seconds") }
            guard secs <= Self.maxDuration else { throw fail("\(path).\(k)", "must be at most \(Self.maxDuration) seconds (a year)") }
            return secs
        }
        func listens(_ tt: TOMLTable, _ k: String, _ path: String) throws -> [Listen]? {
            guard let v = tt[k] else { return nil }
            let items: [any TOMLValueConvertible]
            if let s = v.string { items = [s] } else if let a = v.array { items = Array(a) } else {
                throw fail("\(path).\(k)", "must be \"HOST:PORT\" or a list of them")
            }
            return try items.map { item in
                guard let s = item.string, let l = Self.parseListen(s) else {
                    throw fail("\(path).\(k)", "'\(item.string ?? "\(item)")' is not HOST:PORT (IPv6 as [ADDR]:PORT)")
                }
                return l
            }
        }

        if let c = try table("collector") {
            if let s = try string(c, "name", "collector") {
                guard !s.isEmpty, s.utf8.count <= 64, s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                    throw fail("collector.name", "must be 1 to 64 letters, digits, - or _ (it names the archive directory)")
                }
                name = s
            }
            if let v = try int(c, "local_as", "collector", 1...Int(UInt32.max)) { localAS = UInt32(v) }
            if let s = try string(c, "router_id", "collector") {
                guard case let .v4(a)? = IPAddress(s), a != 0 else { throw fail("collector.router_id", "'\(s)' is not a non-zero IPv4 address") }
                routerID = a
            }
            if let v = try int(c, "hold_time", "collector", 0...65535) {
                guard v == 0 || v >= 3 else { throw fail("collector.hold_time", "must be 0 or at least 3 (RFC 4271)") }
                holdTime = UInt16(v)
            }
            if let l = try listens(c, "listen", "collector") { listen = l }
            if let b = try bool(c, "accept_any", "collector") { acceptAny = b }
            if let v = try duration(c, "open_timeout", "collector", min: 1) {
                guard v <= 240 else { throw fail("collector.open_timeout", "must be at most 240 seconds (RFC 4271's large value)") }
                openTimeout = Int(v)
            }
            if let v = try int(c, "max_connections", "collector", 1...100_000) { maxConnections = v }
            if let v = try int(c, "queue_limit", "collector", 1_000...100_000_000) { queueLimit = v }
            if let v = try int(c, "max_prefixes", "collector", 1...100_000_000) { maxPrefixes = v }
            if let v = try int(c, "max_prefixes_warning", "collector", 1...100) { maxPrefixesWarning = Double(v) / 100 }
        }
        if let v = t["peer"] {
            guard let arr = v.array else { throw fail("peer", "must be a list of tables ([[peer]])") }
            for (i, item) in arr.enumerated() {
                let path = "peer.\(i + 1)"
                guard let pt = item.table else { throw fail(path, "must be a table ([[peer]])") }
                try checkKeys(pt, "peer", path)
                guard let s = try string(pt, "address", path) else { throw fail(path, "needs 'address'") }
                guard let a = IPAddress(s) else { throw fail("\(path).address", "'\(s)' is not an IP address") }
                let mode = try string(pt, "mode", path) ?? "passive"
                guard mode == "passive" || mode == "active" else { throw fail("\(path).mode", "must be \"passive\" or \"active\"") }
                let asn = try int(pt, "as", path, 1...Int(UInt32.max)).map(UInt32.init)
                if mode == "active" && asn == nil { throw fail(path, "an active peer needs 'as'") }
                if peers.contains(where: { $0.address == a }) { throw fail("\(path).address", "\(a) is configured twice") }
                let password = try string(pt, "password", path)
                if let p = password, p.utf8.isEmpty || p.utf8.count > 80 {
                    throw fail("\(path).password", "must be 1 to 80 bytes (TCP_MD5SIG_MAXKEYLEN)")
                }
                peers.append(Peer(address: a, asn: asn, active: mode == "active", port: try int(pt, "port", path, 1...65535) ?? 179,
                                  description: try string(pt, "description", path) ?? "",
                                  maxPrefixes: try int(pt, "max_prefixes", path, 1...100_000_000),
                                  password: password, ttlSecurity: try bool(pt, "ttl_security", path) ?? false))
            }
        }
        if let b = try table("bmp") {
            if let l = try listens(b, "listen", "bmp") { bmpListen = l }
            if let v = b["routers"] {
                guard let arr = v.array else { throw fail("bmp.routers", "must be a list of addresses like [\"192.0.2.1\", \"2001:db8::1\"]") }
                bmpRouters = try arr.map { item in
                    guard let s = item.string, let a = IPAddress(s) else { throw fail("bmp.routers", "'\(item.string ?? "\(item)")' is not an IP address") }
                    return a
                }
            }
            if let v = try bool(b, "accept_any", "bmp") { bmpAcceptAny = v }
        }
        if let a = try table("archive") {
            if let s = try string(a, "directory", "archive") { archiveDirectory = s.isEmpty ? nil : s }
            if let v = try duration(a, "updates_interval", "archive", min: 60) { updatesInterval = v }
            if let v = try duration(a, "rib_interval", "archive", min: 60) { ribInterval = v }
            if let v = try int(a, "gzip_level", "archive", 1...9) { gzipLevel = Int32(v) }
            if let b = try bool(a, "gzip", "archive") { gzip = b }
            if let v = a["retention"] {
                guard let s = v.string, let secs = Self.parseDuration(s), secs >= 3600, secs <= 20 * Self.maxDuration else {
                    throw fail("archive.retention", "must be a duration from \"1h\" to \"7320d\" (like \"90d\")")
                }
                archiveRetention = secs
            }
            if let v = a["max_size"] {
                guard let bytes = v.int.map(Int64.init) ?? v.string.flatMap(Self.parseSize), bytes >= 1_000_000 else {
                    throw fail("archive.max_size", "must be bytes or a size like \"500M\", \"50G\", \"2T\" (at least 1M)")
                }
                archiveMaxBytes = bytes
            }
        }
        if let s = try table("store") {
            if s["database"] != nil && s["url"] != nil { throw fail("store.url", "give the store as url or as database, not both") }
            if let v = try string(s, "database", "store") ?? string(s, "url", "store") { database = v.isEmpty ? nil : v }
            if let v = try string(s, "vantage", "store") {
                guard v.utf8.count <= 64, v.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
                    throw fail("store.vantage", "must be up to 64 letters, digits, '-', '_' or '.'")
                }
                vantage = v
            }
            for (key, min) in [("raw_retention", Int64(86_400)), ("hourly_retention", Int64(86_400))] {
                guard let v = s[key] else { continue }
                guard let str = v.string, let secs = Self.parseDuration(str), secs >= min, secs <= 20 * Self.maxDuration else {
                    throw fail("store.\(key)", "must be a duration from \"1d\" to \"7320d\" (like \"30d\")")
                }
                if key == "raw_retention" { rawRetention = secs } else { hourlyRetention = secs }
            }
            if let h = hourlyRetention, h < rawRetention {
                throw fail("store.hourly_retention", "must be at least raw_retention: hourly data is what raw bins become")
            }
            if let v = try string(s, "status_file", "store") { statusFile = v.isEmpty ? nil : v }
            if let v = try string(s, "events_file", "store") { eventsFile = v.isEmpty ? nil : v }
        }
        if let d = try table("detect") {
            if let v = try duration(d, "bin", "detect", min: 1) { bin = v }
            if let v = d["watch"] {
                guard let arr = v.array else { throw fail("detect.watch", "must be a list like [\"AS131279\", \"KP\", \"175.45.176.0/22\"]") }
                watch = try arr.map { item in
                    guard let s = item.string, let e = Entity(s) else {
                        throw fail("detect.watch", "'\(item.string ?? "\(item)")' is not a country code, ASn or prefix")
                    }
                    return e
                }
            }
            if let v = try int(d, "full_feed_v4", "detect", 1...10_000_000) { fullFeedV4 = v }
            if let v = try int(d, "full_feed_v6", "detect", 1...10_000_000) { fullFeedV6 = v }
            if let v = try duration(d, "live_warmup", "detect", min: 1) { liveWarmup = v }
            if let v = try duration(d, "live_window", "detect", min: 1) { liveWindow = v }
            if let v = try duration(d, "live_min_outage", "detect", min: 0) { liveMinimumOutage = v }
            if let v = try int(d, "top_entities", "detect", 1...10_000_000) { topEntities = v }
            if let v = try string(d, "clock", "detect") {
                guard v == "wall" || v == "data" else { throw fail("detect.clock", "must be \"wall\" or \"data\"") }
                clock = v
            }
        }
        if let p = try table("probe") {
            try parseProbe(p, fail: fail, checkKeys: checkKeys, int: int, string: string, duration: duration)
        }
        if let v = t["follow"] {
            guard let arr = v.array else { throw fail("follow", "must be a list of tables ([[follow]])") }
            for (i, item) in arr.enumerated() {
                let path = "follow.\(i + 1)"
                guard let ft = item.table else { throw fail(path, "must be a table ([[follow]])") }
                try checkKeys(ft, "follow", path)
                var f = Follow()
                f.folder = try string(ft, "folder", path)
                f.mirror = try string(ft, "mirror", path)
                f.collector = try string(ft, "collector", path)
                guard (f.folder == nil) != (f.mirror == nil) else { throw fail(path, "needs either 'folder' (a local directory) or 'mirror' (an http(s) URL)") }
                if let m = f.mirror {
                    guard m.hasPrefix("http://") || m.hasPrefix("https://") else { throw fail("\(path).mirror", "'\(m)' is not an http(s) URL") }
                    guard let c = f.collector else { throw fail(path, "a mirror needs 'collector' (rrc00 … rrc26, route-views2, route-views.linx …)") }
                    guard c.hasPrefix("rrc") || c.hasPrefix("route-views") else {
                        throw fail("\(path).collector", "'\(c)' is neither a RIS (rrcNN) nor a RouteViews (route-views…) collector")
                    }
                }
                if let c = try string(ft, "cache", path) { f.cache = c }
                if let v = try duration(ft, "poll", path, min: 1) { f.poll = v }
                if let v = try duration(ft, "lag", path, min: 60) { f.lag = v }
                if let v = try duration(ft, "silent", path, min: 60) { f.silent = v }
                if let s = try string(ft, "start", path) {
                    guard let t = UTCTime.parse(s) else { throw fail("\(path).start", "'\(s)' is not a time like 2026-12-01T16:00Z") }
                    f.start = t
                }
                follows.append(f)
            }
        }
        if let m = try table("metrics"), let v = try string(m, "listen", "metrics") {
            if v.isEmpty { metricsOff = true } else {
                guard let l = Self.parseListen(v) else { throw fail("metrics.listen", "'\(v)' is not HOST:PORT (IPv6 as [ADDR]:PORT)") }
                metricsListen = l
            }
        }
        if let p = try table("process"), let u = try string(p, "user", "process") {
            guard !u.isEmpty else { throw fail("process.user", "must name a user") }
            user = u
        }
        if let l = try table("log"), let v = try string(l, "level", "log") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(v) else { throw fail("log.level", "'\(v)' is not one of \(levels.joined(separator: ", "))") }
            logLevel = v
        }
        alerts = try AlertsConfig.parse(t, fail: fail) { tt, k, path, min in try duration(tt, k, path, min: min) }
        risLive = try RISLiveConfig.parse(t, fail: fail) { tt, k, path, min in try duration(tt, k, path, min: min) }
        if let i = risLive.firstIndex(where: \.archive), archiveDirectory == nil {
            throw fail("ris_live.\(i + 1).archive", "needs [archive] directory (where each collector's folder goes)")
        }
        if forProbing {
            guard probe != nil else { throw Problem(description: "\(file): nothing to probe: add a [probe] section with [[probe.target]] prefixes") }
            return
        }
        if listen.isEmpty && bmpListen.isEmpty && !peers.contains(where: \.active) && follows.isEmpty && risLive.isEmpty && probe == nil {
            throw Problem(description: "\(file): nothing to collect from: set collector.listen, bmp.listen, an active [[peer]], a [[follow]], a [[ris_live]] or [probe] targets")
        }
        if peers.contains(where: { !$0.active }) && listen.isEmpty {
            throw fail("collector.listen", "passive peers are configured but the collector listens nowhere")
        }
    }

    /// "500M", "50G", "2T" (powers of 1000), or plain bytes.
    static func parseSize(_ s: String) -> Int64? {
        guard let last = s.last else { return nil }
        let units: [Character: Int64] = ["K": 1_000, "M": 1_000_000, "G": 1_000_000_000, "T": 1_000_000_000_000]
        guard let unit = units[Character(last.uppercased())] else { return Int64(s) }
        guard let n = Int64(s.dropLast()), n >= 0 else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: unit)
        return overflow ? nil : v
    }

    /// The longest duration a setting may have: longer ones are typos, and bins,
    /// rounds and windows are multiplied by small counts downstream.
    public static let maxDuration: Int64 = 366 * 86_400

    /// `30s`, `5m`, `8h`, `1d`, or plain seconds (nil when it overflows).
    public static func parseDuration(_ s: String) -> Int64? {
        guard let last = s.last else { return nil }
        let unit: Int64
        switch last {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86_400
        default: return Int64(s)
        }
        guard let n = Int64(s.dropLast()) else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: unit)
        return overflow ? nil : v
    }

    /// `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` (all IPv4 addresses).
    public static func parseListen(_ s: String) -> Listen? {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(s[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        guard IPAddress(host) != nil else { return nil }
        return Listen(host: host, port: port)
    }

    /// The configured peer for an address, if any.
    public func peer(_ address: IPAddress) -> Peer? { peers.first { $0.address == address } }
}
