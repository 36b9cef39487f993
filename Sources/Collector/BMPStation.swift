public import BGPWire
import MRT
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import Logging

/// A BMP monitoring station (RFC 7854): routers connect to it and report their
/// BGP sessions. Each monitored peer is archived and reported as if Vigil peered
/// with it directly: BGP4MP_ET STATE_CHANGE on Peer Up/Down, the embedded UPDATEs
/// as BGP4MP_ET MESSAGE records under the peer's address and AS (as RIS archives
/// its BMP-fed peers), and validated updates through `CollectorEvents`.
///
/// Only pre-policy Adj-RIB-In (L flag clear, peer types 0–2) is used unless
/// `includePostPolicy` is set: post-policy and Loc-RIB routes are the router's
/// view after its own filters, not what the peer announced, and both kinds would
/// land under the same peer in the archive, counting every route twice.
public final class BMPStation: @unchecked Sendable {
    let localAS: UInt32
    let archive: SharedArchive?
    let events: CollectorEvents
    let group: MultiThreadedEventLoopGroup
    var channel: (any Channel)?
    var stopped = false

    /// Also use post-policy (L) and Loc-RIB (peer type 3) Route Monitoring. Set before `start`.
    public var includePostPolicy = false
    /// A per-peer header timestamp is used for archive records and `onUpdate` only when
    /// within this many seconds of the station's clock, else the station's time is.
    /// Routers' clocks are not ours to trust (FRR 8.4 stamps Peer Up/Down with its boot
    /// time), and a table replayed at connection time carries old route ages that would
    /// reopen long-completed archive files. Set before `start`.
    public var timestampTolerance: UInt32 = 60
    /// Which routers may connect (the `[bmp] routers` list); others are closed at once. Set before `start`.
    public var accept: @Sendable (IPAddress) -> Bool = { _ in true }

    /// What `routers()` reports, per connection; peers keyed for the per-message updates.
    struct RouterRecord {
        var status: RouterStatus
        var peers: [MonitoredPeerKey: PeerStatus] = [:]
    }

    let lock = NIOLock()
    var registry: [Int: RouterRecord] = [:]
    var nextID = 0

