public import Signals
public import Probing
import Foundation
public import Entities
public import BGPWire

/// Where signals, events and probing results are kept. The embedded default is SQLite;
/// a PostgreSQL backend implements the same protocol, so callers never change. Used from
/// several threads at once (the pipeline writes while probing and readers run): `Sendable`.
public protocol SeriesStore: AnyObject, Sendable {
    /// Writes whole bins, `step` seconds each, for this store's vantage point in one transaction: a
    /// replay stopped at any moment leaves whole bins, and writing a bin again replaces all of it
    /// (an entity not in it is not measured there). Bins come in order from one writer.
    func write(_ rows: [SeriesRow], step: Int64) throws
    /// One entity's bins in [from, until), seen from one vantage point or (nil) all of them combined
    /// (`SeriesRow.combine`). Bins no vantage point observed are absent, never zero.
    func series(entity: String, vantage: String?, from: Int64?, until: Int64?) throws -> [SeriesRow]
    func entityNames() throws -> [String]
    /// Replaces the stored RIR delegations with `map`.
    func saveEntityMap(_ map: EntityMap) throws
    func loadEntityMap() throws -> EntityMap
    /// Records which AS originated each prefix (as of the end of a replay).
    func savePrefixOrigins(_ origins: [(prefix: Prefix, origin: UInt32, seen: Int64)]) throws
    func prefixOrigins() throws -> [(prefix: Prefix, origin: UInt32, seen: Int64)]
    /// Writes events, replacing any with the same entity, kind and start.
    func writeEvents(_ events: [Event]) throws
    func events(entity: String?, from: Int64?, until: Int64?) throws -> [Event]
    /// Data-plane signals: one row per entity per probing round, replacing any of the same round.
    func writeProbes(_ rows: [ProbeRow]) throws
    func probeSeries(entity: String, from: Int64?, until: Int64?) throws -> [ProbeRow]
    /// Probed blocks' latest state and why they are probed, replacing earlier records of the same blocks.
    func writeBlocks(_ blocks: [BlockRecord]) throws
    func blocks(entity: String?) throws -> [BlockRecord]
    /// Entity names starting with `text`, case-insensitive, in order (entity search).
    func searchEntities(_ text: String, limit: Int) throws -> [String]
    /// The entities that lost the largest share of their routed space between the last two bins stored.
    func biggestDrops(limit: Int) throws -> [EntityDrop]
    /// Bins older than `raw` seconds before `now` become hourly (levels at their minimum, counts
    /// summed); hourly data older than `keep` seconds is dropped (nil: kept for ever).
    @discardableResult
    func applyRetention(now: Int64, raw: Int64, keep: Int64?) throws -> RetentionReport
}

extension SeriesStore {
    public func series(entity: String, from: Int64?, until: Int64?) throws -> [SeriesRow] {
        try series(entity: entity, vantage: nil, from: from, until: until)
    }
    public func searchEntities(_ text: String, limit: Int) throws -> [String] { try genericSearch(text, limit: limit) }
    public func biggestDrops(limit: Int) throws -> [EntityDrop] { try genericDrops(limit: limit) }
}

/// Keeps everything in memory: for tests and for runs that store nothing. One lock: writers
/// (the pipeline, the prober) and readers may be on different threads.
public final class MemoryStore: SeriesStore, @unchecked Sendable {
    let lock = NSLock()
    public let vantage: String
    /// Rows by vantage point, bin and entity: a bin is replaced whole.
    var bins: [String: [Int64: [String: SeriesRow]]] = [:]
    var map = EntityMap()
    var stored: [String: Event] = [:]
    var origins: [Prefix: (UInt32, Int64)] = [:]
    var probes: [String: [Int64: ProbeRow]] = [:]
    var blockRecords: [Prefix: BlockRecord] = [:]

    public init(vantage: String = "") { self.vantage = vantage }

    public func write(_ rows: [SeriesRow], step: Int64) throws {
        var fresh: [Int64: [String: SeriesRow]] = [:]
        for r in rows { fresh[r.bin, default: [:]][r.entity] = r }
        lock.withLock { for (b, m) in fresh { bins[vantage, default: [:]][b] = m } }
    }

