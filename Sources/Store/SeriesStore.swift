public import Signals
public import Probing
import Foundation
public import Entities
public import BGPWire

/// Where signals, events and probing results are kept. The embedded default is SQLite;
/// a PostgreSQL backend implements the same protocol, so callers never change. Used from
/// several threads at once (the pipeline writes while probing and readers run): `Sendable`.
public protocol SeriesStore: AnyObject, Sendable {
    /// The vantage point this store writes as ("" when there is one): series, events, feed health
    /// and probes written through it carry its name; reads choose one vantage point or all.
    var vantage: String { get }
    /// Writes whole bins, `step` seconds each, for this store's vantage point in one transaction: a
    /// replay stopped at any moment leaves whole bins, and writing a bin again replaces all of it
    /// (an entity not in it is not measured there). Bins come in order from one writer.
    func write(_ rows: [SeriesRow], step: Int64) async throws
    /// One entity's bins in [from, until), seen from one vantage point or (nil) all of them combined
    /// (`SeriesRow.combine`). Bins no vantage point observed are absent, never zero.
    func series(entity: String, vantage: String?, from: Int64?, until: Int64?) async throws -> [SeriesRow]
    func entityNames() async throws -> [String]
    /// Replaces the stored RIR delegations with `map`.
    func saveEntityMap(_ map: EntityMap) async throws
    func loadEntityMap() async throws -> EntityMap
    /// Records which AS originated each prefix (as of the end of a replay).
    func savePrefixOrigins(_ origins: [(prefix: Prefix, origin: UInt32, seen: Int64)]) async throws
    func prefixOrigins() async throws -> [(prefix: Prefix, origin: UInt32, seen: Int64)]
    /// Writes events as this store's vantage point saw them, replacing any of its own with the same
    /// entity, kind and start (another vantage point's events of the same are kept beside them).
    func writeEvents(_ events: [Event]) async throws
    /// Events overlapping [from, until) seen from one vantage point or (nil) each of them, every
    /// event carrying its vantage point's name (`Agreement` combines them).
    func events(entity: String?, vantage: String?, from: Int64?, until: Int64?) async throws -> [Event]
    /// Records the health of this vantage point's sources (replacing their earlier records).
    func writeSourceHealth(_ health: [SourceHealth]) async throws
    /// The last recorded health of the sources of one vantage point or (nil) all, by vantage point and source.
    func sourceHealth(vantage: String?) async throws -> [SourceHealth]
    /// Data-plane signals: one row per entity per probing round of this vantage point's prober,
    /// replacing any of the same round.
    func writeProbes(_ rows: [ProbeRow]) async throws
    /// One vantage point's probing rounds, or (nil) every vantage point's, in time order.
    func probeSeries(entity: String, vantage: String?, from: Int64?, until: Int64?) async throws -> [ProbeRow]
    /// This vantage point's probed blocks: their latest state and why they are probed, replacing earlier records.
    func writeBlocks(_ blocks: [BlockRecord]) async throws
    /// One vantage point's probed blocks, or (nil) every vantage point's, by block.
    func blocks(entity: String?, vantage: String?) async throws -> [BlockRecord]
    /// Entity names starting with `text`, case-insensitive, in order (entity search).
    func searchEntities(_ text: String, limit: Int) async throws -> [String]
    /// The entities that lost the largest share of their routed space between the last two bins stored.
    func biggestDrops(limit: Int) async throws -> [EntityDrop]
    /// Bins older than `raw` seconds before `now` become hourly (levels at their minimum, counts
    /// summed); hourly data older than `keep` seconds is dropped (nil: kept for ever).
    @discardableResult
    func applyRetention(now: Int64, raw: Int64, keep: Int64?) async throws -> RetentionReport

