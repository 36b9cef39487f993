public import BGPWire
public import MRT
public import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// A passive BGP collector: listens, runs one `SessionMachine` per connection,
/// archives every received message (BGP4MP_ET, as received) and session state
/// change, and hands validated updates to `onUpdate`. It never advertises a route.
public final class BGPListener: @unchecked Sendable {
    public typealias Events = CollectorEvents
    public typealias PeerInfo = Collector.PeerInfo

    let config: SessionMachine.Config
    let archive: SharedArchive?
    let events: Events
    let group: MultiThreadedEventLoopGroup
    var channel: (any Channel)?

    public init(config: SessionMachine.Config, archive: SharedArchive?, events: Events, threads: Int = 1) {
        self.config = config
        self.archive = archive
        self.events = events
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Starts listening; returns the port (useful with port 0).
    @discardableResult
    public func start(host: String, port: Int) throws -> Int {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SessionHandler(listener: self))
                }
            }
        let ch = try bootstrap.bind(host: host, port: port).wait()
        channel = ch
        return ch.localAddress?.port ?? port
    }

    var stopped = false

    /// Closes the listening socket and every session, then completes the current archive file.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        try? channel?.close().wait()
        channel = nil
        try? group.syncShutdownGracefully()
        archive?.rotate()
    }

    func archive(_ bytes: [UInt8], _ t: UInt32) {
        archive?.append(bytes, timestamp: t)
    }
}

/// One BGP session over one TCP connection: frames bytes into messages, feeds
/// the state machine, carries out its actions.
final class SessionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let listener: BGPListener
    var machine: SessionMachine
    var pending: ByteBuffer?
    var timers: [SessionMachine.Timer: Scheduled<Void>] = [:]
    var peer = BGPListener.PeerInfo(address: .v4Zero, asn: 0)
    var local: IPAddress = .v4Zero
    var offset = 0
    var lastReceived: (UInt32, UInt32) = (0, 0)

    init(listener: BGPListener) {
        self.listener = listener
        machine = SessionMachine(config: listener.config)
    }

    func now() -> (UInt32, UInt32) { wallClock() }

    func address(_ a: SocketAddress?) -> IPAddress {
        guard let ip = a?.ipAddress, let parsed = IPAddress(ip) else { return .v4Zero }
        return parsed
    }

    func channelActive(context: ChannelHandlerContext) {
        peer.address = address(context.remoteAddress)
        local = address(context.localAddress)
        pending = context.channel.allocator.buffer(capacity: 4096)
        carryOut(machine.handle(.start(passive: true)), context)
        carryOut(machine.handle(.tcpConnected), context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        pending!.writeBuffer(&incoming)
        while true {
            let options = machine.options
            let result: Result<(Int, [UInt8], BGPMessage)?, WireError> = pending!.withUnsafeReadableBytes { raw in
                var r = ByteReader(raw, base: offset)
                do throws(WireError) {
                    guard let (type, body) = try BGPMessage.frame(&r, options: options) else { return .success(nil) }
                    let used = r.offset
                    let bytes = Array(raw[0..<used])
                    return .success((used, bytes, try BGPMessage.decodeBody(type: type, body, options: options)))
                } catch {
                    return .failure(error)
                }
            }
            switch result {
            case .success(nil):
                pending!.discardReadBytes()
                return
            case let .success(.some((used, bytes, message))):
                pending!.moveReaderIndex(forwardBy: used)
                offset += used
                if case let .open(o) = message { peer.asn = o.asn }
                let (t, us) = now()
                lastReceived = (t, us)
                let n = machine.negotiated
                let peering = BGP4MPPeering(peerAS: peer.asn, localAS: listener.config.localAS, peerAddress: peer.address, localAddress: local)
                listener.archive(BGP4MPMessage.rawRecord(timestamp: t, microseconds: us, peering: peering, fourOctetAS: true,
                                                         addPath: !(n?.options.addPath.isEmpty ?? true), messageBytes: bytes), t)
                carryOut(machine.handle(.message(message)), context)
            case let .failure(e):
                // RFC 4271 §6.1/6.3: header errors 1/x, anything else in an UPDATE 3/1.
                let n = e.field.contains("header") || e.field.contains("marker")
                    ? Notification(code: Notification.messageHeaderError, subcode: e.description.contains("length") ? 2 : 1)
                    : Notification(code: Notification.updateMessageError, subcode: 1)
                listener.events.onLog("\(peer.address) AS\(peer.asn): offset \(e.offset): \(e.description)")
                carryOut(machine.handle(.decodeError(n, e.description)), context)
                return
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        carryOut(machine.handle(.tcpClosed), context)
        for (_, t) in timers { t.cancel() }
        timers = [:]
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        listener.events.onLog("\(peer.address): \(error)")
        context.close(promise: nil)
    }

    func stateRecord(old: UInt16, new: UInt16) {
        let peering = BGP4MPPeering(peerAS: peer.asn, localAS: listener.config.localAS, peerAddress: peer.address, localAddress: local)
        listener.archive?.stateChange(peering, old: old, new: new, at: now())
    }

    func carryOut(_ actions: [SessionMachine.Action], _ context: ChannelHandlerContext) {
        for a in actions {
            switch a {
            case .connect:
                break  // a listener never dials out
            case let .send(m):
                var b = context.channel.allocator.buffer(capacity: 64)
                b.writeBytes(m.encode(options: machine.options))
                context.writeAndFlush(wrapOutboundOut(b), promise: nil)
            case .closeConnection:
                context.close(promise: nil)
            case .startTimer(.connectRetry, _):
                break  // the peer reconnects to a listener, not the other way round
            case let .startTimer(kind, seconds):
                guard context.channel.isActive else { break }
                timers[kind]?.cancel()
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                timers[kind] = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
                    let (handler, ctx) = bound.value
                    handler.timers[kind] = nil
                    handler.carryOut(handler.machine.handle(.timerExpired(kind)), ctx)
                }
            case let .stopTimer(kind):
                timers[kind]?.cancel()
                timers[kind] = nil
            case let .established(n):
                stateRecord(old: 5, new: 6)
                listener.events.onEstablished(peer, n)
            case let .sessionDown(reason):
                stateRecord(old: 6, new: 1)
                listener.events.onDown(peer, reason)
            case let .update(decision):
                let (t, us) = lastReceived
                listener.events.onUpdate(peer, decision, machine.options, t, us)
            }
        }
    }
}
