public import Signals
public import Probing
import Foundation
public import Entities
public import BGPWire

/// Where signals (and later events) are kept. The embedded default is SQLite;
/// a PostgreSQL backend implements the same protocol, so callers never change.
public protocol SeriesStore: AnyObject {
    /// Writes the rows of one or more bins in one transaction: a replay stopped
    /// at any moment leaves whole bins, and writing a bin again replaces it.
    func write(_ rows: [SeriesRow]) throws
    func series(entity: String, from: Int64?, until: Int64?) throws -> [SeriesRow]
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
}

/// Keeps everything in memory: for tests and for runs that store nothing.
public final class MemoryStore: SeriesStore {
    var rows: [String: [Int64: SeriesRow]] = [:]
    var map = EntityMap()

    public init() {}

    public func write(_ rows: [SeriesRow]) throws {
        for r in rows { self.rows[r.entity, default: [:]][r.bin] = r }
    }

    public func series(entity: String, from: Int64?, until: Int64?) throws -> [SeriesRow] {
        (rows[entity] ?? [:]).values.filter { r in (from.map { r.bin >= $0 } ?? true) && (until.map { r.bin < $0 } ?? true) }
            .sorted { $0.bin < $1.bin }
    }

    public func entityNames() throws -> [String] { rows.keys.sorted() }
    public func saveEntityMap(_ map: EntityMap) throws { self.map = map }
    public func loadEntityMap() throws -> EntityMap { map }
    var stored: [String: Event] = [:]
    public func writeEvents(_ events: [Event]) throws { for e in events { stored[e.id] = e } }
    public func events(entity: String?, from: Int64?, until: Int64?) throws -> [Event] {
        stored.values.filter { e in
            (entity == nil || e.entity == entity) && (until.map { e.start < $0 } ?? true) && (from.map { (e.end ?? Int64.max) > $0 } ?? true)
        }.sorted { ($0.start, $0.entity) < ($1.start, $1.entity) }
    }
    var origins: [Prefix: (UInt32, Int64)] = [:]
    public func savePrefixOrigins(_ o: [(prefix: Prefix, origin: UInt32, seen: Int64)]) throws {
        for x in o { origins[x.prefix] = (x.origin, x.seen) }
    }
    public func prefixOrigins() throws -> [(prefix: Prefix, origin: UInt32, seen: Int64)] {
        origins.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.prefix < $1.prefix }
    }
    var probes: [String: [Int64: ProbeRow]] = [:]
    public func writeProbes(_ rows: [ProbeRow]) throws { for r in rows { probes[r.entity, default: [:]][r.time] = r } }
    public func probeSeries(entity: String, from: Int64?, until: Int64?) throws -> [ProbeRow] {
        (probes[entity] ?? [:]).values.filter { r in (from.map { r.time >= $0 } ?? true) && (until.map { r.time < $0 } ?? true) }
            .sorted { $0.time < $1.time }
    }
    // Block records may come from the probing thread while the pipeline writes the rest.
    let blockLock = NSLock()
    var blockRecords: [Prefix: BlockRecord] = [:]
    public func writeBlocks(_ blocks: [BlockRecord]) throws {
        blockLock.withLock { for b in blocks { blockRecords[b.block] = b } }
    }
    public func blocks(entity: String?) throws -> [BlockRecord] {
        blockLock.withLock { blockRecords.values.filter { entity == nil || $0.entity == entity }.sorted { $0.block < $1.block } }
    }
}