    /// Alert messages for this vantage point's channels (see `OutboxItem`), written before anyone
    /// tries to deliver them; one already there (same channel and notice) is not added again.
    /// Returns how many were added.
    @discardableResult
    func enqueueAlerts(_ items: [OutboxItem]) async throws -> Int
    /// This vantage point's undelivered messages for `channel` (nil: every channel) due by `due`
    /// (nil: whenever), oldest first; silenced ones (`OutboxItem.never`) are never pending.
    func pendingAlerts(channel: String?, due: Int64?, limit: Int) async throws -> [OutboxItem]
    /// One try at delivering item `id`: recorded whatever its outcome; a failure is tried again from `nextTry`.
    func recordAlertAttempt(_ id: Int64, at: Int64, delivered: Bool, detail: String, nextTry: Int64) async throws
    /// Every vantage point's messages, newest first (`vigil alerts list`).
    func alertOutbox(limit: Int) async throws -> [OutboxItem]
    /// Every delivery attempt, newest first.
    func alertAttempts(limit: Int) async throws -> [AlertAttempt]
    func addSilence(_ silence: Silence) async throws
    /// Silences in force at `t` (nil: all of them).
    func silences(activeAt t: Int64?) async throws -> [Silence]
    /// A writer that is done (a replay's end): what it wrote is in the database itself, not in a
    /// side file a copy or a reader without write access could miss (SQLite's WAL).
    func finishWriting() async throws
}

extension SeriesStore {
    public func finishWriting() async throws {}

    /// Every vantage point's series combined.
    public func series(entity: String, from: Int64?, until: Int64?) async throws -> [SeriesRow] {
        try await series(entity: entity, vantage: nil, from: from, until: until)
    }
    /// Every vantage point's events.
    public func events(entity: String?, from: Int64?, until: Int64?) async throws -> [Event] {
        try await events(entity: entity, vantage: nil, from: from, until: until)
    }
    /// Every vantage point's probing rounds.
    public func probeSeries(entity: String, from: Int64?, until: Int64?) async throws -> [ProbeRow] {
        try await probeSeries(entity: entity, vantage: nil, from: from, until: until)
    }
    /// Every vantage point's probed blocks.
    public func blocks(entity: String?) async throws -> [BlockRecord] { try await blocks(entity: entity, vantage: nil) }
    public func searchEntities(_ text: String, limit: Int) async throws -> [String] { try await genericSearch(text, limit: limit) }
    public func biggestDrops(limit: Int) async throws -> [EntityDrop] { try await genericDrops(limit: limit) }
}

/// Keeps everything in memory: for tests and for runs that store nothing. One lock: writers
/// (the pipeline, the prober) and readers may be on different threads.
public final class MemoryStore: SeriesStore, @unchecked Sendable {
    let lock = NSLock()
    public let vantage: String
    /// Rows by vantage point, bin and entity: a bin is replaced whole.
    var bins: [String: [Int64: [String: SeriesRow]]] = [:]
    var map = EntityMap()
    /// Events by vantage point and id.
    var stored: [String: [String: Event]] = [:]
    var health: [String: [String: SourceHealth]] = [:]
    var origins: [Prefix: (UInt32, Int64)] = [:]
    /// Probing rounds by vantage point, entity and time; blocks by vantage point and block.
    var probes: [String: [String: [Int64: ProbeRow]]] = [:]
    var blockRecords: [String: [Prefix: BlockRecord]] = [:]
    let outbox = MemoryOutbox()

    public init(vantage: String = "") { self.vantage = vantage }

    public func write(_ rows: [SeriesRow], step: Int64) async throws {
        var fresh: [Int64: [String: SeriesRow]] = [:]
        for r in rows { fresh[r.bin, default: [:]][r.entity] = r }
        lock.withLock { for (b, m) in fresh { bins[vantage, default: [:]][b] = m } }
    }

    public func series(entity: String, vantage: String?, from: Int64?, until: Int64?) async throws -> [SeriesRow] {
        lock.withLock {
            SeriesRow.combine(bins.keys.sorted().filter { vantage == nil || $0 == vantage }.map { vp in
                bins[vp]!.compactMap { b, m in
                    (from.map { b >= $0 } ?? true) && (until.map { b < $0 } ?? true) ? m[entity] : nil
                }.sorted { $0.bin < $1.bin }
            })
        }
    }

