import GRDB
import Foundation
import Signals

/// Retention: bins older than `raw` seconds become hourly runs (levels at their minimum, counts
/// summed, as downsampling does), and hourly runs older than `keep` are dropped. Hours are whole
/// (the cut-off falls on an hour) so an hour is never half raw, half rolled up.
extension SQLiteStore {
    public func applyRetention(now: Int64, raw: Int64, keep: Int64?) async throws -> RetentionReport {
        let cutoff = (now - raw) / 3600 * 3600
        return try await write { [self] db in
            var report = RetentionReport()
            try sessionLock.withLock {
                var s = writer
                for vp in try vantagePoints(db) {
                    try rollUp(db, vantage: vp.id, openUntil: vp.openUntil, before: cutoff, report: &report, session: &s)
                }
                if let keep {
                    let gone = (now - keep) / 3600 * 3600
                    // Runs wholly before the limit go; one that spans it keeps its part after.
                    try db.execute(sql: "DELETE FROM runs WHERE until <= ?", arguments: [gone])
                    report.dropped += db.changesCount
                    try moveStarts(db, sql: "bin < ?", [gone], to: gone, session: &s)
                }
                writer = s
            }
            return report
        }
    }

    private func rollUp(_ db: Database, vantage v: Int64, openUntil: Int64, before cutoff: Int64, report: inout RetentionReport,
                        session s: inout RunWriter) throws {
        // `runColumns` begin with the vantage point; here the entity takes its place.
        let rows = try Row.fetchAll(db, sql: """
            SELECT \(Self.runColumns.replacingOccurrences(of: "vantage,", with: "entity,")) FROM runs
            WHERE vantage = ? AND step < 3600 AND bin < ? ORDER BY entity, bin
            """, arguments: [v, cutoff])
        guard !rows.isEmpty else { return }
        // The raw bins go first (a run that spans the cut-off keeps its part after it), so an hour never meets the run it replaces.
        try db.execute(sql: "DELETE FROM runs WHERE vantage = ? AND step < 3600 AND bin < ? AND until <= ?", arguments: [v, cutoff, cutoff])
        try moveStarts(db, sql: "vantage = ? AND step < 3600 AND bin < ?", [v, cutoff], to: cutoff, session: &s)
        let insert = try db.cachedStatement(sql: "INSERT INTO runs VALUES (?, ?, ?, ?, 3600, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)")
        var i = 0
        while i < rows.count {
            let entity: Int64 = rows[i][0]
            var runs: [SeriesRun] = []
            while i < rows.count, (rows[i][0] as Int64) == entity {
                runs.append(Self.run(rows[i], openUntil: openUntil))
                i += 1
            }
            report.rawRuns += runs.count
            for h in SeriesRun.hourly(runs, before: cutoff) {
                let x = h.values
                try insert.execute(arguments: [entity, v, h.bin, h.until, x.routedV4, x.routedV6, x.visiblePrefixes, x.meanVisibility, x.announcements,
                                                x.withdrawals, x.pathChanges, x.originChanges, x.fullFeedPeers4, x.fullFeedPeers6])
                report.hourlyRuns += 1
            }
        }
    }

    /// Runs matching `sql` now begin at `to`; the writer's open runs among them are closed by their new key.
    private func moveStarts(_ db: Database, sql: String, _ args: StatementArguments, to: Int64, session s: inout RunWriter) throws {
        var moves: [(entity: Int64, from: Int64, to: Int64)] = []
        for r in try Row.fetchAll(db, sql: "SELECT entity, vantage, bin FROM runs WHERE \(sql)", arguments: args) {
            let (e, v, b): (Int64, Int64, Int64) = (r[0], r[1], r[2])
            try db.execute(sql: "UPDATE runs SET bin = ?, prev_space = NULL WHERE entity = ? AND vantage = ? AND bin = ?", arguments: [to, e, v, b])
            if v == s.vantageID { moves.append((e, b, to)) }
        }
        s.moved(moves)
    }
}

/// What a retention pass did.
public struct RetentionReport: Sendable, Equatable {
    public var rawRuns = 0
    public var hourlyRuns = 0
    public var dropped = 0
    public init() {}
}

extension StoredValues {
    /// Two bins of one hour as one, as downsampling merges them (`SeriesRow.rolled`).
    func rolled(with x: StoredValues) -> StoredValues { StoredValues(SeriesRow.rolled(row("", bin: 0), x.row("", bin: 0))) }
}
