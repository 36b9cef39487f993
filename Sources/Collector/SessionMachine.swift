public import BGPWire

/// The BGP finite-state machine of RFC 4271 §8 for a collector that only listens:
/// a pure state machine that takes events and returns actions, so it is tested
/// without sockets; the channel handler only carries the actions out.
public struct SessionMachine: Sendable {
    public enum State: String, Sendable { case idle, connect, active, openSent, openConfirm, established }

    public struct Config: Sendable {
        public var localAS: UInt32
        public var routerID: UInt32
        /// Proposed hold time (seconds); 0 disables keepalives, else at least 3.
        public var holdTime: UInt16 = 180
        public var families: [AFISAFI] = [.ipv4Unicast, .ipv6Unicast]
        /// Accept the peer's ADD-PATH paths for these families.
        public var addPathReceive: Set<AFISAFI> = [.ipv4Unicast, .ipv6Unicast]
        /// When set, an OPEN from another AS is refused.
        public var peerAS: UInt32?
        public var connectRetry: Int = 30
        /// Seconds a connection may wait for the peer's OPEN, and then for its KEEPALIVE
        /// (RFC 4271 suggests 4 minutes; real speakers send both at once).
        public var openTimeout: Int = 30
        /// Most routes (prefix, path identifier) this peer may hold; past it the session is
        /// closed with Cease / Maximum Number of Prefixes Reached (RFC 4486). nil: no limit.
        public var maxPrefixes: Int?
        /// Share of `maxPrefixes` at which a warning is logged (once per session).
        public var maxPrefixesWarning = 0.9
        /// Transport, for the handler: the TCP MD5 key (RFC 2385) and GTSM (RFC 5082).
        public var md5Key: [UInt8]?
        public var ttlSecurity = false
        public init(localAS: UInt32, routerID: UInt32) {
            self.localAS = localAS
            self.routerID = routerID
        }
    }

    public enum Timer: String, Sendable { case hold, keepalive, connectRetry }

    public enum Event: Sendable {
        case start(passive: Bool)
        case stop
        case tcpConnected
        case tcpFailed
        case tcpClosed
        case message(BGPMessage)
        /// Framing or decoding failed: the NOTIFICATION to send.
        case decodeError(Notification, String)
        case timerExpired(Timer)
    }

    /// What the negotiation settled.
    public struct Negotiated: Equatable, Sendable {
        public var peerAS: UInt32
        public var peerID: UInt32
        public var holdTime: UInt16
        public var options: SessionOptions
        public var families: [AFISAFI]
    }

    public enum Action: Equatable, Sendable {
        case connect
        case send(BGPMessage)
        case closeConnection
        case startTimer(Timer, seconds: Int)
        case stopTimer(Timer)
        case established(Negotiated)
        case sessionDown(reason: String)
        /// A validated UPDATE to apply, with the options to read it by.
        case update(UpdateDecision)
        /// Something to log about the peer that does not change the session (a limit near).
        case warning(String)
    }

    public private(set) var state: State = .idle
    public let config: Config
    public private(set) var negotiated: Negotiated?
    var passive = true
    /// The routes the peer holds, kept only when `maxPrefixes` is set (so bounded by it).
    var held = Set<NLRI>()
    var warned = false

    public init(config: Config) { self.config = config }

    /// The decoding options in force (before OPEN: 4-octet, no ADD-PATH).
    public var options: SessionOptions { negotiated?.options ?? SessionOptions(fourOctetAS: true, extendedMessages: false) }

    var open: Open {
        var caps: [Capability] = config.families.map { .multiprotocol($0) }
        caps += [.routeRefresh, .fourOctetAS(config.localAS), .extendedMessage]
        let ap = config.families.filter { config.addPathReceive.contains($0) }
        if !ap.isEmpty { caps.append(.addPath(ap.map { .init(family: $0, sendReceive: 1) })) }
        let myAS = config.localAS > 0xFFFF ? UInt16(23456) : UInt16(config.localAS)
        return Open(myAS: myAS, holdTime: config.holdTime, bgpIdentifier: config.routerID, capabilities: caps)
    }

