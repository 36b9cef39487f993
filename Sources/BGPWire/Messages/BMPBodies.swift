// The bodies of BMP messages (RFC 7854 §4.4-4.10): peer up and down, statistics, information TLVs.

/// Peer Up Notification body (RFC 7854 §4.10): the session's endpoints and the
/// two OPENs, from which the session's options are known.
public struct BMPPeerUp: Hashable, Sendable {
    /// The router's end of the session (same family as the peer).
    public var localAddress: IPAddress
    public var localPort: UInt16
    public var remotePort: UInt16
    /// The OPEN the router sent; nil when the router sent a bare 19-byte OPEN
    /// header instead (FRR does when it no longer holds the OPEN).
    public var sentOpen: Open?
    /// The OPEN the router received from the peer; nil as for `sentOpen`.
    public var receivedOpen: Open?
    /// Optional information TLVs (type 0 string, RFC 9069 type 3 VRF/table name).
    public var information: [BMPInformation]

    public init(localAddress: IPAddress, localPort: UInt16, remotePort: UInt16, sentOpen: Open?, receivedOpen: Open?,
                information: [BMPInformation] = []) {
        self.localAddress = localAddress
        self.localPort = localPort
        self.remotePort = remotePort
        self.sentOpen = sentOpen
        self.receivedOpen = receivedOpen
        self.information = information
    }

    static func decode(_ r: inout ByteReader, v6: Bool) throws(WireError) -> BMPPeerUp {
        let local = try readAddress(&r, v6: v6, "local address")
        let lport = try r.readU16("local port")
        let rport = try r.readU16("remote port")
        let sent = try readOpen(&r, "sent OPEN")
        let received = try readOpen(&r, "received OPEN")
        return BMPPeerUp(localAddress: local, localPort: lport, remotePort: rport, sentOpen: sent, receivedOpen: received,
                         information: try BMPInformation.decodeAll(&r))
    }

    static func readOpen(_ r: inout ByteReader, _ what: StaticString) throws(WireError) -> Open? {
        let at = r.position
        var framing = SessionOptions.fourOctet
        framing.extendedMessages = true
        guard let (type, body) = try BGPMessage.frame(&r, options: framing) else {
            throw WireError(.truncated(needed: BGPMessage.headerLength, available: r.remaining), what, at: at)
        }
        guard type == 1 else { throw WireError(invalid: "BGP message type \(type), expected OPEN", field: what.description, at: at + 18) }
        if body.isAtEnd { return nil }
        var b = body
        let o = try Open.decode(&b)
        try b.expectEnd(what)
        return o
    }

    func encode(_ w: inout ByteWriter, v6: Bool) {
        writeAddress(localAddress, &w)
        w.u16(localPort); w.u16(remotePort)
        for o in [sentOpen, receivedOpen] {
            if let o { w.append(BGPMessage.open(o).encode(options: .fourOctet)) } else { w.append(BGPMessage.unknown(type: 1, body: []).encode(options: .fourOctet)) }
        }
        for t in information { t.encode(&w) }
    }

    /// What the monitored session negotiated, read from both OPENs: 4-octet AS
    /// numbers (RFC 6793) and extended messages (RFC 8654) when both sent the
    /// capability; ADD-PATH (RFC 7911) for the families where the peer sends and the
    /// router receives path identifiers. Without OPENs: 4-octet, no ADD-PATH.
    /// The per-peer header's A flag still overrides the AS width per message (§4.2).
    public var negotiatedOptions: SessionOptions {
        guard let s = sentOpen, let r = receivedOpen else { return SessionOptions(fourOctetAS: true, extendedMessages: true) }
        func has4(_ o: Open) -> Bool { o.capabilities.contains { if case .fourOctetAS = $0 { true } else { false } } }
        var addPath = Set<AFISAFI>()
        let families = negotiatedFamilies
        for case let .addPath(peerFams) in r.capabilities {
            for pf in peerFams where pf.sendReceive & 2 != 0 && families.contains(pf.family) {
                for case let .addPath(ours) in s.capabilities where ours.contains(where: { $0.family == pf.family && $0.sendReceive & 1 != 0 }) {
                    addPath.insert(pf.family)
                }
            }
        }
        return SessionOptions(fourOctetAS: has4(s) && has4(r), addPath: addPath,
                              extendedMessages: s.capabilities.contains(.extendedMessage) && r.capabilities.contains(.extendedMessage))
    }

    /// The families both OPENs announce (RFC 4760 §1: none announced means IPv4 unicast).
    public var negotiatedFamilies: [AFISAFI] {
        func fams(_ o: Open?) -> [AFISAFI] {
            var f: [AFISAFI] = []
            for case let .multiprotocol(m) in o?.capabilities ?? [] { f.append(m) }
            return f.isEmpty ? [.ipv4Unicast] : f
        }
        let theirs = fams(receivedOpen)
        return fams(sentOpen).filter { theirs.contains($0) }
    }

    /// The session's hold time: the smaller of the two proposals (RFC 4271 §4.2).
    public var holdTime: UInt16 { min(sentOpen?.holdTime ?? 0, receivedOpen?.holdTime ?? 0) }
}

