public import Collector
public import Config
public import Logging
import NIOConcurrencyHelpers
public import Signals

/// The BGP collector as a source: passive sessions on the configured addresses and active
/// ones dialled with backoff, each message archived as received, validated updates to the pipeline.
public final class BGPSource: ElementSource {
    public let name = "bgp"
    public let limits: SourceHealthTracker.Limits
    public let registry = SessionRegistry()
    let cfg: CollectConfig
    let archive: SharedArchive?
    let logger: Logger
    let parts = NIOLockedValueBox<(listener: BGPListener?, connector: BGPConnector?)>((nil, nil))
    /// Accept and dial only after `acceptConnections` (when privileges are dropped after start).
    let holdConnections: Bool
    let heldDials = NIOLockedValueBox<[BGPConnector.Target]>([])

    public init(_ cfg: CollectConfig, archive: SharedArchive?, logger: Logger, holdConnections: Bool = false) {
        self.cfg = cfg
        self.archive = archive
        self.holdConnections = holdConnections
        var l = logger
        l[metadataKey: "source"] = "bgp"
        self.logger = l
        // A session is silent past its hold time: it would have been torn down by then.
        limits = .init(silentAfter: max(90, Int64(cfg.holdTime) * 2))
    }

    public func start(into sink: any ElementSink) throws {
        let events = CollectorEvents.feeding(sink, logger: logger)
        let session = {
            var c = SessionMachine.Config(localAS: cfg.localAS, routerID: cfg.routerID)
            c.holdTime = cfg.holdTime
            c.openTimeout = cfg.openTimeout
            c.maxPrefixes = cfg.maxPrefixes
            c.maxPrefixesWarning = cfg.maxPrefixesWarning
            return c
        }()
        func config(_ p: CollectConfig.Peer) -> SessionMachine.Config {
            var c = session
            c.peerAS = p.asn
            c.maxPrefixes = p.maxPrefixes ?? cfg.maxPrefixes
            c.md5Key = p.password.map { Array($0.utf8) }
            c.ttlSecurity = p.ttlSecurity
            return c
        }
        let passive = Dictionary(cfg.peers.filter { !$0.active }.map { ($0.address, config($0)) }, uniquingKeysWith: { a, _ in a })
        // Closed by default: only the configured peers, unless the configuration opens it (labs).
        let acceptAny = cfg.acceptAny
        if !cfg.listen.isEmpty && passive.isEmpty && !acceptAny {
            logger.warning("no passive [[peer]] is configured and collector.accept_any is off: every BGP connection will be refused")
        }
        let listener = BGPListener(config: session, archive: archive, events: events, registry: registry,
                                   maxConnections: cfg.maxConnections) { address in
            passive[address] ?? (acceptAny ? session : nil)
        }
        for p in cfg.peers where !p.active { registry.update(p.address) { $0.asn = p.asn ?? 0 } }
        listener.md5Keys = cfg.peers.compactMap { p in p.password.map { (p.address, Array($0.utf8)) } }
        listener.holdConnections = holdConnections
        parts.withLockedValue { $0.listener = listener }
        for l in cfg.listen {
            let port = try listener.start(host: l.host, port: l.port)
            logger.info("listening for BGP on \(l.host) port \(port)")
        }
        let connector = BGPConnector(archive: archive, events: events, registry: registry)
        parts.withLockedValue { $0.connector = connector }
        for p in cfg.peers where p.active {
            let peer = BGPConnector.Target(address: p.address, port: p.port, config: config(p))
            if holdConnections { heldDials.withLockedValue { $0.append(peer) } } else { connector.add(peer) }
            logger.info("dialling \(p.address) port \(p.port) (AS\(p.asn ?? 0))")
        }
    }

    public func acceptConnections() {
        let p = parts.withLockedValue { $0 }
        p.listener?.acceptConnections()
        for peer in heldDials.withLockedValue({ d in defer { d = [] }; return d }) { p.connector?.add(peer) }
    }

    public func reading() -> SourceReading {
        registry.prune(keeping: Set(cfg.peers.map(\.address)), idle: 3600, now: wallClock().0)
        let peers = registry.snapshot()
        let up = peers.filter { $0.state == "Established" }.count
        return SourceReading(connected: peers.isEmpty ? nil : up > 0, count: peers.reduce(0) { $0 + $1.messages },
                             detail: "\(up) of \(peers.count) sessions established")
    }

    /// Closes the sessions (after the pipeline stopped, so their routes are not withdrawn from what it judged).
    public func stop() {
        let p = parts.withLockedValue { $0 }
        p.connector?.stop()
        p.listener?.stop()
    }
}

/// The BMP station as a source: each monitored peer of each router is a peer of the routing state.
public final class BMPSource: ElementSource {
    public let name = "bmp"
    public let limits = SourceHealthTracker.Limits(silentAfter: 600)
    let cfg: CollectConfig
    let archive: SharedArchive?
    let logger: Logger
    let station = NIOLockedValueBox<BMPStation?>(nil)
    let holdConnections: Bool

    public init(_ cfg: CollectConfig, archive: SharedArchive?, logger: Logger, holdConnections: Bool = false) {
        self.cfg = cfg
        self.archive = archive
        self.holdConnections = holdConnections
        var l = logger
        l[metadataKey: "source"] = "bmp"
        self.logger = l
    }

    public func start(into sink: any ElementSink) throws {
        let events = CollectorEvents.feeding(sink, logger: logger)
        let s = BMPStation(localAS: cfg.localAS, archive: archive, events: events)
        s.holdConnections = holdConnections
        // Closed by default: only the routers listed, unless the configuration opens it (labs).
        let routers = Set(cfg.bmpRouters), any = cfg.bmpAcceptAny
        s.accept = { any || routers.contains($0) }
        if !cfg.bmpListen.isEmpty && routers.isEmpty && !any {
            logger.warning("bmp.routers is empty and bmp.accept_any is off: every BMP connection will be refused")
        }
        station.withLockedValue { $0 = s }
        for l in cfg.bmpListen {
            let port = try s.start(host: l.host, port: l.port)
            logger.info("listening for BMP on \(l.host) port \(port)")
        }
    }

    public func acceptConnections() { station.withLockedValue { $0 }?.acceptConnections() }

    public func routers() -> [BMPStation.RouterStatus] { station.withLockedValue { $0 }?.routers() ?? [] }

    public func reading() -> SourceReading {
        let r = routers()
        let peers = r.flatMap(\.peers)
        return SourceReading(connected: r.isEmpty ? nil : true, count: r.reduce(0) { $0 + $1.messages },
                             detail: "\(r.count) routers, \(peers.filter(\.isUp).count) of \(peers.count) monitored peers up")
    }

    public func stop() {
        station.withLockedValue { $0 }?.stop()
    }
}