    public mutating func handle(_ event: Event) -> [Action] {
        switch (state, event) {
        case let (.idle, .start(p)):
            passive = p
            state = p ? .active : .connect
            return p ? [] : [.connect]
        case (_, .stop):
            let wasUp = state == .established
            state = .idle
            negotiated = nil
            var out: [Action] = [.send(.notification(Notification(code: Notification.cease, subcode: 2))), .closeConnection,
                                 .stopTimer(.hold), .stopTimer(.keepalive)]
            if wasUp { out.append(.sessionDown(reason: "stopped")) }
            return out
        case (.connect, .tcpConnected), (.active, .tcpConnected):
            state = .openSent
            // RFC 4271 §8.2.2 suggests a large hold time until the OPEN arrives; a short one
            // keeps a connection that never speaks from holding a socket for minutes.
            return [.send(.open(open)), .startTimer(.hold, seconds: config.openTimeout)]
        case (.connect, .tcpFailed):
            return [.startTimer(.connectRetry, seconds: config.connectRetry)]
        case (.connect, .timerExpired(.connectRetry)), (.idle, .timerExpired(.connectRetry)):
            state = passive ? .active : .connect
            return passive ? [] : [.connect]
        case let (.openSent, .message(.open(o))):
            return receiveOpen(o)
        case (.openConfirm, .message(.keepalive)):
            state = .established
            guard let n = negotiated else { return reset(Notification(code: Notification.fsmError, subcode: 0), "no negotiation") }
            return [.startTimer(.hold, seconds: Int(n.holdTime)), .established(n)] + (n.holdTime == 0 ? [.stopTimer(.hold)] : [])
        case (.established, .message(.keepalive)):
            return negotiated.map { $0.holdTime == 0 ? [] : [.startTimer(.hold, seconds: Int($0.holdTime))] } ?? []
        case let (.established, .message(.update(u))):
            let restart: [Action] = negotiated.map { $0.holdTime == 0 ? [] : [.startTimer(.hold, seconds: Int($0.holdTime))] } ?? []
            let decision = u.validate()
            if case let .sessionReset(n, reason) = decision { return reset(n, reason) }
            if let limit = config.maxPrefixes { return restart + count(decision, limit: limit) }
            return restart + [.update(decision)]
        case (.established, .message(.routeRefresh)):
            return []
        case let (_, .message(.notification(n))):
            return down("peer sent NOTIFICATION \(n.code)/\(n.subcode)")
        case (.openConfirm, .timerExpired(.keepalive)), (.established, .timerExpired(.keepalive)):
            let ka = Int(negotiated?.holdTime ?? 0) / 3
            return ka > 0 ? [.send(.keepalive), .startTimer(.keepalive, seconds: ka)] : []
        case (_, .timerExpired(.hold)):
            return reset(Notification(code: Notification.holdTimerExpired, subcode: 0), "hold timer expired")
        case let (_, .decodeError(n, reason)):
            return reset(n, reason)
        case (_, .tcpClosed), (_, .tcpFailed):
            return down("connection closed")
        case let (_, .message(m)):
            // Any other message in any other state is an FSM error (§6.6).
            return reset(Notification(code: Notification.fsmError, subcode: UInt8(stateCode)), "unexpected message type \(m.typeCode) in \(state.rawValue)")
        default:
            return []
        }
    }

    var stateCode: Int { state == .openSent ? 1 : state == .openConfirm ? 2 : state == .established ? 3 : 0 }

