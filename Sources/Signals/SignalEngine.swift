public import BGPWire
public import Routing
public import Entities

/// Turns a time-ordered stream of BGP elements into per-entity signals, bin by bin.
///
/// State (who routes what) lives in `RoutingState`; this adds the entity view:
/// each prefix belongs to its origin AS, to the country its address block is
/// delegated to, and to any watched prefix covering it. Churn is counted as
/// elements arrive; space and visibility are measured when a bin closes, in one
/// pass over all prefixes in address order (so overlapping more-specifics of
/// one entity are counted once).
public final class SignalEngine {
    public let state: RoutingState
    public let binSeconds: Int64
    /// 288 bins in seconds, saturating: a bin size given by a user must not trap.
    let longGap: Int64
    let lookup: CountryLookup?
    /// Entities to report; nil = every country and origin AS seen.
    private(set) var watched: Set<Entity>?
    /// Watched prefixes (masked) with their entity ids.
    var watchedPrefixes: [(prefix: Prefix, entity: Int32)] = []

    var entityIDs: [Entity: Int] = [:]
    var entities: [Entity] = []
    /// Their names, formatted once: every bin writes one row per entity.
    var names: [String] = []
    /// Ids of origin ASes dropped (nothing known of them, nothing this bin), handed out again.
    var freeEntities: [Int] = []
    /// Entities measured now (origin ASes and countries seen, or the watched ones).
    public var entityCount: Int { entityIDs.count }
    /// Without a watch list: rows only for this many origin ASes per bin, those with the most
    /// routed space (countries always); nil: every origin AS with a known prefix.
    public var topEntities: Int?
    var churn: [Counters] = []
    /// Prefix ids in address order (shorter first), for the one-pass measurement.
    var sorted: [UInt32] = []
    var sortedCount = 0

    var lastPeer = -1, lastPeerAS: UInt32 = 0, lastPeerAddress = IPAddress.v4None
    /// Withdrawal notes of the current bin per entity id (evidence for the detector), and of closed bins by name.
    var notes: [Int: [WithdrawalNote]] = [:]
    /// Keyed by name and bin as they are, not a formatted string: every row of every bin asks.
    struct NoteKey: Hashable { var entity: String; var bin: Int64 }
    var closedNotes: [NoteKey: [WithdrawalNote]] = [:]
    var previousNotes: [Int: [WithdrawalNote]] = [:]
    var noteTime: UInt32 = 0
    var notePeer = 0
    /// Per peer: until when its announcements are a table transfer after its session came up.
    var resyncUntil: [UInt32] = []
    /// Keep withdrawal notes (only worth it when events are detected).
    public var keepNotes = false
    public private(set) var currentBin: Int64?
    public private(set) var outOfOrder = 0
    public private(set) var unknownWithdrawals = 0
    public private(set) var elements = 0

    struct Counters {
        var announcements = 0, withdrawals = 0, pathChanges = 0, originChanges = 0, flaps = 0, repeatFlaps = 0
    }

    /// Per prefix id: when it last flapped (0: never), for repeat flaps.
    var lastFlap: [UInt32] = []
    /// How long a prefix's fall is remembered: a second fall within it is a repeat flap.
    public var flapMemory: UInt32 = 7200
    /// Feed health (see `FeedHealth`).
    public var feed = FeedHealth()

    public init(state: RoutingState = RoutingState(), binSeconds: Int64 = 300, lookup: CountryLookup? = nil, watch: [Entity] = []) {
        self.state = state
        self.binSeconds = binSeconds
        let (g, overflow) = binSeconds.multipliedReportingOverflow(by: 288)
        longGap = overflow ? .max : g
        self.lookup = lookup
        self.watched = watch.isEmpty ? nil : Set(watch)
        for e in watch {
            let id = Int32(entityID(e))
            if case let .prefix(p) = e { watchedPrefixes.append((p.masked, id)) }
        }
    }