    public init(localAS: UInt32, archive: SharedArchive?, events: CollectorEvents, threads: Int = 1) {
        self.localAS = localAS
        self.archive = archive
        self.events = events
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Starts listening; returns the port (useful with port 0).
    @discardableResult
    public func start(host: String, port: Int) throws -> Int {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.autoRead, value: !holdConnections)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BMPConnectionHandler(station: self))
                }
            }
        let ch = try bootstrap.bind(host: host, port: port).wait()
        channel = ch
        return ch.localAddress?.port ?? port
    }

    /// Listen without accepting until `acceptConnections` (see `BGPListener.holdConnections`).
    public var holdConnections = false

    public func acceptConnections() {
        channel?.setOption(.autoRead, value: true).whenFailure { _ in }
    }

    /// Closes the listening socket and every router connection (their peers go down),
    /// then completes the current archive file.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        try? channel?.close().wait()
        channel = nil
        try? group.syncShutdownGracefully()
        archive?.rotate()
    }

    // MARK: Status

    /// A monitored peer as the station last heard of it.
    public struct PeerStatus: Sendable, Hashable {
        public var peer: PeerInfo
        /// Per-peer header peer type and distinguisher: with the address, a peer's identity (§4.2).
        public var peerType: UInt8
        public var distinguisher: UInt64
        public var bgpID: UInt32
        public var isUp: Bool
        /// The session options from the Peer Up OPENs; nil before any Peer Up.
        public var options: SessionOptions?
        /// Route Monitoring messages used (archived and passed to `onUpdate`).
        public var routeMonitoring: Int
        /// The latest Statistics Report, with the per-peer header's time.
        public var statistics: [BMPStatistic]
        public var statisticsSeconds: UInt32
        public var statisticsMicroseconds: UInt32
    }

    /// A connected router.
    public struct RouterStatus: Sendable, Hashable {
        public var address: IPAddress
        public var port: Int
        /// Station time the connection was accepted.
        public var connectedAt: UInt32
        /// Whether an Initiation message arrived, and what it said.
        public var initiated: Bool
        public var sysName: String?
        public var sysDescr: String?
        public var messages: Int
        public var bytes: Int
        public var peers: [PeerStatus]
    }

    /// The latest statistics counters of one monitored peer.
    public struct PeerStatistics: Sendable, Hashable {
        public var router: IPAddress
        public var peer: PeerInfo
        public var seconds: UInt32
        public var microseconds: UInt32
        public var counters: [BMPStatistic]
    }

    /// The routers connected now, in connection order, with their peers (by address).
    public func routers() -> [RouterStatus] {
        lock.withLock {
            registry.sorted { $0.key < $1.key }.map { _, r in
                var s = r.status
                s.peers = r.peers.values.sorted { ($0.peer.address, $0.peerType, $0.distinguisher) < ($1.peer.address, $1.peerType, $1.distinguisher) }
                return s
            }
        }
    }

    /// The latest Statistics Report of every peer that sent one, on every connected router.
    public func stats() -> [PeerStatistics] {
        routers().flatMap { r in
            r.peers.filter { !$0.statistics.isEmpty }.map {
                PeerStatistics(router: r.address, peer: $0.peer, seconds: $0.statisticsSeconds, microseconds: $0.statisticsMicroseconds,
                               counters: $0.statistics)
            }
        }
    }

    func register(_ status: RouterStatus) -> Int {
        lock.withLock {
            nextID += 1
            registry[nextID] = RouterRecord(status: status)
            return nextID
        }
    }

    func updateRouter(_ id: Int, _ body: (inout RouterStatus) -> Void) {
        lock.withLock {
            if registry[id] != nil { body(&registry[id]!.status) }
        }
    }

    func updatePeer(_ id: Int, _ key: MonitoredPeerKey, _ body: (inout PeerStatus) -> Void) {
        lock.withLock {
            if registry[id]?.peers[key] != nil { body(&registry[id]!.peers[key]!) }
        }
    }

    /// Adds a peer to a router's status, or updates what a Peer Up/Down changes.
    func recordPeer(_ id: Int, _ key: MonitoredPeerKey, _ fresh: PeerStatus) {
        lock.withLock {
            guard registry[id] != nil else { return }
            if var p = registry[id]!.peers[key] {
                p.peer = fresh.peer
                p.bgpID = fresh.bgpID
                p.isUp = fresh.isUp
                p.options = fresh.options
                registry[id]!.peers[key] = p
            } else {
                registry[id]!.peers[key] = fresh
            }
        }
    }

    func unregister(_ id: Int) {
        _ = lock.withLock { registry.removeValue(forKey: id) }
    }
}

/// A monitored peer's identity on one router (RFC 7854 §4.2).
struct MonitoredPeerKey: Hashable {
    var peerType: UInt8
    var distinguisher: UInt64
    var address: IPAddress
    init(_ h: BMPPeerHeader) {
        peerType = h.peerType
        distinguisher = h.distinguisher
        address = h.address
    }
}

