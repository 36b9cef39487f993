public import Signals

/// The signals a store keeps for one entity and bin: what a run holds while nothing changes.
struct StoredValues: Equatable {
    var routedV4, routedV6: Double
    var visiblePrefixes: Int
    var meanVisibility: Double
    var announcements, withdrawals, pathChanges, originChanges, fullFeedPeers4, fullFeedPeers6: Int

    var space: Double { routedV4 + routedV6 }

    func row(_ entity: String, bin: Int64) -> SeriesRow {
        SeriesRow(entity: entity, bin: bin, routedV4: routedV4, routedV6: routedV6, visiblePrefixes: visiblePrefixes,
                  meanVisibility: meanVisibility, announcements: announcements, withdrawals: withdrawals, pathChanges: pathChanges,
                  originChanges: originChanges, fullFeedPeers4: fullFeedPeers4, fullFeedPeers6: fullFeedPeers6)
    }
}

extension StoredValues {
    init(_ r: SeriesRow) {
        (routedV4, routedV6, meanVisibility) = (r.routedV4, r.routedV6, r.meanVisibility)
        (visiblePrefixes, announcements, withdrawals, pathChanges) = (r.visiblePrefixes, r.announcements, r.withdrawals, r.pathChanges)
        (originChanges, fullFeedPeers4, fullFeedPeers6) = (r.originChanges, r.fullFeedPeers4, r.fullFeedPeers6)
    }
}

/// Bins in a row with the same values: [bin, until) in steps of `step` seconds. A series is stored as
/// runs because an entity's signals change rarely (most bins repeat the one before), and because an
/// explicit end says where observation stopped: a bin no run covers is unknown, never zero.
struct SeriesRun {
    var bin: Int64
    var until: Int64
    var step: Int64
    var values: StoredValues

    /// The run's bins within [from, until), appended to `out`.
    func expand(_ entity: String, from: Int64?, until end: Int64?, into out: inout [SeriesRow]) {
        guard step > 0 else { return }
        var t = bin
        if let from, from > t { t += (from - t + step - 1) / step * step }
        let stop = min(until, end ?? Int64.max)
        while t < stop {
            out.append(values.row(entity, bin: t))
            t += step
        }
    }
}

extension SeriesRun {
    /// One entity's runs before `cutoff` as hourly runs (retention): each hour's levels at their
    /// minimum and counts summed; consecutive hours alike are one run; an hour with no bin is a gap.
    static func hourly(_ runs: [SeriesRun], before cutoff: Int64) -> [SeriesRun] {
        var hours: [Int64: StoredValues] = [:]
        for run in runs {
            var t = run.bin
            while t < min(run.until, cutoff) {
                let h = t / 3600 * 3600
                hours[h] = hours[h].map { $0.rolled(with: run.values) } ?? run.values
                t += run.step
            }
        }
        var out: [SeriesRun] = []
        for h in hours.keys.sorted() {
            if let last = out.last, last.until == h, last.values == hours[h] { out[out.count - 1].until = h + 3600 } else {
                out.append(SeriesRun(bin: h, until: h + 3600, step: 3600, values: hours[h]!))
            }
        }
        return out
    }
}

/// A vantage point as the runs tables know it: its number, name, and where its open runs end.
typealias VantagePoint = (id: Int64, name: String, openUntil: Int64)

extension SeriesRun {
    /// The condition that selects one entity's ($1) runs at one vantage point ($2) that hold bins in
    /// [$3, $4): the run in progress at $3, however long ago it began, and those that begin after it.
    /// Both are ranges of the primary key. (PostgreSQL and SQLite both read $n.)
    static let inRange = """
        entity = $1 AND vantage = $2 AND bin < $4
            AND bin >= COALESCE((SELECT MAX(bin) FROM runs WHERE entity = $1 AND vantage = $2 AND bin <= $3), $3)
        ORDER BY bin
        """

    /// One entity's rows in [from, until) from its runs at each vantage point (`inRange`), combined.
    static func rows(_ entity: String, _ perVantage: [[SeriesRun]], from: Int64?, until: Int64?) -> [SeriesRow] {
        SeriesRow.combine(perVantage.map { runs in
            var out: [SeriesRow] = []
            // Sized first: a busy entity's year is tens of thousands of rows, grown by doubling it is copied as often.
            out.reserveCapacity(runs.reduce(0) { n, r in
                let lo = max(r.bin, from ?? r.bin), hi = min(r.until, until ?? r.until)
                return n + (r.step > 0 && hi > lo ? Int((hi - lo + r.step - 1) / r.step) : 0)
            })
            for run in runs { run.expand(entity, from: from, until: until, into: &out) }
            return out
        })
    }
}

extension SeriesRow {
    /// Several vantage points' rows of one entity, by bin: a level is the highest any of them saw
    /// (space routed anywhere is routed), counts are summed (each saw its own updates).
    static func combine(_ lists: [[SeriesRow]]) -> [SeriesRow] {
        let nonEmpty = lists.filter { !$0.isEmpty }
        guard nonEmpty.count > 1 else { return nonEmpty.first ?? [] }
        var byBin: [Int64: SeriesRow] = [:]
        for list in nonEmpty {
            for x in list {
                guard var r = byBin[x.bin] else { byBin[x.bin] = x; continue }
                r.routedV4 = max(r.routedV4, x.routedV4)
                r.routedV6 = max(r.routedV6, x.routedV6)
                r.visiblePrefixes = max(r.visiblePrefixes, x.visiblePrefixes)
                r.meanVisibility = max(r.meanVisibility, x.meanVisibility)
                r.fullFeedPeers4 += x.fullFeedPeers4
                r.fullFeedPeers6 += x.fullFeedPeers6
                r.announcements += x.announcements
                r.withdrawals += x.withdrawals
                r.pathChanges += x.pathChanges
                r.originChanges += x.originChanges
                byBin[x.bin] = r
            }
        }
        return byBin.values.sorted { $0.bin < $1.bin }
    }
}

extension SeriesRow {
    /// Two rows of one bucket as one (the first's bin): levels at their minimum, so a dip is never
    /// averaged away; counts summed.
    static func rolled(_ a: SeriesRow, _ x: SeriesRow) -> SeriesRow {
        var r = a
        r.routedV4 = min(r.routedV4, x.routedV4)
        r.routedV6 = min(r.routedV6, x.routedV6)
        r.presentV4 = min(r.presentV4, x.presentV4)
        r.presentV6 = min(r.presentV6, x.presentV6)
        r.visiblePrefixes = min(r.visiblePrefixes, x.visiblePrefixes)
        r.meanVisibility = min(r.meanVisibility, x.meanVisibility)
        r.fullFeedPeers4 = min(r.fullFeedPeers4, x.fullFeedPeers4)
        r.fullFeedPeers6 = min(r.fullFeedPeers6, x.fullFeedPeers6)
        r.announcements += x.announcements
        r.withdrawals += x.withdrawals
        r.pathChanges += x.pathChanges
        r.originChanges += x.originChanges
        r.flaps += x.flaps
        r.repeatFlaps += x.repeatFlaps
        return r
    }
}
