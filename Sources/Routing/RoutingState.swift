public import BGPWire

/// A BGP peer as a collector sees it ("" the collector: the one archive or session list; with
/// RIS Live, the RIS collector it peers with, since one router may peer with several).
public struct PeerKey: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var asn: UInt32
    public var collector: String
    public init(address: IPAddress, asn: UInt32, collector: String = "") {
        self.address = address
        self.asn = asn
        self.collector = collector
    }
    public var description: String { collector.isEmpty ? "\(address) AS\(asn)" : "\(address) AS\(asn) at \(collector)" }
}

/// Which peers count as full-feed (they carry the whole Internet table): the
/// visibility signals are shares of these, as IODA computes them.
public struct FullFeedPolicy: Sendable {
    public var minIPv4: Int
    public var minIPv6: Int
    /// When even the largest peer is below the absolute thresholds (small or
    /// synthetic inputs), a peer is full-feed if it holds at least this share
    /// of the largest peer's prefixes.
    public var relativeShare: Double

    public init(minIPv4: Int = 400_000, minIPv6: Int = 10_000, relativeShare: Double = 0.8) {
        self.minIPv4 = minIPv4
        self.minIPv6 = minIPv6
        self.relativeShare = relativeShare
    }
}

/// What one announcement or withdrawal did to a peer's table.
public enum RouteChange: Equatable, Sendable {
    /// A route for a prefix the peer did not have.
    case announced(prefix: UInt32, path: UInt32)
    /// The same path again (a duplicate announcement).
    case duplicate(prefix: UInt32)
    /// An implicit withdrawal: the prefix now has another path.
    case pathChanged(prefix: UInt32, old: UInt32, new: UInt32)
    case withdrawn(prefix: UInt32, old: UInt32)
    /// A withdrawal of a route the peer never announced (or already withdrew).
    case unknownWithdrawal
    /// An ADD-PATH path beyond `PeerTable.maxPathsPerPrefix` for this (peer, prefix): not stored.
    case refused(prefix: UInt32)
}

/// Every peer's routes, built from RIB dumps and advanced by updates, with
/// per-prefix visibility among full-feed peers kept up to date incrementally.
public final class RoutingState {
    public private(set) var prefixes = PrefixIndex()
    public private(set) var paths = PathTable()
    public private(set) var peers: [PeerKey] = []
    var peerIndex: [PeerKey: Int] = [:]
    public private(set) var tables: [PeerTable] = []
    /// Per peer: full-feed for IPv4, for IPv6.
    public private(set) var fullFeed4: [Bool] = []
    public private(set) var fullFeed6: [Bool] = []
    /// Per prefix id: how many full-feed peers (of its family) have a route. 32 bits:
    /// peers come from input, and a 16-bit count wrapped to 0 past 65,535 of them.
    public private(set) var fullFeedVisibility: [UInt32] = []
    /// Per prefix id: the most full-feed peers that have carried it at once. Without a RIB a
    /// peer's table holds only what its updates named, so "nearly every peer" means nearly
    /// every peer known to carry the prefix, not every full-feed peer.
    public private(set) var peakVisibility: [UInt32] = []
    /// Per prefix id: origin AS of the most recent route for it (0: unknown).
    public private(set) var origin: [UInt32] = []
    public var policy: FullFeedPolicy
    /// Full attributes per route, for RIB snapshots; nil (the default) keeps none.
    public var attributeStore: AttributeStore?
    /// ADD-PATH announcements refused because their (peer, prefix) already held
    /// `PeerTable.maxPathsPerPrefix` paths.
    public private(set) var refusedPaths = 0
    var lastPath: (path: ASPath, id: UInt32)?

    /// Whether prefixes and paths no route holds are released (live feeds, where peers are
    /// strangers: what one peer announced and withdrew must not cost memory for ever).
    /// Set before the first route. See `forget`.
    public var forgetting = false
    /// The time of the element being applied (the data's clock), set by the signal engine.
    public var now: UInt32 = 0
    /// Per prefix id: peers holding a route for it; when it was first held; when the last holder
    /// withdrew it (kept only when `forgetting`).
    public private(set) var holders: [UInt32] = []
    var firstHeld: [UInt32] = []
    var unheldAt: [UInt32] = []
    /// Prefixes whose last holder left since the last `forget`, and those kept by it (not transient).
    var unheld: [UInt32] = []
    var remembered: [UInt32] = []
    var listed: [Bool] = []
    /// Prefixes first held less than this long before no peer held them are forgotten at once:
    /// a route that came and went (or a peer's junk) leaves nothing behind.
    public var transientSeconds: UInt32 = 3600
    /// Prefixes first held this soon after the first route of all are never transient: the first
    /// tables (after a start or restart) hold routes of unknown age, maybe routed for years before
    /// Vigil looked, and one withdrawn a minute later is an outage, not junk.
    public var startupGrace: UInt32 = 600
    /// When the first route was held (the data's clock).
    var observingSince: UInt32?
    /// Prefixes held longer are remembered this long after the last peer withdrew them, so an
    /// entity that went dark stays an outage while it is judged, not an unknown.
    public var rememberSeconds: UInt32 = 7 * 86400
    /// Prefixes waiting for `forget` (the signal engine calls it when this grows large).
    public var unheldPending: Int { unheld.count }