/// One router's BMP connection: frames messages, tracks each monitored peer's
/// session options, archives and reports. A bad message closes this connection only.
final class BMPConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    struct Peer {
        var info: PeerInfo
        var isUp = false
        var options: SessionOptions?
        var localAS: UInt32
        var localAddress: IPAddress
    }

    enum Outcome {
        case needMore
        case message(length: Int, BMPMessage, options: SessionOptions?, decision: UpdateDecision?, pdu: [UInt8])
        case failure(WireError)
    }

    let station: BMPStation
    var pending: ByteBuffer?
    var offset = 0
    var router: IPAddress = .v4Zero
    var id = 0
    var peers: [MonitoredPeerKey: Peer] = [:]
    var lastTime: (UInt32, UInt32) = (0, 0)
    var closing = false
    /// Route Monitoring messages for peers without a Peer Up.
    var ignored = 0
    /// Reading paused while the pipeline is full.
    var throttle = ReadThrottle()

    init(station: BMPStation) { self.station = station }

    var events: CollectorEvents { station.events }

    func channelActive(context: ChannelHandlerContext) {
        if let ip = context.remoteAddress?.ipAddress, let a = IPAddress(ip) { router = a }
        // An IPv4 router on a dual-stack [::] listener arrives as ::ffff:a.b.c.d.
        if case let .v6(hi, lo) = router, hi == 0, lo >> 32 == 0xFFFF { router = .v4(UInt32(truncatingIfNeeded: lo)) }
        guard station.accept(router) else {
            events.logger.warning("BMP connection from \(router) refused: not in bmp.routers", metadata: ["bmp.router": "\(router)"])
            closing = true
            context.close(promise: nil)
            return
        }
        pending = context.channel.allocator.buffer(capacity: 4096)
        id = station.register(BMPStation.RouterStatus(address: router, port: context.remoteAddress?.port ?? 0, connectedAt: wallClock().0,
                                                      initiated: false, messages: 0, bytes: 0, peers: []))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !closing else { return }
        throttle.check(events, context.channel) { [self] in throttle.resumed() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var incoming = unwrapInboundIn(data)
        pending!.writeBuffer(&incoming)
        while !closing {
            let outcome: Outcome = pending!.withUnsafeReadableBytes { raw in decodeOne(ByteReader(raw, base: offset)) }
            switch outcome {
            case .needMore:
                pending!.discardReadBytes()
                return
            case let .message(length, message, options, decision, pdu):
                pending!.moveReaderIndex(forwardBy: length)
                offset += length
                station.updateRouter(id) { $0.messages += 1; $0.bytes += length }
                handle(message, options: options, decision: decision, pdu: pdu, context)
            case let .failure(e):
                events.logger.warning("router \(router): offset \(e.offset): \(e.description)", metadata: ["bmp.router": "\(router)"])
                close(context)
            }
        }
    }

    /// Frames and decodes the next message. A Route Monitoring UPDATE is read by the
    /// peer's options from its Peer Up first; when it does not read cleanly with them
    /// (throws, or RFC 7606 would withdraw it), by the variants routers are known to
    /// send instead: FRR 8.4 leaves out ADD-PATH path identifiers, and, against RFC
    /// 7854's A flag, writes 2-octet paths for a 2-octet session while RFC-following
    /// routers write 4-octet ones unless A is set.
    func decodeOne(_ start: ByteReader) -> Outcome {
        do throws(WireError) {
            guard let length = try BMPMessage.frame(start) else { return .needMore }
            var header: BMPPeerHeader?
            var primary = SessionOptions.fourOctet
            var r = start
            let first: Result<BMPMessage, WireError>
            do throws(WireError) {
                first = .success(try BMPMessage.decode(&r) { h in
                    header = h
                    primary = self.options(for: h)
                    return primary
                })
            } catch { first = .failure(error) }
            guard let h = header, start.bytes[start.offset + 5] == BMPMessage.routeMonitoringType else {
                return .message(length: length, try first.get(), options: nil, decision: nil, pdu: [])
            }
            let pdu = Array(start.bytes[(start.offset + BMPMessage.perPeerMessageHeaderLength)..<(start.offset + length)])
            var firstDecision: UpdateDecision?
            if case let .success(.routeMonitoring(_, u)) = first {
                let d = u.validate()
                if d.isClean { return .message(length: length, try first.get(), options: primary, decision: d, pdu: pdu) }
                firstDecision = d
            }
            for alt in alternatives(primary, h) {
                var rr = start
                guard let m = try? BMPMessage.decode(&rr, options: { _ in alt }), case let .routeMonitoring(_, u) = m else { continue }
                let d = u.validate()
                if d.isClean { return .message(length: length, m, options: alt, decision: d, pdu: pdu) }
            }
            return .message(length: length, try first.get(), options: primary, decision: firstDecision, pdu: pdu)
        } catch {
            return .failure(error)
        }
    }

    func options(for h: BMPPeerHeader) -> SessionOptions {
        var o = peers[MonitoredPeerKey(h)]?.options ?? SessionOptions(fourOctetAS: true, extendedMessages: true)
        if h.isLegacyASPath { o.fourOctetAS = false }
        return o
    }

    func alternatives(_ primary: SessionOptions, _ h: BMPPeerHeader) -> [SessionOptions] {
        var out: [SessionOptions] = []
        if !primary.addPath.isEmpty { var o = primary; o.addPath = []; out.append(o) }
        if !primary.fourOctetAS && !h.isLegacyASPath {
            var o = primary; o.fourOctetAS = true; out.append(o)
            if !primary.addPath.isEmpty { o.addPath = []; out.append(o) }
        }
        return out
    }

    /// The time for a record about `h`: the router's when plausible, else ours; never
    /// earlier than this connection's previous record, so archive files stay in order.
    func time(_ h: BMPPeerHeader?) -> (UInt32, UInt32) {
        let now = wallClock()
        var t = now
        if let h, h.seconds != 0, h.microseconds < 1_000_000, (Int64(h.seconds) - Int64(now.0)).magnitude <= UInt64(station.timestampTolerance) {
            t = (h.seconds, h.microseconds)
        }
        if t < lastTime { t = lastTime }
        lastTime = t
        return t
    }

    func peering(_ p: Peer, fourOctetAS: Bool) -> BGP4MPPeering {
        func fit(_ a: UInt32) -> UInt32 { fourOctetAS || a <= 0xFFFF ? a : 23456 }  // AS_TRANS in a 2-octet record
        return BGP4MPPeering(peerAS: fit(p.info.asn), localAS: fit(p.localAS), peerAddress: p.info.address, localAddress: p.localAddress)
    }

    func peer(_ h: BMPPeerHeader) -> Peer {
        peers[MonitoredPeerKey(h)] ?? Peer(info: PeerInfo(address: h.address, asn: h.asn), localAS: station.localAS,
                                  localAddress: h.address.isIPv6 ? .v6Zero : .v4Zero)
    }

    func track(_ h: BMPPeerHeader, _ p: Peer) {
        let key = MonitoredPeerKey(h)
        peers[key] = p
        station.recordPeer(id, key, BMPStation.PeerStatus(peer: p.info, peerType: h.peerType, distinguisher: h.distinguisher, bgpID: h.bgpID,
                                                          isUp: p.isUp, options: p.options, routeMonitoring: 0, statistics: [],
                                                          statisticsSeconds: 0, statisticsMicroseconds: 0))
    }

    func handle(_ m: BMPMessage, options: SessionOptions?, decision: UpdateDecision?, pdu: [UInt8], _ context: ChannelHandlerContext) {
        switch m {
        case let .routeMonitoring(h, _):
            if (h.isPostPolicy || h.peerType == BMPPeerHeader.locRIBInstance) && !station.includePostPolicy {
                events.logger.debug("router \(router): skipped \(h.peerType == 3 ? "Loc-RIB" : "post-policy") Route Monitoring for \(h.address)")
                return
            }
            guard let options, let decision else { return }
            // Routes only from a peer the router said is up (RFC 7854 §4.10): a header alone creates nothing.
            guard let p = peers[MonitoredPeerKey(h)], p.isUp else {
                ignored += 1
                if ignored == 1 || ignored % 10_000 == 0 {
                    events.logger.warning("router \(router): Route Monitoring for \(h.address) AS\(h.asn) without its Peer Up: ignored (\(ignored) so far)",
                                          metadata: ["bmp.router": "\(router)"])
                }
                return
            }
            let (t, us) = time(h)
            station.archive?.append(BGP4MPMessage.rawRecord(timestamp: t, microseconds: us, peering: peering(p, fourOctetAS: options.fourOctetAS),
                                                            fourOctetAS: options.fourOctetAS, addPath: !options.addPath.isEmpty,
                                                            messageBytes: pdu), timestamp: t)
            if case let .sessionReset(_, reason) = decision {
                events.logger.warning("router \(router): peer \(p.info): UPDATE unusable: \(reason)", metadata: ["bmp.router": "\(router)"])
            }
            events.onUpdate(p.info, decision, options, t, us)
            station.updatePeer(id, MonitoredPeerKey(h)) { $0.routeMonitoring += 1 }

        case let .peerUp(h, up):
            var p = peer(h)
            let wasUp = p.isUp
            p.info = PeerInfo(address: h.address, asn: h.asn)
            p.isUp = true
            p.options = up.negotiatedOptions
            p.localAS = up.sentOpen?.asn ?? station.localAS
            p.localAddress = up.localAddress
            track(h, p)
            if wasUp {
                events.logger.debug("router \(router): Peer Up for \(p.info), already up: options updated")
                return
            }
            station.archive?.stateChange(peering(p, fourOctetAS: true), old: 5, new: 6, at: time(h))
            let n = SessionMachine.Negotiated(peerAS: h.asn, peerID: up.receivedOpen?.bgpIdentifier ?? h.bgpID, holdTime: up.holdTime,
                                              options: p.options!, families: up.negotiatedFamilies)
            events.onEstablished(p.info, n)

        case let .peerDown(h, down):
            guard var p = peers[MonitoredPeerKey(h)], p.isUp else {
                // FRR announces every configured peer at connection time, up or not.
                events.logger.debug("router \(router): Peer Down for \(h.address) AS\(h.asn), not up: \(down.text)")
                return
            }
            p.isUp = false
            track(h, p)
            station.archive?.stateChange(peering(p, fourOctetAS: true), old: 6, new: 1, at: time(h))
            events.onDown(p.info, down.text)

        case let .statisticsReport(h, stats):
            // Statistics of a peer never up are the router's business, not a peer to keep.
            guard peers[MonitoredPeerKey(h)] != nil else { return }
            station.updatePeer(id, MonitoredPeerKey(h)) {
                $0.statistics = stats
                $0.statisticsSeconds = h.seconds
                $0.statisticsMicroseconds = h.microseconds
            }
            let counters = stats.map { "\($0.type)=\($0.counter.map(String.init) ?? "\($0.value)")" }.joined(separator: " ")
            events.logger.debug("router \(router): statistics for \(h.address) AS\(h.asn): \(counters)")

        case let .initiation(tlvs):
            // The router's words: escaped before they reach the log and the status output.
            let name = tlvs.first { $0.type == BMPInformation.sysName }.map { peerText($0.value) }
            let descr = tlvs.first { $0.type == BMPInformation.sysDescr }.map { peerText($0.value) }
            station.updateRouter(id) { $0.initiated = true; $0.sysName = name; $0.sysDescr = descr }
            events.logger.info("router \(router): BMP initiation: sysName \(name ?? "-"), sysDescr \(descr ?? "-")", metadata: ["bmp.router": "\(router)"])

        case let .termination(tlvs):
            let reason = tlvs.compactMap(\.terminationReasonCode).first.map { "reason \($0)" }
                ?? tlvs.first { $0.type == BMPInformation.string }.map { peerText($0.value) } ?? "no reason"
            events.logger.info("router \(router): BMP termination: \(reason)", metadata: ["bmp.router": "\(router)"])
            allDown("router terminated BMP (\(reason))")
            close(context)

        case let .routeMirroring(h, raw):
            events.logger.debug("router \(router): Route Mirroring for \(h.address), \(raw.count) bytes")

        case let .unknown(type, body):
            events.logger.debug("router \(router): skipped BMP message type \(type), \(body.count) bytes")
        }
    }

    /// Every monitored peer of this router is down: the router said so, or we can no longer hear it.
    func allDown(_ reason: String) {
        for key in peers.keys.sorted(by: { ($0.address, $0.peerType, $0.distinguisher) < ($1.address, $1.peerType, $1.distinguisher) }) {
            guard var p = peers[key], p.isUp else { continue }
            p.isUp = false
            peers[key] = p
            station.updatePeer(id, key) { $0.isUp = false }
            station.archive?.stateChange(peering(p, fourOctetAS: true), old: 6, new: 1, at: time(nil))
            events.onDown(p.info, reason)
        }
    }

    func close(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        allDown("BMP connection lost")
        station.unregister(id)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        events.logger.warning("router \(router): \(error)", metadata: ["bmp.router": "\(router)"])
        close(context)
    }
}

extension UpdateDecision {
    /// Read without RFC 7606 having to withdraw the routes or reset.
    var isClean: Bool {
        switch self {
        case .accept, .attributeDiscard: true
        case .treatAsWithdraw, .sessionReset: false
        }
    }
}