    public func series(entity: String, vantage: String?, from: Int64?, until: Int64?) throws -> [SeriesRow] {
        lock.withLock {
            SeriesRow.combine(bins.keys.sorted().filter { vantage == nil || $0 == vantage }.map { vp in
                bins[vp]!.compactMap { b, m in
                    (from.map { b >= $0 } ?? true) && (until.map { b < $0 } ?? true) ? m[entity] : nil
                }.sorted { $0.bin < $1.bin }
            })
        }
    }

    public func entityNames() throws -> [String] {
        lock.withLock { Set(bins.values.flatMap { $0.values.flatMap(\.keys) }).sorted() }
    }
    public func saveEntityMap(_ map: EntityMap) throws { lock.withLock { self.map = map } }
    public func loadEntityMap() throws -> EntityMap { lock.withLock { map } }
    @discardableResult
    public func applyRetention(now: Int64, raw: Int64, keep: Int64?) throws -> RetentionReport {
        let cutoff = (now - raw) / 3600 * 3600, gone = keep.map { (now - $0) / 3600 * 3600 }
        var report = RetentionReport()
        lock.withLock {
            for (vp, byBin) in bins {
                var kept = byBin.filter { $0.key >= cutoff }
                var hours: [Int64: [String: SeriesRow]] = [:]
                for (b, m) in byBin where b < cutoff {
                    let h = b / 3600 * 3600
                    for (e, r) in m {
                        var x = r
                        x.bin = h
                        hours[h, default: [:]][e] = hours[h]?[e].map { SeriesRow.rolled($0, x) } ?? x
                    }
                    report.rawRuns += m.count
                }
                for (h, m) in hours { kept[h] = m; report.hourlyRuns += m.count }
                if let gone { kept = kept.filter { $0.key >= gone } }
                bins[vp] = kept
            }
        }
        return report
    }

    public func writeEvents(_ events: [Event]) throws { lock.withLock { for e in events { stored[e.id] = e } } }
    public func events(entity: String?, from: Int64?, until: Int64?) throws -> [Event] {
        lock.withLock {
            stored.values.filter { e in
                (entity == nil || e.entity == entity) && (until.map { e.start < $0 } ?? true) && (from.map { (e.end ?? Int64.max) > $0 } ?? true)
            }.sorted { ($0.start, $0.entity) < ($1.start, $1.entity) }
        }
    }
    public func savePrefixOrigins(_ o: [(prefix: Prefix, origin: UInt32, seen: Int64)]) throws {
        lock.withLock { for x in o { origins[x.prefix] = (x.origin, x.seen) } }
    }
    public func prefixOrigins() throws -> [(prefix: Prefix, origin: UInt32, seen: Int64)] {
        lock.withLock { origins.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.prefix < $1.prefix } }
    }
    public func writeProbes(_ rows: [ProbeRow]) throws { lock.withLock { for r in rows { probes[r.entity, default: [:]][r.time] = r } } }
    public func probeSeries(entity: String, from: Int64?, until: Int64?) throws -> [ProbeRow] {
        lock.withLock {
            (probes[entity] ?? [:]).values.filter { r in (from.map { r.time >= $0 } ?? true) && (until.map { r.time < $0 } ?? true) }
                .sorted { $0.time < $1.time }
        }
    }
    public func writeBlocks(_ blocks: [BlockRecord]) throws {
        lock.withLock { for b in blocks { blockRecords[b.block] = b } }
    }
    public func blocks(entity: String?) throws -> [BlockRecord] {
        lock.withLock { blockRecords.values.filter { entity == nil || $0.entity == entity }.sorted { $0.block < $1.block } }
    }
}

/// The one place a store is opened from a location: "" or nil keeps everything in memory,
/// `postgres://…` is a shared PostgreSQL database, anything else a SQLite file.
public enum Stores {
    public static func open(_ location: String?, readOnly: Bool = false, vantage: String = "") throws -> any SeriesStore {
        // Nothing to read from is an error (SQLiteStore says so); nothing to write to keeps it in memory.
        guard let location, !location.isEmpty || readOnly else { return MemoryStore(vantage: vantage) }
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            return try PostgresStore(url: location, vantage: vantage)
        }
        return try SQLiteStore(path: location, readOnly: readOnly, vantage: vantage)
    }
}
