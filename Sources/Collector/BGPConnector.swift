public import BGPWire
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers

/// Active peers: dials each one and runs the same session as a listener does;
/// when the connection fails or the session ends it dials again after a backoff
/// that doubles from `minBackoff` to `maxBackoff` (with jitter, so a collector
/// restarting does not hit every router at the same instant), and starts over
/// from `minBackoff` once a session has been established.
public final class BGPConnector: @unchecked Sendable {
    public struct Target: Sendable {
        public var address: IPAddress
        public var port: Int
        public var config: SessionMachine.Config
        public init(address: IPAddress, port: Int = 179, config: SessionMachine.Config) {
            self.address = address
            self.port = port
            self.config = config
        }
    }

    let host: SessionHost
    let group: MultiThreadedEventLoopGroup
    let minBackoff: Double
    let maxBackoff: Double
    let lock = NIOLock()
    var stopped = false
    var channels: [ObjectIdentifier: any Channel] = [:]

    public init(archive: SharedArchive?, events: CollectorEvents, registry: SessionRegistry, threads: Int = 1,
                minBackoff: Double = 1, maxBackoff: Double = 120) {
        host = SessionHost(config: SessionMachine.Config(localAS: 0, routerID: 0), archive: archive, events: events, registry: registry,
                           accept: { _ in nil })
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.minBackoff = minBackoff
        self.maxBackoff = maxBackoff
    }

    public func add(_ target: Target) {
        host.registry.update(target.address) { $0.asn = target.config.peerAS ?? 0; $0.state = "Connect" }
        dial(target, backoff: minBackoff)
    }

    func dial(_ target: Target, backoff: Double) {
        guard !lock.withLock({ stopped }) else { return }
        let host = SessionHost(config: target.config, archive: self.host.archive, events: self.host.events, registry: self.host.registry,
                               accept: { _ in target.config })
        let next = min(maxBackoff, backoff * 2)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { [self] channel in
                // The MD5 key before the SYN goes out.
                let keyed = target.config.md5Key.map { TCPSignature.setMD5(channel, peer: target.address, key: $0, v6Socket: target.address.isIPv6) }
                    ?? channel.eventLoop.makeSucceededVoidFuture()
                return keyed.flatMapThrowing {
                    let h = SessionHandler(host: host, passive: false)
                    h.onClosed = { [self] established in
                        lock.withLock { _ = channels.removeValue(forKey: ObjectIdentifier(channel)) }
                        retry(target, after: established ? minBackoff : backoff, then: established ? minBackoff * 2 : next)
                    }
                    try channel.pipeline.syncOperations.addHandler(h)
                }
            }
        bootstrap.connect(host: target.address.description, port: target.port).whenComplete { [self] result in
            switch result {
            case let .success(ch):
                let keep = lock.withLock { () -> Bool in
                    if stopped { return false }
                    channels[ObjectIdentifier(ch)] = ch
                    return true
                }
                if !keep { ch.close(promise: nil) }
            case let .failure(error):
                host.events.logger.warning("\(target.address) port \(target.port): connect failed: \(error); retrying in \(Int(backoff)) s",
                                          metadata: ["bgp.peer.address": "\(target.address)"])
                host.registry.update(target.address) { $0.state = "Active"; $0.lastError = "connect failed: \(error)" }
                retry(target, after: backoff, then: next)
            }
        }
    }

    func retry(_ target: Target, after seconds: Double, then next: Double) {
        guard !lock.withLock({ stopped }) else { return }
        let jittered = seconds * Double.random(in: 0.75...1.0)
        group.next().scheduleTask(in: .milliseconds(Int64(jittered * 1000))) { [self] in dial(target, backoff: next) }
    }

    /// Ends every session (Cease) and stops dialling.
    public func stop() {
        let open = lock.withLock { () -> [any Channel] in
            stopped = true
            return Array(channels.values)
        }
        for ch in open { try? ch.close().wait() }
        try? group.syncShutdownGracefully()
    }
}
