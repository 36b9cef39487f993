/// A BGP Monitoring Protocol version 3 message (RFC 7854 §4): how routers
/// report their BGP sessions to a monitoring station.
///
///     Common header (§4.1)             Per-peer header (§4.2), 42 bytes
///     +---------+--------+------+      +------+-------+---------------+---------+----+--------+-----------+
///     | Version | Length | Type |      | Type | Flags | Distinguisher | Address | AS | BGP ID | Timestamp |
///     |    1    |   4    |  1   |      |  1   |   1   |       8       |   16    | 4  |   4    |  4 + 4    |
///     +---------+--------+------+      +------+-------+---------------+---------+----+--------+-----------+
///
/// Embedded BGP PDUs (UPDATE, OPEN, NOTIFICATION) are read by the ordinary
/// BGPWire decoders. An UPDATE means different bytes under different session
/// options, and BMP does not carry them: `decode` asks the caller for the
/// options of each monitored peer (see `BMPPeerUp.negotiatedOptions`).
public enum BMPMessage: Hashable, Sendable {
    /// Type 0: one UPDATE as the router received it from the peer (§4.6).
    case routeMonitoring(BMPPeerHeader, Update)
    /// Type 1: the router's counters for one peer (§4.8).
    case statisticsReport(BMPPeerHeader, [BMPStatistic])
    /// Type 2: a monitored session went down (§4.9).
    case peerDown(BMPPeerHeader, BMPPeerDown)
    /// Type 3: a monitored session came up, with both OPENs (§4.10).
    case peerUp(BMPPeerHeader, BMPPeerUp)
    /// Type 4: the first message on a connection: who the router is (§4.3).
    case initiation([BMPInformation])
    /// Type 5: the router is closing the connection, and why (§4.5).
    case termination([BMPInformation])
    /// Type 6: verbatim PDUs for debugging (§4.7); kept raw (the TLVs after the per-peer header).
    case routeMirroring(BMPPeerHeader, [UInt8])
    /// A message type this version does not know; kept as its body so a station can skip it.
    case unknown(type: UInt8, body: [UInt8])

    public static let version: UInt8 = 3
    public static let commonHeaderLength = 6
    /// Where an embedded PDU starts in a message with a per-peer header.
    public static let perPeerMessageHeaderLength = commonHeaderLength + BMPPeerHeader.length
    /// RFC 7854 sets no limit; the largest real message (a Peer Up with two extended
    /// OPENs) is well under this, and a station must not buffer without bound.
    public static let maxLength = 1 << 20

    public static let routeMonitoringType: UInt8 = 0
    public static let statisticsReportType: UInt8 = 1
    public static let peerDownType: UInt8 = 2
    public static let peerUpType: UInt8 = 3
    public static let initiationType: UInt8 = 4
    public static let terminationType: UInt8 = 5
    public static let routeMirroringType: UInt8 = 6

    public var typeCode: UInt8 {
        switch self {
        case .routeMonitoring: 0
        case .statisticsReport: 1
        case .peerDown: 2
        case .peerUp: 3
        case .initiation: 4
        case .termination: 5
        case .routeMirroring: 6
        case let .unknown(t, _): t
        }
    }

    /// The per-peer header, for the types that have one.
    public var peerHeader: BMPPeerHeader? {
        switch self {
        case let .routeMonitoring(h, _), let .statisticsReport(h, _), let .peerDown(h, _), let .peerUp(h, _), let .routeMirroring(h, _): h
        case .initiation, .termination, .unknown: nil
        }
    }

    /// Frames a byte stream without consuming it: nil while the reader holds less
    /// than one whole message, else that message's total length. Throws as soon as
    /// the version or length is impossible, so garbage is refused before it is buffered.
    public static func frame(_ r: ByteReader) throws(WireError) -> Int? {
        guard r.remaining >= 1 else { return nil }
        let version = r.bytes[r.offset]
        guard version == Self.version else {
            throw WireError(invalid: "version \(version), only BMP version 3 is supported", field: "BMP common header", at: r.position)
        }
        guard r.remaining >= 5 else { return nil }
        var h = r
        try h.skip(1)
        let length = Int(try h.readU32("message length"))
        guard length >= commonHeaderLength, length <= maxLength else {
            throw WireError(invalid: "bad message length \(length)", field: "BMP common header", at: r.position + 1)
        }
        return r.remaining >= length ? length : nil
    }

