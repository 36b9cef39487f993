import BGPWire
import MRT
import NIOCore
import NIOConcurrencyHelpers
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// What every session of a collector shares: the session configuration per
/// peer address, the archive, the callbacks, the status registry.
final class SessionHost: Sendable {
    let config: SessionMachine.Config
    let archive: SharedArchive?
    let events: CollectorEvents
    let registry: SessionRegistry
    let accept: @Sendable (IPAddress) -> SessionMachine.Config?
    /// Most connections at once (configured or not, in any state): past it a connection is refused
    /// at once, so a flood of connections costs a socket each for a moment, not a session.
    let maxConnections: Int
    let connections = NIOLockedValueBox(0)

    init(config: SessionMachine.Config, archive: SharedArchive?, events: CollectorEvents, registry: SessionRegistry,
         maxConnections: Int = 256, accept: @escaping @Sendable (IPAddress) -> SessionMachine.Config?) {
        self.config = config
        self.maxConnections = maxConnections
        self.archive = archive
        self.events = events
        self.registry = registry
        self.accept = accept
    }
}

/// One BGP session over one TCP connection: frames bytes into messages, feeds
/// the state machine, carries out its actions.
final class SessionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let host: SessionHost
    let passive: Bool
    var machine: SessionMachine
    var pending: ByteBuffer?
    var timers: [SessionMachine.Timer: Scheduled<Void>] = [:]
    var peer = PeerInfo(address: .v4Zero, asn: 0)
    var logMetadata: Logger.Metadata { ["bgp.peer.address": "\(peer.address)", "bgp.peer.as": "\(peer.asn)"] }
    var local: IPAddress = .v4Zero
    var offset = 0
    var lastReceived: (UInt32, UInt32) = (0, 0)
    var refused = false
    /// Counted in the host's open connections (uncounted once, when it closes).
    var counted = false
    var holdRestarted = NIODeadline.uptimeNanoseconds(0)
    /// Reading paused while the pipeline is full.
    var throttle = ReadThrottle()

    /// Called when the connection is gone (the active side reconnects with backoff).
    var onClosed: (@Sendable (Bool) -> Void)?
    var wasEstablished = false

    init(host: SessionHost, passive: Bool) {
        self.host = host
        self.passive = passive
        machine = SessionMachine(config: host.config)
    }

    func now() -> (UInt32, UInt32) { wallClock() }

    func address(_ a: SocketAddress?) -> IPAddress {
        guard let ip = a?.ipAddress, let parsed = IPAddress(ip) else { return .v4Zero }
        // An IPv4 peer on a dual-stack [::] listener arrives as ::ffff:a.b.c.d: it is an IPv4 peer.
        if case let .v6(hi, lo) = parsed, hi == 0, lo >> 32 == 0xFFFF { return .v4(UInt32(truncatingIfNeeded: lo)) }
        return parsed
    }

    func channelActive(context: ChannelHandlerContext) {
        peer.address = address(context.remoteAddress)
        local = address(context.localAddress)
        pending = context.channel.allocator.buffer(capacity: 4096)
        let open = host.connections.withLockedValue { n -> Int in n += 1; return n }
        counted = true
        if open > host.maxConnections {
            // RFC 4486 Cease/8 "Out of Resources".
            return refuse(context, subcode: 8, "connection refused: \(host.maxConnections) connections open already")
        }
        guard let config = host.accept(peer.address) else {
            // RFC 4486 Cease/5 "Connection Rejected": not a configured peer.
            return refuse(context, subcode: 5, "connection refused: not a configured peer")
        }
        machine = SessionMachine(config: config)
        peer.asn = config.peerAS ?? 0
        if config.ttlSecurity {
            // GTSM: we send at TTL 255 and accept nothing that came further than one hop.
            let ttl = peer.address.isIPv6 ? ChannelOptions.Types.SocketOption(level: SocketOptionLevel(IPPROTO_IPV6), name: SocketOptionName(IPV6_UNICAST_HOPS))
                                          : ChannelOptions.Types.SocketOption(level: SocketOptionLevel(IPPROTO_IP), name: SocketOptionName(IP_TTL))
            let channel = context.channel, address = peer.address, logger = host.events.logger
            channel.setOption(ttl, value: 255).flatMap { TCPSignature.setMinimumTTL(channel, v6Socket: address.isIPv6) }.whenFailure { e in
                logger.error("\(address): GTSM (TTL 255) not set: \(e)")
                channel.close(promise: nil)
            }
        }
        host.registry.update(peer.address) { $0.state = "OpenSent"; $0.asn = peer.asn; $0.connections += 1 }
        carryOut(machine.handle(.start(passive: passive)), context)
        carryOut(machine.handle(.tcpConnected), context)
    }

    func refuse(_ context: ChannelHandlerContext, subcode: UInt8, _ why: String) {
        host.events.logger.warning("\(peer.address): \(why)", metadata: logMetadata)
        var b = context.channel.allocator.buffer(capacity: 32)
        b.writeBytes(BGPMessage.notification(Notification(code: Notification.cease, subcode: subcode)).encode(options: machine.options))
        // The channel, not the context, crosses into the Sendable completion.
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(b)).whenComplete { _ in channel.close(promise: nil) }
        refused = true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        var incoming = unwrapInboundIn(data)
        pending!.writeBuffer(&incoming)
        // The status registry is shared (a lock): counted once per read, not per message.
        var received = 0
        defer {
            if received > 0 {
                let (t, asn) = (lastReceived.0, peer.asn)
                host.registry.update(peer.address) { $0.messages += received; $0.lastMessage = t; $0.asn = asn }
            }
        }
        while true {
            let options = machine.options
            var framed: (type: UInt8, length: Int)? = nil
            let result: Result<(Int, [UInt8], BGPMessage)?, WireError> = pending!.withUnsafeReadableBytes { raw in
                var r = ByteReader(raw, base: offset)
                do throws(WireError) {
                    guard let (type, body) = try BGPMessage.frame(&r, options: options) else { return .success(nil) }
                    let used = r.offset
                    framed = (type, used)
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
                if case let .unknown(type, _) = message {
                    // RFC 4271 §6.1: Message Header Error / Bad Message Type, the type as data.
                    host.events.logger.warning("\(peer.address) AS\(peer.asn): bad message type \(type)", metadata: logMetadata)
                    carryOut(machine.handle(.decodeError(Notification(code: Notification.messageHeaderError, subcode: 3, data: [type]),
                                                         "bad message type \(type)")), context)
                    return
                }
                let (t, us) = now()
                lastReceived = (t, us)
                received += 1
                let n = machine.negotiated
                let peering = BGP4MPPeering(peerAS: peer.asn, localAS: machine.config.localAS, peerAddress: peer.address, localAddress: local)
                host.archive?.append(BGP4MPMessage.rawRecord(timestamp: t, microseconds: us, peering: peering, fourOctetAS: true,
                                                         addPath: !(n?.options.addPath.isEmpty ?? true), messageBytes: bytes), timestamp: t)
                carryOut(machine.handle(.message(message)), context)
            case let .failure(e):
                let n: Notification
                if let (type, length) = framed {
                    // The header was good; the body of its type was not (RFC 4271 §6.1-6.3).
                    switch type {
                    case 1: n = Notification(code: Notification.openMessageError, subcode: 0)
                    case 2:
                        let network = ["NLRI", "prefix length", "prefix bytes", "path identifier"].contains(e.field)
                        n = Notification(code: Notification.updateMessageError, subcode: network ? 10 : 1)
                    default:  // a KEEPALIVE, NOTIFICATION or ROUTE-REFRESH of the wrong length
                        n = Notification(code: Notification.messageHeaderError, subcode: 2, data: [UInt8(length >> 8), UInt8(length & 0xFF)])
                    }
                } else if e.description.contains("bad message length") {
                    // The Data field holds the erroneous Length field.
                    n = Notification(code: Notification.messageHeaderError, subcode: 2,
                                     data: pending!.getBytes(at: pending!.readerIndex + 16, length: 2) ?? [])
                } else {
                    n = Notification(code: Notification.messageHeaderError, subcode: 1)
                }
                host.events.logger.warning("\(peer.address) AS\(peer.asn): offset \(e.offset): \(e.description)", metadata: logMetadata)
                host.registry.update(peer.address) { $0.lastError = e.description }
                carryOut(machine.handle(.decodeError(n, e.description)), context)
                return
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !refused else { return }
        throttle.check(host.events, context.channel) { [self] in throttle.resumed() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            counted = false
            host.connections.withLockedValue { $0 -= 1 }
        }
        if !refused {
            carryOut(machine.handle(.tcpClosed), context)
            host.registry.update(peer.address) { $0.state = "Idle" }
        }
        for (_, t) in timers { t.cancel() }
        timers = [:]
        onClosed?(wasEstablished)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        host.events.logger.warning("\(peer.address): \(error)", metadata: logMetadata)
        context.close(promise: nil)
    }

    func stateRecord(old: UInt16, new: UInt16) {
        let peering = BGP4MPPeering(peerAS: peer.asn, localAS: machine.config.localAS, peerAddress: peer.address, localAddress: local)
        host.archive?.stateChange(peering, old: old, new: new, at: now())
    }

    func carryOut(_ actions: [SessionMachine.Action], _ context: ChannelHandlerContext) {
        for a in actions {
            switch a {
            case .connect:
                break  // the connector dials; the machine starts once connected
            case let .send(m):
                if case let .notification(n) = m {
                    host.events.logger.notice("\(peer): sent NOTIFICATION \(n.code)/\(n.subcode)", metadata: logMetadata)
                    host.registry.update(peer.address) { $0.lastError = "sent NOTIFICATION \(n.code)/\(n.subcode)" }
                }
                var b = context.channel.allocator.buffer(capacity: 64)
                b.writeBytes(m.encode(options: machine.options))
                context.writeAndFlush(wrapOutboundOut(b), promise: nil)
            case .closeConnection:
                context.close(promise: nil)
            case .startTimer(.connectRetry, _):
                break  // a listener waits for the peer; the connector has its own backoff
            case let .startTimer(kind, seconds):
                guard context.channel.isActive else { break }
                // Every message restarts the hold timer; during a table transfer that is
                // thousands of reschedules a second. A restart within a second of the last
                // changes nothing that matters against a hold time of at least 3 s.
                let now = NIODeadline.now()
                if kind == .hold, timers[kind] != nil, now - holdRestarted < .seconds(1) { break }
                if kind == .hold { holdRestarted = now }
                timers[kind]?.cancel()
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                timers[kind] = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
                    let (handler, ctx) = bound.value
                    handler.timers[kind] = nil
                    // Not reading (the pipeline is full) is our doing, not the peer's silence.
                    if kind == .hold && handler.throttle.paused { return handler.carryOut([.startTimer(kind, seconds: seconds)], ctx) }
                    handler.carryOut(handler.machine.handle(.timerExpired(kind)), ctx)
                }
            case let .stopTimer(kind):
                timers[kind]?.cancel()
                timers[kind] = nil
            case let .established(n):
                stateRecord(old: 5, new: 6)
                wasEstablished = true
                host.registry.update(peer.address) { $0.state = "Established"; $0.asn = n.peerAS; $0.since = self.now().0; $0.lastError = nil }
                host.events.onEstablished(peer, n)
            case let .sessionDown(reason):
                host.events.logger.notice("\(peer): session down: \(reason)", metadata: logMetadata)
                stateRecord(old: 6, new: 1)
                host.registry.update(peer.address) { $0.state = "Idle"; $0.since = self.now().0; $0.lastError = reason }
                host.events.onDown(peer, reason)
            case let .warning(w):
                host.events.logger.warning("\(peer): \(w)", metadata: logMetadata)
            case let .update(decision):
                switch decision {
                case let .treatAsWithdraw(withdrawn, reason):
                    host.events.logger.warning("\(peer): treat-as-withdraw (\(withdrawn.count) routes): \(reason)", metadata: logMetadata)
                case let .attributeDiscard(_, discarded):
                    host.events.logger.warning("\(peer): attribute discard: malformed \(discarded.map { "\($0.rawValue)" }.joined(separator: ", "))", metadata: logMetadata)
                default: break
                }
                let (t, us) = lastReceived
                host.registry.update(peer.address) { $0.updates += 1 }
                host.events.onUpdate(peer, decision, machine.options, t, us)
            }
        }
    }
}