    public init(policy: FullFeedPolicy = FullFeedPolicy()) {
        self.policy = policy
    }

    /// Full-feed peers per family, as of the last `updateFullFeed` or exclusion.
    public private(set) var fullFeedPeers4 = 0
    public private(set) var fullFeedPeers6 = 0
    /// Peers whose feed is broken (session lost, most of the table withdrawn): never
    /// full-feed while excluded, so entities are judged without them.
    public private(set) var excluded: [Bool] = []
    /// What the last `announce` or `withdraw` did to the prefix's full-feed visibility
    /// (+1, -1 or 0): how the signal engine sees a prefix cross a visibility line.
    public private(set) var visibilityStep: Int8 = 0
    public var routeCount: Int { tables.reduce(0) { $0 + $1.count } }

    public func peer(_ key: PeerKey) -> Int {
        if let i = peerIndex[key] { return i }
        peers.append(key)
        tables.append(PeerTable())
        fullFeed4.append(false)
        fullFeed6.append(false)
        excluded.append(false)
        peerIndex[key] = peers.count - 1
        return peers.count - 1
    }

    public func existingPeer(_ key: PeerKey) -> Int? { peerIndex[key] }

    @inline(__always)
    func prefixID(_ p: Prefix) -> UInt32 {
        let id = prefixes.id(p)
        if Int(id) == fullFeedVisibility.count {
            fullFeedVisibility.append(0)
            peakVisibility.append(0)
            origin.append(0)
            if forgetting {
                holders.append(0)
                firstHeld.append(0)
                unheldAt.append(0)
                listed.append(false)
            }
        }
        return id
    }

    @inline(__always)
    public func isFullFeed(_ peer: Int, v6: Bool) -> Bool { v6 ? fullFeed6[peer] : fullFeed4[peer] }

    public func announce(peer: Int, prefix: Prefix, pathIdentifier: UInt32? = nil, asPath: ASPath, attributes: [PathAttribute] = []) -> RouteChange {
        announce(peer: peer, prefix: prefix, pathIdentifier: pathIdentifier, path: pathID(asPath), attributes: attributes)
    }

    /// The id of a decoded path (the live path's elements).
    public func pathID(_ asPath: ASPath) -> UInt32 {
        // The prefixes of one update share their path: skip the hash lookup (Array ==
        // returns at once for the same storage).
        if let last = lastPath, last.path == asPath { return last.id }
        let path = paths.id(asPath)
        lastPath = (asPath, path)
        return path
    }

    /// The id of a path given as canonical bytes (see `RouteBatch`).
    @inline(__always)
    public func pathID(canonical bytes: UnsafeRawBufferPointer) -> UInt32 { paths.id(canonical: bytes) }

    /// Announces a route whose path is already interned (`pathID`).
    public func announce(peer: Int, prefix: Prefix, pathIdentifier: UInt32? = nil, path: UInt32, attributes: [PathAttribute] = []) -> RouteChange {
        visibilityStep = 0
        let p = prefixID(prefix)
        let v6 = prefix.isIPv6
        let old: UInt32?
        let newPrefix: Bool
        if let pid = pathIdentifier {
            guard let r = tables[peer].setAddPath(p, pid, path, v6: v6, universe: prefixes.count) else {
                refusedPaths += 1
                return .refused(prefix: p)
            }
            old = r.old
            newPrefix = r.main == nil
            if forgetting {
                // The path is held twice: by its path identifier and by the prefix's main slot.
                paths.retain(path)
                paths.retain(path)
                if let o = r.old { paths.release(o) }
                if let m = r.main { paths.release(m) }
            }
        } else {
            old = tables[peer].set(p, path, v6: v6, universe: prefixes.count)
            newPrefix = old == nil
            if forgetting {
                paths.retain(path)
                if let o = old { paths.release(o) }
            }
        }
        if forgetting && newPrefix {
            if holders[Int(p)] == 0 && firstHeld[Int(p)] == 0 { firstHeld[Int(p)] = now }
            if observingSince == nil { observingSince = now }
            holders[Int(p)] += 1
        }
        origin[Int(p)] = paths.origins[Int(path)]
        attributeStore?.set(peer: peer, prefix: p, v6: v6, universe: prefixes.count, attributes)
        if newPrefix && isFullFeed(peer, v6: v6) {
            fullFeedVisibility[Int(p)] &+= 1
            peakVisibility[Int(p)] = max(peakVisibility[Int(p)], fullFeedVisibility[Int(p)])
            visibilityStep = 1
        }
        guard let o = old else { return .announced(prefix: p, path: path) }
        return o == path ? .duplicate(prefix: p) : .pathChanged(prefix: p, old: o, new: path)
    }