    /// A new watch list (a reload): entities leave or join from the next element on; the
    /// per-prefix entity caches are rebuilt lazily. An empty list watches everything.
    public func setWatch(_ watch: [Entity]) {
        watched = watch.isEmpty ? nil : Set(watch)
        watchedPrefixes = watch.compactMap { e in
            if case let .prefix(p) = e { return (p.masked, Int32(entityID(e))) }
            return nil
        }
        for e in watch { _ = entityID(e) }
        asEntity.removeAll(keepingCapacity: true)
        prefixCountryEntity.removeAll(keepingCapacity: true)
        prefixWatchers.removeAll(keepingCapacity: true)
    }

    func entityID(_ e: Entity) -> Int {
        if let i = entityIDs[e] { return i }
        if let f = freeEntities.popLast() {
            entities[f] = e
            names[f] = e.description
            churn[f] = Counters()
            entityIDs[e] = f
            return f
        }
        entities.append(e)
        names.append(e.description)
        churn.append(Counters())
        entityIDs[e] = entities.count - 1
        return entities.count - 1
    }

    /// Per prefix id, cached: the country entity (-1 none) and the watched prefixes covering it.
    var prefixCountryEntity: [Int32] = []
    var prefixWatchers: [[Int32]] = []
    /// Origin AS → entity id (-1: not watched), so the hot path hashes a UInt32, not an Entity.
    var asEntity: [UInt32: Int32] = [:]

    /// Entity ids a prefix counts toward (only watched ones when a watch list is set).
    @inline(__always)
    func forEachEntity(of prefixID: UInt32, originAS: UInt32, _ body: (Int) -> Void) {
        let i = Int(prefixID)
        if i >= prefixCountryEntity.count { cacheEntities(upTo: i) } else if prefixCountryEntity[i] == Self.stale { cacheEntity(i) }
        if originAS != 0 {
            let e: Int32
            if let cached = asEntity[originAS] {
                e = cached
            } else {
                let ent = Entity.asn(originAS)
                e = (watched == nil || watched!.contains(ent)) ? Int32(entityID(ent)) : -1
                asEntity[originAS] = e
            }
            if e >= 0 { body(Int(e)) }
        }
        let c = prefixCountryEntity[i]
        if c >= 0 { body(Int(c)) }
        for w in prefixWatchers[i] { body(Int(w)) }
    }

    func cacheEntities(upTo i: Int) {
        while prefixCountryEntity.count <= i {
            prefixCountryEntity.append(Self.stale)
            prefixWatchers.append([])
            cacheEntity(prefixCountryEntity.count - 1)
        }
    }

    /// A prefix id's entry in `prefixCountryEntity` whose prefix was forgotten (the id may now name another).
    static let stale: Int32 = -2

    func cacheEntity(_ i: Int) {
        let p = state.prefixes[UInt32(i)]
        var c: Int32 = -1
        // Once per prefix: the MMDB may name countries no delegation file lists.
        if let cc = lookup?.country(of: p) {
            let e = Entity.country(cc)
            if watched == nil || watched!.contains(e) { c = Int32(entityID(e)) }
        }
        prefixCountryEntity[i] = c
        prefixWatchers[i] = watchedPrefixes.filter { $0.prefix.contains(p) }.map(\.entity)
    }

    /// Releases what no route holds (live feeds, see `RoutingState.forget`) and drops the
    /// released prefix ids from everything here indexed by them.
    func forget(all: Bool) {
        let (released, renumbered) = state.forget(all: all)
        if renumbered { lastBatchPath = 0 }
        for p in released {
            let i = Int(p)
            if i < prefixCountryEntity.count { prefixCountryEntity[i] = Self.stale }
            if i < lastFlap.count { lastFlap[i] = 0 }
        }
        // Out of `sorted` at the next measurement, once however many passes released them.
        releasedSinceMerge += released
    }

    /// Prefix ids released since `sorted` was last brought up to date.
    var releasedSinceMerge: [UInt32] = []

