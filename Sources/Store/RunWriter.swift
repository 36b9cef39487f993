public import Signals

/// What one bin changes in a store of runs (see `SeriesRun`), worked out the same way for every
/// database: which runs end at the bin, which begin, and whether the bin follows the last one
/// written (the common case: nothing else to do) or not (a gap, a re-run, a bin written again).
struct BinPlan {
    var bin: Int64
    var step: Int64
    /// Not the bin after the last one this writer wrote: close its open runs at `closeOpenAt`
    /// (if it wrote any), then cut runs from before that span `bin`, so what follows stays as it was.
    var discontinuous = false
    var closeOpenAt: Int64?
    /// Runs (entity, first bin) that end at `bin`: their entity changed, or is not in this bin.
    var closes: [(entity: Int64, start: Int64)] = []
    /// Runs that begin at `bin`, open, with the routed space of the run before (for the biggest drops).
    var inserts: [(entity: Int64, values: StoredValues, prev: Double?)] = []
}

/// A store's writer: every entity's number and open run, and where its open runs end. Bins in
/// order cost only their changes; anything else is a `discontinuous` plan.
struct RunWriter {
    struct Entry {
        var id: Int64
        var open = false
        var bin: Int64 = 0
        var seen: Int64 = 0
        var values = StoredValues(routedV4: 0, routedV6: 0, visiblePrefixes: 0, meanVisibility: 0, announcements: 0, withdrawals: 0,
                                  pathChanges: 0, originChanges: 0, fullFeedPeers4: 0, fullFeedPeers6: 0)
    }
    var started = false
    var vantageID: Int64 = 0
    var entities: [String: Entry] = [:]
    var openUntil: Int64?

    /// The names of `rows` that have no number yet (the database gives them one).
    func unknown(_ rows: ArraySlice<SeriesRow>) -> [String] {
        var seen = Set<String>()
        return rows.compactMap { entities[$0.entity] == nil && seen.insert($0.entity).inserted ? $0.entity : nil }
    }

    /// The plan for bin `b` (`rows` all of it), and the writer as it will be once the plan is carried out.
    mutating func plan(_ b: Int64, _ rows: ArraySlice<SeriesRow>, step: Int64) -> BinPlan {
        var p = BinPlan(bin: b, step: step)
        if openUntil != b {
            p.discontinuous = true
            p.closeOpenAt = openUntil
            var i = entities.values.startIndex
            while i < entities.values.endIndex {
                entities.values[i].open = false
                entities.values.formIndex(after: &i)
            }
        }
        for r in rows {
            let x = StoredValues(r)
            // One hash per row: the entry is found once and changed in place.
            guard let i = entities.index(forKey: r.entity) else { preconditionFailure("\(r.entity) has no number: call unknown(_:) first") }
            let e = entities.values[i]
            if e.open && e.values == x {
                entities.values[i].seen = b
                continue
            }
            p.inserts.append((e.id, x, e.open ? e.values.space : nil))
            if e.open { p.closes.append((e.id, e.bin)) }
            entities.values[i] = Entry(id: e.id, open: true, bin: b, seen: b, values: x)
        }
        // An entity missing from the bin is not measured there: its run ends, it is not zero.
        var i = entities.values.startIndex
        while i < entities.values.endIndex {
            if entities.values[i].open && entities.values[i].seen != b {
                p.closes.append((entities.values[i].id, entities.values[i].bin))
                entities.values[i].open = false
            }
            entities.values.formIndex(after: &i)
        }
        openUntil = b + step
        return p
    }

    /// Calls `body` with each bin of `rows` (in order of bin; stable, so a later row of a bin wins).
    static func bins(_ rows: [SeriesRow], _ body: (Int64, ArraySlice<SeriesRow>) throws -> Void) rethrows {
        var ordered = rows
        if zip(rows, rows.dropFirst()).contains(where: { $0.bin > $1.bin }) {
            ordered = rows.enumerated().sorted { ($0.element.bin, $0.offset) < ($1.element.bin, $1.offset) }.map(\.element)
        }
        var i = ordered.startIndex
        while i < ordered.endIndex {
            let b = ordered[i].bin
            var j = i
            while j < ordered.endIndex && ordered[j].bin == b { j += 1 }
            try body(b, ordered[i..<j])
            i = j
        }
    }

    /// Open runs that retention moved: each (entity number, first bin) now begins at `to`.
    mutating func moved(_ moves: [(entity: Int64, from: Int64, to: Int64)]) {
        guard !moves.isEmpty else { return }
        let names = Dictionary(uniqueKeysWithValues: entities.map { ($0.value.id, $0.key) })
        for m in moves {
            if let k = names[m.entity], entities[k]!.open, entities[k]!.bin == m.from { entities[k]!.bin = m.to }
        }
    }
}
