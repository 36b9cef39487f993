import BGPWire
import Entities
import Probing
import Signals
@testable import Store

/// A store as the tests call it: each call of the async `SeriesStore` waited for on the test's
/// thread (XCTest runs test methods on the main thread, not on the task pool the calls run on),
/// so assertions read as plain expressions.
final class BlockingStore: @unchecked Sendable {
    let base: any SeriesStore
    init(_ base: any SeriesStore) { self.base = base }

    /// `Stores.open`, waited for.
    static func open(_ location: String?, readOnly: Bool = false, vantage: String = "") throws -> BlockingStore {
        BlockingStore(try blockingWait { try await Stores.open(location, readOnly: readOnly, vantage: vantage) })
    }

    func write(_ rows: [SeriesRow], step: Int64) throws { try blockingWait { [base] in try await base.write(rows, step: step) } }
    func series(entity: String, vantage: String? = nil, from: Int64?, until: Int64?) throws -> [SeriesRow] {
        try blockingWait { [base] in try await base.series(entity: entity, vantage: vantage, from: from, until: until) }
    }
    func series(entity: String, vantage: String? = nil, from: Int64?, until: Int64?, points: Int) throws -> [SeriesRow] {
        try blockingWait { [base] in try await base.series(entity: entity, vantage: vantage, from: from, until: until, points: points) }
    }
    func entityNames() throws -> [String] { try blockingWait { [base] in try await base.entityNames() } }
    func saveEntityMap(_ map: EntityMap) throws { try blockingWait { [base] in try await base.saveEntityMap(map) } }
    func loadEntityMap() throws -> EntityMap { try blockingWait { [base] in try await base.loadEntityMap() } }
    func savePrefixOrigins(_ o: [(prefix: Prefix, origin: UInt32, seen: Int64)]) throws {
        try blockingWait { [base] in try await base.savePrefixOrigins(o) }
    }
    func prefixOrigins() throws -> [(prefix: Prefix, origin: UInt32, seen: Int64)] { try blockingWait { [base] in try await base.prefixOrigins() } }
    func writeEvents(_ events: [Event]) throws { try blockingWait { [base] in try await base.writeEvents(events) } }
    func events(entity: String?, vantage: String? = nil, from: Int64?, until: Int64?) throws -> [Event] {
        try blockingWait { [base] in try await base.events(entity: entity, vantage: vantage, from: from, until: until) }
    }
    func events(_ q: EventQuery) throws -> [Event] { try blockingWait { [base] in try await base.events(q) } }
    func writeSourceHealth(_ h: [SourceHealth]) throws { try blockingWait { [base] in try await base.writeSourceHealth(h) } }
    func sourceHealth(vantage: String?) throws -> [SourceHealth] { try blockingWait { [base] in try await base.sourceHealth(vantage: vantage) } }
    func writeProbes(_ rows: [ProbeRow]) throws { try blockingWait { [base] in try await base.writeProbes(rows) } }
    func probeSeries(entity: String, vantage: String? = nil, from: Int64?, until: Int64?) throws -> [ProbeRow] {
        try blockingWait { [base] in try await base.probeSeries(entity: entity, vantage: vantage, from: from, until: until) }
    }
    func writeBlocks(_ blocks: [BlockRecord]) throws { try blockingWait { [base] in try await base.writeBlocks(blocks) } }
    func blocks(entity: String?, vantage: String? = nil) throws -> [BlockRecord] {
        try blockingWait { [base] in try await base.blocks(entity: entity, vantage: vantage) }
    }
    func searchEntities(_ text: String, limit: Int) throws -> [String] { try blockingWait { [base] in try await base.searchEntities(text, limit: limit) } }
    func biggestDrops(limit: Int) throws -> [EntityDrop] { try blockingWait { [base] in try await base.biggestDrops(limit: limit) } }
    func genericDrops(limit: Int) throws -> [EntityDrop] { try blockingWait { [base] in try await base.genericDrops(limit: limit) } }
    func genericSearch(_ text: String, limit: Int) throws -> [String] { try blockingWait { [base] in try await base.genericSearch(text, limit: limit) } }
    @discardableResult
    func applyRetention(now: Int64, raw: Int64, keep: Int64?) throws -> RetentionReport {
        try blockingWait { [base] in try await base.applyRetention(now: now, raw: raw, keep: keep) }
    }
}