    /// Feeds one element; returns the rows of any bins it closed.
    public func apply(_ e: BGPElement) -> [SeriesRow] {
        // A peer of one of several collectors (RIS Live) is told apart by the collector as well.
        let peer = e.collector.map { state.peer(PeerKey(address: e.peerAddress, asn: e.peerAS, collector: $0)) } ?? peerIndex(e.peerAddress, e.peerAS)
        var path: UInt32 = 0
        if e.kind == .announcement || e.kind == .rib, let p = e.asPath { path = state.pathID(p) }
        return apply(e.kind, e.timestamp, peer: peer, prefix: e.prefix, pathIdentifier: e.pathID, path: path,
                     attributes: state.attributeStore == nil ? [] : e.attributes, oldState: e.oldState ?? 0, newState: e.newState ?? 0)
    }

    /// Feeds one element of a record's batch (the replay path: the path is interned from
    /// its bytes, once per record); `peer` is from `peerIndex`. Returns the rows of any bins it closed.
    public func apply(_ e: RouteElement, peer: Int, in batch: borrowing RouteBatch) -> [SeriesRow] {
        var path: UInt32 = 0
        if (e.kind == .announcement || e.kind == .rib) && e.pathLength > 0 {
            let (start, end) = (Int(e.pathStart), Int(e.pathStart) + Int(e.pathLength))
            path = batch.pathBytes.withUnsafeBytes { all in
                let bytes = UnsafeRawBufferPointer(rebasing: all[start..<end])
                // The prefixes of one record share their path: a compare instead of a hash lookup.
                return state.paths.holds(lastBatchPath, bytes) ? lastBatchPath : state.pathID(canonical: bytes)
            }
            lastBatchPath = path
        }
        return apply(e.kind, batch.timestamp, peer: peer, prefix: e.prefix, pathIdentifier: e.pathID, path: path,
                     attributes: [], oldState: e.oldState, newState: e.newState)
    }

    /// The last path interned from a batch (id 0, the empty path, always exists).
    var lastBatchPath: UInt32 = 0

    /// The routing state's index of a peer (consecutive elements mostly come from one record, hence one peer).
    @inline(__always)
    public func peerIndex(_ address: IPAddress, _ asn: UInt32) -> Int {
        if asn == lastPeerAS && address == lastPeerAddress { return lastPeer }
        let peer = state.peer(PeerKey(address: address, asn: asn))
        (lastPeer, lastPeerAS, lastPeerAddress) = (peer, asn, address)
        return peer
    }

    func apply(_ kind: ElementKind, _ timestamp: UInt32, peer: Int, prefix: Prefix?, pathIdentifier: UInt32?, path: UInt32,
               attributes: [PathAttribute], oldState: UInt16, newState: UInt16) -> [SeriesRow] {
        elements += 1
        state.now = timestamp
        let bin = Int64(timestamp) - Int64(timestamp) % binSeconds
        var rows: [SeriesRow] = []
        if let cur = currentBin {
            if bin > cur {
                rows = closeBins(upTo: bin)
            } else if bin < cur {
                outOfOrder += 1  // counted into the current bin
            }
        } else {
            currentBin = bin
        }
        switch kind {
        case .rib:
            if let p = prefix {
                _ = state.announce(peer: peer, prefix: p, pathIdentifier: pathIdentifier, path: path, attributes: attributes)
            }
        case .announcement:
            guard let p = prefix else { break }
            let change = state.announce(peer: peer, prefix: p, pathIdentifier: pathIdentifier, path: path, attributes: attributes)
            // A session that just came up sends its whole table: state, not churn.
            if peer < resyncUntil.count && timestamp < resyncUntil[peer] { break }
            count(change, origin: state.paths.origins[Int(path)])
        case .withdrawal:
            guard let p = prefix else { break }
            if keepNotes { noteTime = timestamp; notePeer = peer }
            let change = state.withdraw(peer: peer, prefix: p, pathIdentifier: pathIdentifier)
            if change == .unknownWithdrawal { unknownWithdrawals += 1 }
            if state.visibilityStep < 0, case let .withdrawn(id, old) = change { flap(id, old, timestamp) }
            count(change, origin: 0)
            if feed.tableShrank(peer: peer, state: state) { feedLost(peer, at: timestamp, kind: .tableWithdrawn) }
            // A peer announcing and withdrawing junk fast: released well before the bin closes.
            if state.unheldPending >= 65536 { forget(all: false) }
        case .state:
            if newState == 6 {
                while resyncUntil.count <= peer { resyncUntil.append(0) }
                resyncUntil[peer] = timestamp &+ 300
            }
            if oldState == 6 && newState != 6 {
                // A feed lost whole is the feed's event, not churn of every entity it carried.
                if feed.matters(peer: peer, state: state) {
                    feedLost(peer, at: timestamp, kind: .sessionDown)
                    state.sessionDown(peer: peer)
                    break
                }
                state.sessionDown(peer: peer) { p, path in
                    forEachEntity(of: p, originAS: state.paths.origins[Int(path)]) {
                        churn[$0].withdrawals += 1
                        if keepNotes { note($0, timestamp, peer, p, path) }
                    }
                }
            }
        }
        return rows
    }