    /// The options an UPDATE is read by when nothing is known about the peer:
    /// 4-octet AS numbers unless the A flag says otherwise (§4.2).
    public static func defaultOptions(_ header: BMPPeerHeader) -> SessionOptions {
        SessionOptions(fourOctetAS: !header.isLegacyASPath, extendedMessages: true)
    }

    /// Decodes exactly one message and consumes it. `options` gives the session
    /// options of a Route Monitoring message's peer (called at most once).
    public static func decode(_ r: inout ByteReader, options: (BMPPeerHeader) -> SessionOptions = defaultOptions) throws(WireError) -> BMPMessage {
        let start = r.position
        guard let length = try frame(r) else {
            throw WireError(.truncated(needed: max(commonHeaderLength, peekLength(r)), available: r.remaining), "BMP message", at: start)
        }
        var m = try r.readSlice(length, "BMP message")
        try m.skip(5)
        let type = try m.readU8("message type")
        let message: BMPMessage
        switch type {
        case routeMonitoringType:
            let h = try BMPPeerHeader.decode(&m)
            var pdu = try m.readSlice(m.remaining, "BGP UPDATE PDU")
            let opts = options(h)
            let at = pdu.position
            guard case let .update(u) = try decodePDU(&pdu, options: opts, "BGP UPDATE PDU") else {
                throw WireError(invalid: "Route Monitoring carries a BGP message that is not an UPDATE", field: "BGP UPDATE PDU", at: at)
            }
            try pdu.expectEnd("Route Monitoring")
            message = .routeMonitoring(h, u)
        case statisticsReportType:
            let h = try BMPPeerHeader.decode(&m)
            let count = Int(try m.readU32("stats count"))
            // The count is untrusted: each statistic takes at least 4 bytes.
            var stats: [BMPStatistic] = []
            stats.reserveCapacity(min(count, m.remaining / 4))
            for _ in 0..<count {
                let t = try m.readU16("stat type")
                let len = Int(try m.readU16("stat length"))
                stats.append(BMPStatistic(type: t, value: try m.readBytes(len, "stat value")))
            }
            message = .statisticsReport(h, stats)
        case peerDownType:
            let h = try BMPPeerHeader.decode(&m)
            message = .peerDown(h, try BMPPeerDown.decode(&m))
        case peerUpType:
            let h = try BMPPeerHeader.decode(&m)
            message = .peerUp(h, try BMPPeerUp.decode(&m, v6: h.isIPv6))
        case initiationType:
            message = .initiation(try BMPInformation.decodeAll(&m))
        case terminationType:
            message = .termination(try BMPInformation.decodeAll(&m))
        case routeMirroringType:
            let h = try BMPPeerHeader.decode(&m)
            message = .routeMirroring(h, try m.readBytes(m.remaining, "route mirroring TLVs"))
        default:
            message = .unknown(type: type, body: try m.readBytes(m.remaining, "message body"))
        }
        try m.expectEnd("BMP message")
        return message
    }

    static func peekLength(_ r: ByteReader) -> Int {
        guard r.remaining >= 5 else { return 0 }
        var h = r
        h.offset += 1
        return (try? Int(h.readU32())) ?? 0
    }

    /// One embedded BGP PDU with its 19-byte header. The BMP frame already bounds it,
    /// so extended lengths are accepted whatever the session negotiated.
    static func decodePDU(_ r: inout ByteReader, options: SessionOptions, _ what: StaticString) throws(WireError) -> BGPMessage {
        let start = r.position
        var framing = options
        framing.extendedMessages = true
        guard let (type, body) = try BGPMessage.frame(&r, options: framing) else {
            throw WireError(.truncated(needed: BGPMessage.headerLength, available: r.remaining), what, at: start)
        }
        return try BGPMessage.decodeBody(type: type, body, options: options)
    }

    /// The message's bytes; `options` encodes a Route Monitoring UPDATE.
    public func encode(options: SessionOptions = .fourOctet) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.u8(Self.version)
        w.u32(0)
        w.u8(typeCode)
        switch self {
        case let .routeMonitoring(h, u):
            h.encode(&w)
            w.append(BGPMessage.update(u).encode(options: options))
        case let .statisticsReport(h, stats):
            h.encode(&w)
            w.u32(UInt32(truncatingIfNeeded: stats.count))
            for s in stats { w.u16(s.type); w.u16(UInt16(truncatingIfNeeded: s.value.count)); w.append(s.value) }
        case let .peerDown(h, d):
            h.encode(&w)
            d.encode(&w)
        case let .peerUp(h, u):
            h.encode(&w)
            u.encode(&w, v6: h.isIPv6)
        case let .initiation(tlvs), let .termination(tlvs):
            for t in tlvs { t.encode(&w) }
        case let .routeMirroring(h, raw):
            h.encode(&w)
            w.append(raw)
        case let .unknown(_, body):
            w.append(body)
        }
        let n = w.count
        w.bytes[1] = UInt8(truncatingIfNeeded: n >> 24); w.bytes[2] = UInt8(truncatingIfNeeded: n >> 16)
        w.bytes[3] = UInt8(truncatingIfNeeded: n >> 8); w.bytes[4] = UInt8(truncatingIfNeeded: n)
        return w.bytes
    }
}

