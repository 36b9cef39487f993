public import BGPWire
import MRT
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// A passive BGP collector: listens (on any number of addresses), runs one
/// `SessionMachine` per connection, archives every received message (BGP4MP_ET,
/// as received) and session state change, and hands validated updates to
/// `onUpdate`. It never advertises a route.
public final class BGPListener: @unchecked Sendable {
    public typealias Events = CollectorEvents
    public typealias PeerInfo = Collector.PeerInfo

    let host: SessionHost
    let group: MultiThreadedEventLoopGroup
    var channels: [any Channel] = []
    let lock = NIOLock()

    /// `accept` gives the session configuration for a connecting address, or nil to refuse it
    /// (by default every address is accepted with `config`).
    /// `maxConnections`: most connections at once; past it they are refused with Cease/8.
    public init(config: SessionMachine.Config, archive: SharedArchive?, events: Events, registry: SessionRegistry = SessionRegistry(),
                threads: Int = 1, maxConnections: Int = 256, accept: (@Sendable (IPAddress) -> SessionMachine.Config?)? = nil) {
        host = SessionHost(config: config, archive: archive, events: events, registry: registry, maxConnections: maxConnections,
                           accept: accept ?? { _ in config })
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    public var registry: SessionRegistry { host.registry }

    /// TCP MD5 keys by peer address (RFC 2385), set on every listening socket. Set before `start`.
    public var md5Keys: [(IPAddress, [UInt8])] = []

    /// Listen without accepting (connections wait in the kernel's backlog) until
    /// `acceptConnections`: a process about to drop its privileges reads no byte as root.
    public var holdConnections = false

    /// Starts listening; returns the port (useful with port 0).
    @discardableResult
    public func start(host: String, port: Int) throws -> Int {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.autoRead, value: !holdConnections)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SessionHandler(host: self.host, passive: true))
                }
            }
        let ch = try bootstrap.bind(host: host, port: port).wait()
        lock.withLock { channels.append(ch) }
        // MD5 keys go on the listening socket: the kernel checks the SYN itself.
        let v6 = host.contains(":")
        for (peer, key) in md5Keys where v6 || !peer.isIPv6 {
            do { try TCPSignature.setMD5(ch, peer: peer, key: key, v6Socket: v6).wait() } catch {
                throw InputError("TCP MD5 key for \(peer) on \(host) port \(port): \(error)")
            }
        }
        return ch.localAddress?.port ?? port
    }

    /// Starts accepting on every listening socket (after `holdConnections`).
    public func acceptConnections() {
        for ch in lock.withLock({ channels }) { ch.setOption(.autoRead, value: true).whenFailure { _ in } }
    }

    var stopped = false

    /// Closes the listening socket and every session, then completes the current archive file.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        for ch in lock.withLock({ channels }) { try? ch.close().wait() }
        lock.withLock { channels = [] }
        try? group.syncShutdownGracefully()
        host.archive?.rotate()
    }
}