    public func withdraw(peer: Int, prefix: Prefix, pathIdentifier: UInt32? = nil) -> RouteChange {
        visibilityStep = 0
        guard let p = prefixes.existingID(prefix) else { return .unknownWithdrawal }
        let v6 = prefix.isIPv6
        if pathIdentifier == nil { attributeStore?.remove(peer: peer, prefix: p, v6: v6) }
        let old: UInt32?
        let gone: Bool
        if let pid = pathIdentifier {
            let r = tables[peer].removeAddPath(p, pid, v6: v6)
            (old, gone) = (r.old, r.main != nil)
            if forgetting, let m = r.main { paths.release(m) }
        } else {
            old = tables[peer].remove(p, v6: v6)
            gone = old != nil
        }
        guard let o = old else { return .unknownWithdrawal }
        if forgetting {
            paths.release(o)
            if gone { dropHolder(p) }
        }
        if gone && isFullFeed(peer, v6: v6) {
            fullFeedVisibility[Int(p)] &-= 1
            visibilityStep = -1
        }
        return .withdrawn(prefix: p, old: o)
    }

    /// Prefix ids handed out again since the last call (see `PrefixIndex.takeReused`).
    public func takeReusedPrefixes() -> [UInt32] { prefixes.takeReused() }

    @inline(__always)
    func dropHolder(_ p: UInt32) {
        holders[Int(p)] -= 1
        guard holders[Int(p)] == 0 else { return }
        unheldAt[Int(p)] = now
        if !listed[Int(p)] {
            listed[Int(p)] = true
            unheld.append(p)
        }
    }

    /// A session left Established: the peer's routes are gone. Calls `removed` for each.
    public func sessionDown(peer: Int, removed: (UInt32, UInt32) -> Void = { _, _ in }) {
        attributeStore?.removeAll(peer: peer)
        let t = tables[peer]
        t.forEach { p, path in
            if isFullFeed(peer, v6: prefixes[p].isIPv6) { fullFeedVisibility[Int(p)] &-= 1 }
            if forgetting {
                paths.release(path)
                dropHolder(p)
            }
            removed(p, path)
        }
        if forgetting { for path in t.addPaths.values { paths.release(path) } }
        tables[peer].removeAll()
    }

    /// Releases what no route holds (only when `forgetting`): prefixes nobody has held since
    /// the last call that were transient (first held less than `transientSeconds` before), and,
    /// with `all`, the remembered ones unheld for `rememberSeconds`; then, when most paths are
    /// unused, compacts the path table. Returns the prefix ids released (to be handed out again)
    /// and whether path ids changed (every path id held elsewhere is then stale).
    public func forget(all: Bool) -> (released: [UInt32], pathsRenumbered: Bool) {
        guard forgetting else { return ([], false) }
        var released: [UInt32] = []
        func consider(_ p: UInt32, _ keep: inout [UInt32]) {
            let i = Int(p)
            guard holders[i] == 0 else { listed[i] = false; return }
            let seenAppear = Int64(firstHeld[i]) - Int64(observingSince ?? firstHeld[i]) >= Int64(startupGrace)
            if (seenAppear && unheldAt[i] &- firstHeld[i] < transientSeconds) || now &- unheldAt[i] >= rememberSeconds {
                listed[i] = false
                peakVisibility[i] = 0
                origin[i] = 0
                firstHeld[i] = 0
                unheldAt[i] = 0
                prefixes.release(p)
                released.append(p)
            } else {
                keep.append(p)
            }
        }
        var kept = remembered
        for p in unheld { consider(p, &kept) }
        unheld.removeAll(keepingCapacity: true)
        if all {
            var still: [UInt32] = []
            for p in kept { consider(p, &still) }
            kept = still
        }
        remembered = kept
        var renumbered = false
        if paths.unused > 65536 && paths.unused * 2 > paths.count {
            let (compact, map) = paths.compacted()
            paths = compact
            for i in tables.indices { tables[i].remapPaths(map) }
            lastPath = nil
            renumbered = true
        }
        return (released, renumbered)
    }

