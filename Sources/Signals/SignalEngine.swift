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
    let watched: Set<Entity>?
    /// Watched prefixes (masked) with their entity ids.
    var watchedPrefixes: [(prefix: Prefix, entity: Int32)] = []

    var entityIDs: [Entity: Int] = [:]
    var entities: [Entity] = []
    var churn: [Counters] = []
    /// Prefix ids in address order (shorter first), for the one-pass measurement.
    var sorted: [UInt32] = []
    var sortedCount = 0

    var lastPeer = -1, lastPeerAS: UInt32 = 0, lastPeerAddress = IPAddress.v4None
    /// Withdrawal notes of the current bin per entity id (evidence for the detector), and of closed bins by name.
    var notes: [Int: [WithdrawalNote]] = [:]
    var closedNotes: [String: [WithdrawalNote]] = [:]
    var previousNotes: [Int: [WithdrawalNote]] = [:]
    var noteTime: UInt32 = 0
    var notePeer = ""
    /// Per peer: until when its announcements are a table transfer after its session came up.
    var resyncUntil: [UInt32] = []
    /// Keep withdrawal notes (only worth it when events are detected).
    public var keepNotes = false
    public private(set) var currentBin: Int64?
    public private(set) var outOfOrder = 0
    public private(set) var unknownWithdrawals = 0
    public private(set) var elements = 0

    struct Counters {
        var announcements = 0, withdrawals = 0, pathChanges = 0, originChanges = 0
    }

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

    func entityID(_ e: Entity) -> Int {
        if let i = entityIDs[e] { return i }
        entities.append(e)
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
        if i >= prefixCountryEntity.count { cacheEntities(upTo: i) }
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
            let id = UInt32(prefixCountryEntity.count)
            let p = state.prefixes[id]
            var c: Int32 = -1
            // Once per prefix: the MMDB may name countries no delegation file lists.
            if let cc = lookup?.country(of: p) {
                let e = Entity.country(cc)
                if watched == nil || watched!.contains(e) { c = Int32(entityID(e)) }
            }
            prefixCountryEntity.append(c)
            prefixWatchers.append(watchedPrefixes.filter { $0.prefix.contains(p) }.map(\.entity))
        }
    }

    /// Feeds one element; returns the rows of any bins it closed.
    public func apply(_ e: BGPElement) -> [SeriesRow] {
        elements += 1
        let bin = Int64(e.timestamp) - Int64(e.timestamp) % binSeconds
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
        // Consecutive elements mostly come from one record, hence one peer.
        let peer: Int
        if e.peerAS == lastPeerAS && e.peerAddress == lastPeerAddress {
            peer = lastPeer
        } else {
            peer = state.peer(PeerKey(address: e.peerAddress, asn: e.peerAS))
            (lastPeer, lastPeerAS, lastPeerAddress) = (peer, e.peerAS, e.peerAddress)
        }
        switch e.kind {
        case .rib:
            if let p = e.prefix {
                _ = state.announce(peer: peer, prefix: p, pathIdentifier: e.pathID, asPath: e.asPath ?? ASPath([]),
                                  attributes: state.attributeStore == nil ? [] : e.attributes)
            }
        case .announcement:
            guard let p = e.prefix else { break }
            let change = state.announce(peer: peer, prefix: p, pathIdentifier: e.pathID, asPath: e.asPath ?? ASPath([]),
                                        attributes: state.attributeStore == nil ? [] : e.attributes)
            // A session that just came up sends its whole table: state, not churn.
            if peer < resyncUntil.count && e.timestamp < resyncUntil[peer] { break }
            count(change, origin: e.originAS ?? 0)
        case .withdrawal:
            guard let p = e.prefix else { break }
            if keepNotes { noteTime = e.timestamp; notePeer = "\(e.peerAddress) AS\(e.peerAS)" }
            let change = state.withdraw(peer: peer, prefix: p, pathIdentifier: e.pathID)
            if change == .unknownWithdrawal { unknownWithdrawals += 1 }
            count(change, origin: 0)
        case .state:
            if e.newState == 6 {
                while resyncUntil.count <= peer { resyncUntil.append(0) }
                resyncUntil[peer] = e.timestamp &+ 300
            }
            if e.oldState == 6 && e.newState != 6 {
                let who = "\(e.peerAddress) AS\(e.peerAS)"
                state.sessionDown(peer: peer) { p, path in
                    forEachEntity(of: p, originAS: state.paths.origins[Int(path)]) {
                        churn[$0].withdrawals += 1
                        if keepNotes { note($0, e.timestamp, who, p, path) }
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

    func note(_ entity: Int, _ t: UInt32, _ peer: String, _ prefix: UInt32, _ path: UInt32) {
        guard notes[entity, default: []].count < 64 else { return }
        let asns = state.paths[path].segments.flatMap(\.asns)
        notes[entity, default: []].append(WithdrawalNote(time: t, peer: peer, prefix: state.prefixes[prefix].description, lostPath: asns))
    }

    /// The withdrawal notes of a closed bin for an entity (taken once).
    public func takeNotes(entity: String, bin: Int64) -> [WithdrawalNote] {
        closedNotes.removeValue(forKey: "\(entity)|\(bin)") ?? []
    }

    /// Closes the current bin and any empty ones before `bin`.
    func closeBins(upTo bin: Int64) -> [SeriesRow] {
        var rows: [SeriesRow] = []
        while let cur = currentBin, cur < bin {
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
        measure(bin: currentBin ?? 0)
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
        moveNotes(bin: cur)
        currentBin = nil
        return rows
    }

    func moveNotes(bin: Int64) {
        closedNotes.removeAll(keepingCapacity: true)
        previousNotes = notes
        for (id, n) in notes { closedNotes["\(entities[id])|\(bin)"] = n }
        notes.removeAll(keepingCapacity: true)
    }

    /// One pass over all prefixes in address order: space (each address once per
    /// entity), visible prefixes and mean visibility, per entity.
    func measure(bin: Int64) -> [SeriesRow] {
        state.updateFullFeed()
        mergeNewPrefixes()
        let ff4 = state.fullFeedPeers4, ff6 = state.fullFeedPeers6
        struct Acc { var space4 = 0.0, space6 = 0.0, visible = 0, visSum = 0.0, known = 0 }
        var rows = [Acc](repeating: Acc(), count: entities.count)
        var lastEnd4 = [UInt64](repeating: 0, count: entities.count)
        var lastEnd6 = [UInt64](repeating: 0, count: entities.count)
        for id in sorted {
            let p = state.prefixes[id]
            let ff = p.isIPv6 ? ff6 : ff4
            let vis = Int(state.fullFeedVisibility[Int(id)])
            let isVisible = ff > 0 && vis * 2 > ff
            forEachEntity(of: id, originAS: state.origin[Int(id)]) { e in
                // Entities first met here: caching one prefix's entities can add several.
                while e >= rows.count {
                    rows.append(Acc()); lastEnd4.append(0); lastEnd6.append(0)
                }
                rows[e].known += 1
                rows[e].visSum += ff > 0 ? Double(vis) / Double(ff) : 0
                guard isVisible else { return }
                rows[e].visible += 1
                switch p.address {
                case let .v4(a):
                    let start = UInt64(a), end = start + (UInt64(1) << UInt64(32 - Int(p.length)))
                    if end > lastEnd4[e] {
                        rows[e].space4 += Double(end - max(start, lastEnd4[e])) / 256
                        lastEnd4[e] = end
                    }
                case let .v6(h, _):
                    // In /64 units (what the high word holds), reported in /48s.
                    let len = min(Int(p.length), 64)
                    let start = h >> 0, size: UInt64 = len == 0 ? UInt64.max : UInt64(1) << UInt64(64 - len)
                    let end = start &+ size
                    if end > lastEnd6[e] || (len == 0) {
                        rows[e].space6 += Double(end &- max(start, lastEnd6[e])) / 65536
                        lastEnd6[e] = end
                    }
                }
            }
        }
        var out: [SeriesRow] = []
        for (i, e) in entities.enumerated() {
            let r = i < rows.count ? rows[i] : Acc()
            let c = churn[i]
            if r.known == 0 && c.announcements == 0 && c.withdrawals == 0 && watched == nil { continue }
            out.append(SeriesRow(entity: e.description, bin: bin, routedV4: r.space4, routedV6: r.space6, visiblePrefixes: r.visible,
                                 meanVisibility: r.known > 0 ? r.visSum / Double(r.known) : 0,
                                 announcements: c.announcements, withdrawals: c.withdrawals, pathChanges: c.pathChanges,
                                 originChanges: c.originChanges, fullFeedPeers4: ff4, fullFeedPeers6: ff6))
        }
        return out
    }

    /// Keeps `sorted` (prefix ids in address order, shorter first) up to date with new prefixes.
    func mergeNewPrefixes() {
        let n = state.prefixes.count
        guard n > sortedCount else { return }
        let fresh = (sortedCount..<n).map { UInt32($0) }.sorted { state.prefixes[$0] < state.prefixes[$1] }
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