    func count(_ change: RouteChange, origin: UInt32) {
        switch change {
        case let .announced(p, _), let .duplicate(p):
            forEachEntity(of: p, originAS: origin) { churn[$0].announcements += 1 }
        case let .pathChanged(p, old, new):
            let oldOrigin = state.paths.origins[Int(old)], newOrigin = state.paths.origins[Int(new)]
            forEachEntity(of: p, originAS: newOrigin) {
                churn[$0].announcements += 1
                churn[$0].pathChanges += 1
                if oldOrigin != newOrigin { churn[$0].originChanges += 1 }
            }
            if oldOrigin != newOrigin, oldOrigin != 0 {
                // The AS that lost the prefix sees an origin change too.
                let e = Entity.asn(oldOrigin)
                if watched == nil || watched!.contains(e) { churn[entityID(e)].originChanges += 1 }
            }
        case let .withdrawn(p, old):
            forEachEntity(of: p, originAS: state.paths.origins[Int(old)]) {
                churn[$0].withdrawals += 1
                if keepNotes { note($0, noteTime, notePeer, p, old) }
            }
        case .unknownWithdrawal, .refused:
            break
        }
    }

    /// A full-feed peer withdrew a prefix: a flap of each entity it counts toward when that
    /// took it to two thirds of the full-feed peers or fewer.
    func flap(_ p: UInt32, _ old: UInt32, _ t: UInt32) {
        let v6 = state.prefixes[p].isIPv6
        let ff = v6 ? state.fullFeedPeers6 : state.fullFeedPeers4
        let vis = Int(state.fullFeedVisibility[Int(p)])
        guard vis * 3 <= ff * 2 && (vis + 1) * 3 > ff * 2 else { return }
        let i = Int(p)
        if i >= lastFlap.count { lastFlap.append(contentsOf: repeatElement(0, count: i + 1 - lastFlap.count)) }
        let repeated = lastFlap[i] != 0 && t &- lastFlap[i] <= flapMemory
        lastFlap[i] = t
        forEachEntity(of: p, originAS: state.paths.origins[Int(old)]) {
            churn[$0].flaps += 1
            if repeated { churn[$0].repeatFlaps += 1 }
        }
    }

    /// A peer's feed broke: judge entities without it until it is back.
    func feedLost(_ peer: Int, at t: UInt32, kind: FeedEvent.Kind) {
        state.exclude(peer: peer, true)
        feed.lost(peer: peer, key: state.peers[peer], at: Int64(t), kind: kind, routes: state.tables[peer].count)
    }

    func note(_ entity: Int, _ t: UInt32, _ peerIndex: Int, _ prefix: UInt32, _ path: UInt32) {
        guard notes[entity, default: []].count < 64 else { return }
        let peer = state.peers[peerIndex].description
        let asns = state.paths[path].segments.flatMap(\.asns)
        notes[entity, default: []].append(WithdrawalNote(time: t, peer: peer, prefix: state.prefixes[prefix].description, lostPath: asns))
    }