/// Why a monitored session went down (RFC 7854 §4.9).
public enum BMPPeerDown: Hashable, Sendable {
    /// 1: the router sent this NOTIFICATION.
    case localNotification(Notification)
    /// 2: the router closed the session without a NOTIFICATION; the FSM event (RFC 4271 §8.1), 0 if none.
    case localNoNotification(fsmEvent: UInt16)
    /// 3: the peer sent this NOTIFICATION.
    case remoteNotification(Notification)
    /// 4: the peer closed the connection without a NOTIFICATION.
    case remoteNoNotification
    /// 5: the peer is no longer monitored (configuration), not necessarily down.
    case peerDeconfigured
    /// Other reasons (RFC 9069's 6, future ones) with their data, kept raw.
    case other(reason: UInt8, data: [UInt8])

    public var reasonCode: UInt8 {
        switch self {
        case .localNotification: 1
        case .localNoNotification: 2
        case .remoteNotification: 3
        case .remoteNoNotification: 4
        case .peerDeconfigured: 5
        case let .other(r, _): r
        }
    }

    /// One line for logs and `CollectorEvents.onDown`.
    public var text: String {
        switch self {
        case let .localNotification(n): "router sent NOTIFICATION \(n.code)/\(n.subcode)"
        case let .localNoNotification(e): "router closed the session (FSM event \(e))"
        case let .remoteNotification(n): "peer sent NOTIFICATION \(n.code)/\(n.subcode)"
        case .remoteNoNotification: "peer closed the connection"
        case .peerDeconfigured: "peer deconfigured"
        case let .other(r, _): "peer down, reason \(r)"
        }
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> BMPPeerDown {
        let reason = try r.readU8("peer down reason")
        switch reason {
        case 1, 3:
            let at = r.position
            guard case let .notification(n) = try BMPMessage.decodePDU(&r, options: .fourOctet, "NOTIFICATION PDU") else {
                throw WireError(invalid: "peer down reason \(reason) without a NOTIFICATION", field: "NOTIFICATION PDU", at: at)
            }
            return reason == 1 ? .localNotification(n) : .remoteNotification(n)
        case 2: return .localNoNotification(fsmEvent: try r.readU16("FSM event code"))
        case 4: return .remoteNoNotification
        case 5: return .peerDeconfigured
        default: return .other(reason: reason, data: try r.readBytes(r.remaining, "peer down data"))
        }
    }

    func encode(_ w: inout ByteWriter) {
        w.u8(reasonCode)
        switch self {
        case let .localNotification(n), let .remoteNotification(n): w.append(BGPMessage.notification(n).encode(options: .fourOctet))
        case let .localNoNotification(e): w.u16(e)
        case .remoteNoNotification, .peerDeconfigured: break
        case let .other(_, data): w.append(data)
        }
    }
}

/// One Statistics Report counter (RFC 7854 §4.8), kept as its type and raw value.
public struct BMPStatistic: Hashable, Sendable {
    /// 0 prefixes rejected by policy … 7/8 routes in Adj-RIB-In/Loc-RIB, 9/10 the same per family.
    public var type: UInt16
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// A 32-bit counter or 64-bit gauge (4 or 8 bytes; types 9 and 10 carry AFI, SAFI, then 8 bytes).
    public var counter: UInt64? {
        let v = value.count == 11 && (type == 9 || type == 10) ? value.suffix(8) : value[...]
        guard v.count == 4 || v.count == 8 else { return nil }
        return v.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The family of a per-family gauge (types 9 and 10).
    public var family: AFISAFI? {
        guard value.count == 11, type == 9 || type == 10 else { return nil }
        return AFISAFI(afi: UInt16(value[0]) << 8 | UInt16(value[1]), safi: value[2])
    }

    public init(type: UInt16, counter: UInt32) {
        self.init(type: type, value: [UInt8(counter >> 24), UInt8(truncatingIfNeeded: counter >> 16),
                                      UInt8(truncatingIfNeeded: counter >> 8), UInt8(truncatingIfNeeded: counter)])
    }

    public init(type: UInt16, gauge: UInt64) {
        self.init(type: type, value: (0..<8).map { UInt8(truncatingIfNeeded: gauge >> (56 - 8 * UInt64($0))) })
    }
}

/// An information TLV: Initiation (§4.4: 0 string, 1 sysDescr, 2 sysName),
/// Termination (§4.5: 0 string, 1 reason) and Peer Up (0 string).
public struct BMPInformation: Hashable, Sendable {
    public var type: UInt16
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    public init(type: UInt16, text: String) {
        self.init(type: type, value: Array(text.utf8))
    }

    public static let string: UInt16 = 0
    public static let sysDescr: UInt16 = 1
    public static let sysName: UInt16 = 2
    /// Termination only: a 2-byte reason code.
    public static let terminationReason: UInt16 = 1

    /// The value as UTF-8 text (invalid bytes replaced), for the string types.
    public var text: String { String(decoding: value, as: UTF8.self) }

    /// Termination reason (§4.5.1) when this is a reason TLV: 0 administratively closed,
    /// 1 unspecified, 2 out of resources, 3 redundant connection, 4 permanently closed.
    public var terminationReasonCode: UInt16? {
        guard type == Self.terminationReason, value.count == 2 else { return nil }
        return UInt16(value[0]) << 8 | UInt16(value[1])
    }

    static func decodeAll(_ r: inout ByteReader) throws(WireError) -> [BMPInformation] {
        var out: [BMPInformation] = []
        while !r.isAtEnd {
            let type = try r.readU16("information type")
            let len = Int(try r.readU16("information length"))
            out.append(BMPInformation(type: type, value: try r.readBytes(len, "information value")))
        }
        return out
    }

    func encode(_ w: inout ByteWriter) {
        w.u16(type); w.u16(UInt16(truncatingIfNeeded: value.count)); w.append(value)
    }
}