    public func entityNames() async throws -> [String] {
        lock.withLock { Set(bins.values.flatMap { $0.values.flatMap(\.keys) }).sorted() }
    }
    public func saveEntityMap(_ map: EntityMap) async throws { lock.withLock { self.map = map } }
    public func loadEntityMap() async throws -> EntityMap { lock.withLock { map } }
    @discardableResult
    public func applyRetention(now: Int64, raw: Int64, keep: Int64?) async throws -> RetentionReport {
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

    public func writeEvents(_ events: [Event]) async throws {
        lock.withLock {
            for var e in events {
                e.vantage = vantage
                stored[vantage, default: [:]][e.id] = e
            }
        }
    }
    public func events(entity: String?, vantage: String?, from: Int64?, until: Int64?) async throws -> [Event] {
        lock.withLock {
            stored.filter { vantage == nil || $0.key == vantage }.values.flatMap(\.values).filter { e in
                (entity == nil || e.entity == entity) && (until.map { e.start < $0 } ?? true) && (from.map { (e.end ?? Int64.max) > $0 } ?? true)
            }.sorted(by: Event.storedOrder)
        }
    }
    public func writeSourceHealth(_ list: [SourceHealth]) async throws {
        lock.withLock {
            for var h in list {
                h.vantage = vantage
                health[vantage, default: [:]][h.source] = h
            }
        }
    }
    public func sourceHealth(vantage: String?) async throws -> [SourceHealth] {
        lock.withLock { health.filter { vantage == nil || $0.key == vantage }.values.flatMap(\.values).sorted(by: SourceHealth.storedOrder) }
    }
    public func savePrefixOrigins(_ o: [(prefix: Prefix, origin: UInt32, seen: Int64)]) async throws {
        lock.withLock { for x in o { origins[x.prefix] = (x.origin, x.seen) } }
    }
    public func prefixOrigins() async throws -> [(prefix: Prefix, origin: UInt32, seen: Int64)] {
        lock.withLock { origins.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.prefix < $1.prefix } }
    }
    public func writeProbes(_ rows: [ProbeRow]) async throws {
        lock.withLock { for r in rows { probes[vantage, default: [:]][r.entity, default: [:]][r.time] = r } }
    }
    public func probeSeries(entity: String, vantage: String?, from: Int64?, until: Int64?) async throws -> [ProbeRow] {
        lock.withLock {
            probes.filter { vantage == nil || $0.key == vantage }.values.flatMap { ($0[entity] ?? [:]).values }
                .filter { r in (from.map { r.time >= $0 } ?? true) && (until.map { r.time < $0 } ?? true) }
                .sorted { $0.time < $1.time }
        }
    }
    public func writeBlocks(_ blocks: [BlockRecord]) async throws {
        lock.withLock { for b in blocks { blockRecords[vantage, default: [:]][b.block] = b } }
    }
    public func blocks(entity: String?, vantage: String?) async throws -> [BlockRecord] {
        lock.withLock {
            blockRecords.filter { vantage == nil || $0.key == vantage }.values.flatMap(\.values).filter { entity == nil || $0.entity == entity }
                .sorted { $0.block < $1.block }
        }
    }
}

/// The one place a store is opened from a location: "" or nil keeps everything in memory,
/// `postgres://…` is a shared PostgreSQL database, anything else a SQLite file.
public enum Stores {
    public static func open(_ location: String?, readOnly: Bool = false, vantage: String = "") async throws -> any SeriesStore {
        // Nothing to read from is an error (SQLiteStore says so); nothing to write to keeps it in memory.
        guard let location, !location.isEmpty || readOnly else { return MemoryStore(vantage: vantage) }
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            return try await PostgresStore(url: location, vantage: vantage)
        }
        return try SQLiteStore(path: location, readOnly: readOnly, vantage: vantage)
    }
}