    /// The withdrawal notes of a closed bin for an entity (taken once).
    public func takeNotes(entity: String, bin: Int64) -> [WithdrawalNote] {
        closedNotes.isEmpty ? [] : closedNotes.removeValue(forKey: NoteKey(entity: entity, bin: bin)) ?? []
    }

    /// Closes the current bin and any empty ones before `bin`.
    func closeBins(upTo bin: Int64) -> [SeriesRow] {
        var rows: [SeriesRow] = []
        // The notes of every bin closed here stay until the next close: several bins can close at
        // once (a quiet spell), and the detector takes each bin's notes after.
        closedNotes.removeAll(keepingCapacity: true)
        while let cur = currentBin, cur < bin {
            forget(all: true)
            rows += measure(bin: cur)
            for i in churn.indices { churn[i] = Counters() }
            moveNotes(bin: cur)
            // Long gaps (an archive missing) are not filled bin by bin beyond a day of 5-minute bins.
            let gap = bin - cur
            currentBin = gap > longGap || gap <= binSeconds ? bin : cur + binSeconds
        }
        return rows
    }

    /// Live feeds: closes the bins that ended before `t` even when no element came.
    public func advance(to t: Int64) -> [SeriesRow] {
        let bin = t - t % binSeconds
        guard let cur = currentBin else {
            currentBin = bin
            return []
        }
        return bin > cur ? closeBins(upTo: bin) : []
    }

    /// Live feeds: every entity's signals so far in the current bin (the bin stays open).
    public func measureNow() -> [SeriesRow] {
        forget(all: false)
        return measure(bin: currentBin ?? 0)
    }

    /// Live feeds: the withdrawal notes of an entity in the current bin and the one before.
    public func recentNotes(entity: String) -> [WithdrawalNote] {
        var out: [WithdrawalNote] = []
        for (id, n) in previousNotes where entities[id].description == entity { out += n }
        for (id, n) in notes where entities[id].description == entity { out += n }
        return out
    }

    /// Closes the last bin.
    public func finish() -> [SeriesRow] {
        guard let cur = currentBin else { return [] }
        let rows = measure(bin: cur)
        closedNotes.removeAll(keepingCapacity: true)
        moveNotes(bin: cur)
        currentBin = nil
        return rows
    }

    func moveNotes(bin: Int64) {
        previousNotes = notes
        for (id, n) in notes { closedNotes[NoteKey(entity: names[id], bin: bin)] = n }
        notes.removeAll(keepingCapacity: true)
    }