    /// Re-decides which peers are full-feed and moves their routes in or out of
    /// the visibility counts. Call at bin boundaries (it is cheap when nothing changes).
    public func updateFullFeed() {
        if let (f4, f6) = frozenFullFeed {
            for i in tables.indices {
                setFullFeed(i, i < f4.count && f4[i] && !excluded[i], i < f6.count && f6[i] && !excluded[i])
            }
            fullFeedPeers4 = fullFeed4.lazy.filter { $0 }.count
            fullFeedPeers6 = fullFeed6.lazy.filter { $0 }.count
            return
        }
        let max4 = tables.map(\.v4Count).max() ?? 0
        let max6 = tables.map(\.v6Count).max() ?? 0
        let need4 = max4 >= policy.minIPv4 ? policy.minIPv4 : max(1, Int((Double(max4) * policy.relativeShare).rounded(.up)))
        let need6 = max6 >= policy.minIPv6 ? policy.minIPv6 : max(1, Int((Double(max6) * policy.relativeShare).rounded(.up)))
        for i in tables.indices {
            let f4 = tables[i].v4Count >= need4 && max4 > 0 && !excluded[i]
            let f6 = tables[i].v6Count >= need6 && max6 > 0 && !excluded[i]
            setFullFeed(i, f4, f6)
        }
        fullFeedPeers4 = fullFeed4.lazy.filter { $0 }.count
        fullFeedPeers6 = fullFeed6.lazy.filter { $0 }.count
    }

    /// The full-feed set decided once and kept (feed health still takes peers out and back).
    /// Without a RIB, tables learnt from updates grow for days and a peer re-sending its whole
    /// table dwarfs the others: deciding again from their sizes each bin would move every
    /// prefix's visibility with no route changing.
    public private(set) var frozenFullFeed: ([Bool], [Bool])?

    public func freezeFullFeed() {
        updateFullFeed()
        frozenFullFeed = (fullFeed4, fullFeed6)
    }

    /// Moves a peer's routes in or out of the visibility counts.
    func setFullFeed(_ i: Int, _ f4: Bool, _ f6: Bool) {
        guard f4 != fullFeed4[i] || f6 != fullFeed6[i] else { return }
        let d4 = f4 != fullFeed4[i], d6 = f6 != fullFeed6[i]
        tables[i].forEach { p, _ in
            if prefixes[p].isIPv6 {
                if d6 { if f6 { raise(p) } else { fullFeedVisibility[Int(p)] &-= 1 } }
            } else if d4 {
                if f4 { raise(p) } else { fullFeedVisibility[Int(p)] &-= 1 }
            }
        }
        fullFeed4[i] = f4
        fullFeed6[i] = f6
    }

    @inline(__always)
    func raise(_ p: UInt32) {
        fullFeedVisibility[Int(p)] &+= 1
        peakVisibility[Int(p)] = max(peakVisibility[Int(p)], fullFeedVisibility[Int(p)])
    }

    /// Takes a peer out of (or gives it back to) the full-feed set at once, for feed
    /// health: its later withdrawals then move no visibility. Back in, the next
    /// `updateFullFeed` decides again from its table.
    public func exclude(peer: Int, _ out: Bool) {
        excluded[peer] = out
        if out {
            setFullFeed(peer, false, false)
            fullFeedPeers4 = fullFeed4.lazy.filter { $0 }.count
            fullFeedPeers6 = fullFeed6.lazy.filter { $0 }.count
        }
    }

    /// Bytes held by the per-peer tables and the path store, and the routes they hold.
    public func memoryReport() -> (routes: Int, tableBytes: Int, pathBytes: Int) {
        let tableBytes = tables.reduce(0) { $0 + $1.storageBytes }
        let pathBytes = paths.storageBytes
        return (routeCount, tableBytes, pathBytes)
    }
}

extension RoutingState {
    /// The most specific route covering `block` that any peer carries: its prefix,
    /// how many peers carry it, and its origin. nil when no peer routes the block.
    /// (At most one hash lookup per prefix length: cheap enough per probed block.)
    public func route(covering block: Prefix) -> (prefix: Prefix, peers: Int, origin: UInt32)? {
        for len in stride(from: Int(block.length), through: 0, by: -1) {
            let p = Prefix(address: block.address, length: UInt8(len)).masked
            guard let id = prefixes.existingID(p) else { continue }
            let n = tables.reduce(0) { $0 + ($1.path(id) != nil ? 1 : 0) }
            if n > 0 { return (p, n, origin[Int(id)]) }
        }
        return nil
    }
}