/// Which peer a message is about, and when (RFC 7854 §4.2).
public struct BMPPeerHeader: Hashable, Sendable {
    /// 0 global instance, 1 RD instance, 2 local instance, 3 Loc-RIB (RFC 9069).
    public var peerType: UInt8
    /// V (0x80, IPv6 peer), L (0x40, post-policy), A (0x20, 2-octet AS_PATH). The V
    /// bit is derived from `address` when encoding. For Loc-RIB, 0x80 is RFC 9069's F.
    public var flags: UInt8
    /// Tells apart peers with the same address in different VRFs (types 1 and 2).
    public var distinguisher: UInt64
    /// IPv4 when V is clear (the field's low 4 bytes).
    public var address: IPAddress
    public var asn: UInt32
    public var bgpID: UInt32
    /// When the router received the routes (or the state changed); 0 when unknown.
    public var seconds: UInt32
    public var microseconds: UInt32

    public static let length = 42
    public static let globalInstance: UInt8 = 0
    public static let rdInstance: UInt8 = 1
    public static let localInstance: UInt8 = 2
    public static let locRIBInstance: UInt8 = 3

    public init(peerType: UInt8 = 0, flags: UInt8 = 0, distinguisher: UInt64 = 0, address: IPAddress, asn: UInt32, bgpID: UInt32,
                seconds: UInt32 = 0, microseconds: UInt32 = 0) {
        self.peerType = peerType
        self.flags = address.isIPv6 ? flags | 0x80 : flags & ~0x80
        self.distinguisher = distinguisher
        self.address = address
        self.asn = asn
        self.bgpID = bgpID
        self.seconds = seconds
        self.microseconds = microseconds
    }

    public var isIPv6: Bool { flags & 0x80 != 0 }
    /// Adj-RIB-In after the router's inbound policy, rather than as received.
    public var isPostPolicy: Bool { flags & 0x40 != 0 }
    /// The UPDATE's AS_PATH has 2-octet AS numbers.
    public var isLegacyASPath: Bool { flags & 0x20 != 0 }

    static func decode(_ r: inout ByteReader) throws(WireError) -> BMPPeerHeader {
        let type = try r.readU8("peer type")
        let flags = try r.readU8("peer flags")
        let distinguisher = try r.readU64("peer distinguisher")
        let address = try readAddress(&r, v6: flags & 0x80 != 0, "peer address")
        let asn = try r.readU32("peer AS")
        let id = try r.readU32("peer BGP ID")
        let sec = try r.readU32("timestamp seconds")
        let usec = try r.readU32("timestamp microseconds")
        var h = BMPPeerHeader(peerType: type, flags: flags, distinguisher: distinguisher, address: address, asn: asn, bgpID: id,
                              seconds: sec, microseconds: usec)
        h.flags = flags
        return h
    }

    func encode(_ w: inout ByteWriter) {
        w.u8(peerType)
        w.u8(address.isIPv6 ? flags | 0x80 : flags & ~0x80)
        w.u64(distinguisher)
        writeAddress(address, &w)
        w.u32(asn); w.u32(bgpID); w.u32(seconds); w.u32(microseconds)
    }
}

/// BMP's 16-byte address fields: IPv6, or IPv4 in the low 4 bytes.
func readAddress(_ r: inout ByteReader, v6: Bool, _ what: StaticString) throws(WireError) -> IPAddress {
    try r.need(16, what)
    let hi = try r.readU64(what), lo = try r.readU64(what)
    return v6 ? .v6(hi, lo) : .v4(UInt32(truncatingIfNeeded: lo))
}

func writeAddress(_ a: IPAddress, _ w: inout ByteWriter) {
    switch a {
    case let .v4(v): w.u64(0); w.u32(0); w.u32(v)
    case let .v6(h, l): w.u64(h); w.u64(l)
    }
}

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