    /// One pass over all prefixes in address order: space (each address once per
    /// entity), visible prefixes and mean visibility, per entity.
    func measure(bin: Int64) -> [SeriesRow] {
        for peer in feed.recovered(state: state) {
            state.exclude(peer: peer, false)
            feed.back(peer: peer, at: bin)
        }
        state.updateFullFeed()
        mergeNewPrefixes()
        let ff4 = state.fullFeedPeers4, ff6 = state.fullFeedPeers6
        struct Acc { var routed = SpaceSum(), present = SpaceSum(), visible = 0, visSum = 0.0, known = 0 }
        var rows = [Acc](repeating: Acc(), count: entities.count)
        for id in sorted {
            let p = state.prefixes[id]
            let ff = p.isIPv6 ? ff6 : ff4
            let vis = Int(state.fullFeedVisibility[Int(id)])
            let isVisible = ff > 0 && vis * 2 > ff
            // Present: carried by at least a quarter of the full-feed peers that carry it at their
            // most (so what leaves is withdrawn by nearly all of them), and widely carried at all.
            let peak = Int(state.peakVisibility[Int(id)])
            let isPresent = ff > 0 && vis > 0 && vis * 4 >= min(ff, peak) && peak * 4 >= ff
            forEachEntity(of: id, originAS: state.origin[Int(id)]) { e in
                // Entities first met here: caching one prefix's entities can add several.
                while e >= rows.count { rows.append(Acc()) }
                rows[e].known += 1
                rows[e].visSum += ff > 0 ? Double(vis) / Double(ff) : 0
                if isPresent { rows[e].present.add(p) }
                guard isVisible else { return }
                rows[e].visible += 1
                rows[e].routed.add(p)
            }
        }
        var out: [SeriesRow] = []
        var isAS: [Bool] = []
        for (i, e) in entities.enumerated() {
            let r = i < rows.count ? rows[i] : Acc()
            let c = churn[i]
            // No prefix of it seen yet, and no churn: nothing measured (unknown), not a row of zeros.
            if r.known == 0 && c.announcements == 0 && c.withdrawals == 0 {
                // Without a watch list every origin AS ever seen would stay an entity: one that
                // no known prefix belongs to any more (forgotten junk) is dropped, its id reused.
                if watched == nil, case let .asn(a) = e, entityIDs[e] == i {
                    entityIDs[e] = nil
                    asEntity[a] = nil
                    freeEntities.append(i)
                }
                continue
            }
            var row = SeriesRow(entity: names[i], bin: bin, routedV4: r.routed.v4, routedV6: r.routed.v6, visiblePrefixes: r.visible,
                                meanVisibility: r.known > 0 ? r.visSum / Double(r.known) : 0,
                                announcements: c.announcements, withdrawals: c.withdrawals, pathChanges: c.pathChanges,
                                originChanges: c.originChanges, fullFeedPeers4: ff4, fullFeedPeers6: ff6)
            (row.presentV4, row.presentV6, row.flaps, row.repeatFlaps) = (r.present.v4, r.present.v6, c.flaps, c.repeatFlaps)
            out.append(row)
            if case .asn = e { isAS.append(true) } else { isAS.append(false) }
        }
        feed.remember(state: state, bin: bin)
        if watched == nil, let n = topEntities { return Self.keepTop(n, of: out, isAS: isAS) }
        return out
    }

    /// The rows of countries, and of the `n` origin ASes (`isAS`: which rows are) with the most
    /// routed space (ties by name). By the entity's kind, not its name: "AS" is also a country.
    static func keepTop(_ n: Int, of rows: [SeriesRow], isAS: [Bool]) -> [SeriesRow] {
        let ases = rows.indices.filter { isAS[$0] }
        guard ases.count > n else { return rows }
        func space(_ r: SeriesRow) -> Double { r.routedV4 + r.routedV6 }
        let kept = Set(ases.sorted { (space(rows[$0]), rows[$1].entity) > (space(rows[$1]), rows[$0].entity) }.prefix(n))
        return rows.indices.filter { !isAS[$0] || kept.contains($0) }.map { rows[$0] }
    }

    /// Keeps `sorted` (prefix ids in address order, shorter first) up to date with new prefixes.
    func mergeNewPrefixes() {
        let n = state.prefixes.count
        if !releasedSinceMerge.isEmpty {
            var gone = [Bool](repeating: false, count: n)
            for p in releasedSinceMerge { gone[Int(p)] = true }
            sorted.removeAll { gone[Int($0)] }
            releasedSinceMerge.removeAll(keepingCapacity: true)
        }
        // New ids, and released ids handed out again for other prefixes (never twice, never a released one).
        var fresh = state.takeReusedPrefixes()
        guard n > sortedCount || !fresh.isEmpty else { return }
        let isFree = state.prefixes.isFree
        if fresh.isEmpty {
            for id in sortedCount..<n where !isFree[id] { fresh.append(UInt32(id)) }
        } else {
            let reused = Set(fresh)
            for id in sortedCount..<n where !isFree[id] && !reused.contains(UInt32(id)) { fresh.append(UInt32(id)) }
        }
        fresh.sort { state.prefixes[$0] < state.prefixes[$1] }
        var merged: [UInt32] = []
        merged.reserveCapacity(n)
        var i = 0, j = 0
        while i < sorted.count || j < fresh.count {
            if j == fresh.count || (i < sorted.count && state.prefixes[sorted[i]] < state.prefixes[fresh[j]]) {
                merged.append(sorted[i]); i += 1
            } else {
                merged.append(fresh[j]); j += 1
            }
        }
        sorted = merged
        sortedCount = n
    }
}