    mutating func receiveOpen(_ o: Open) -> [Action] {
        guard o.version == 4 else { return reset(Notification(code: Notification.openMessageError, subcode: 1, data: [0, 4]), "unsupported version \(o.version)") }
        if let want = config.peerAS, o.asn != want {
            return reset(Notification(code: Notification.openMessageError, subcode: 2), "peer AS \(o.asn), configured \(want)")
        }
        guard o.holdTime == 0 || o.holdTime >= 3 else {
            return reset(Notification(code: Notification.openMessageError, subcode: 6), "unacceptable hold time \(o.holdTime)")
        }
        guard o.bgpIdentifier != 0 else { return reset(Notification(code: Notification.openMessageError, subcode: 3), "BGP identifier 0") }
        let four = o.capabilities.contains { if case .fourOctetAS = $0 { true } else { false } }
        let extended = o.capabilities.contains(.extendedMessage)
        var theirFamilies = o.capabilities.compactMap { if case let .multiprotocol(f) = $0 { f } else { nil } }
        if theirFamilies.isEmpty { theirFamilies = [.ipv4Unicast] }  // RFC 4760 §1: no capability means IPv4 unicast
        let families = config.families.filter { theirFamilies.contains($0) }
        var addPath = Set<AFISAFI>()
        for case let .addPath(fams) in o.capabilities {
            for f in fams where f.sendReceive & 2 != 0 && config.addPathReceive.contains(f.family) && families.contains(f.family) { addPath.insert(f.family) }
        }
        let hold = min(config.holdTime, o.holdTime)
        negotiated = Negotiated(peerAS: o.asn, peerID: o.bgpIdentifier, holdTime: hold,
                                options: SessionOptions(fourOctetAS: four, addPath: addPath, extendedMessages: extended), families: families)
        state = .openConfirm
        // Until the KEEPALIVE: the open timeout, whatever the hold time (0 would wait for ever).
        var out: [Action] = [.send(.keepalive), .startTimer(.hold, seconds: config.openTimeout)]
        if hold > 0 { out.append(.startTimer(.keepalive, seconds: Int(hold) / 3)) }
        return out
    }

    /// Keeps the count of the peer's routes; past the limit the update is not applied and the
    /// session is closed with Cease/1, its data the family, and the limit (RFC 4486 §4).
    mutating func count(_ d: UpdateDecision, limit: Int) -> [Action] {
        var last: NLRI?
        switch d {
        case let .accept(u), let .attributeDiscard(u, _):
            for n in u.withdrawn { held.remove(n) }
            for n in u.attributes.mpUnreach?.withdrawn ?? [] { held.remove(n) }
            for n in u.nlri + (u.attributes.mpReach?.nlri ?? []) where held.insert(n).inserted {
                last = n
                if held.count > limit { break }
            }
        case let .treatAsWithdraw(withdrawn, _):
            for n in withdrawn { held.remove(n) }
        case .sessionReset:
            break
        }
        if held.count > limit, let n = last {
            let afi: UInt16 = n.prefix.isIPv6 ? 2 : 1
            let data = [UInt8(afi >> 8), UInt8(afi & 0xFF), 1] + withUnsafeBytes(of: UInt32(clamping: limit).bigEndian, Array.init)
            held = []
            return reset(Notification(code: Notification.cease, subcode: 1, data: data), "maximum number of prefixes reached (\(limit))")
        }
        var out: [Action] = []
        if !warned && Double(held.count) >= Double(limit) * config.maxPrefixesWarning {
            warned = true
            out.append(.warning("\(held.count) routes held, \(Int(config.maxPrefixesWarning * 100))% of the limit of \(limit)"))
        }
        return out + [.update(d)]
    }

    mutating func reset(_ n: Notification, _ reason: String) -> [Action] {
        [.send(.notification(n))] + down(reason)
    }

    mutating func down(_ reason: String) -> [Action] {
        let wasUp = state == .established
        state = .idle
        negotiated = nil
        held = []
        warned = false
        var out: [Action] = [.closeConnection, .stopTimer(.hold), .stopTimer(.keepalive), .startTimer(.connectRetry, seconds: config.connectRetry)]
        if wasUp { out.append(.sessionDown(reason: reason)) }
        return out
    }
}
