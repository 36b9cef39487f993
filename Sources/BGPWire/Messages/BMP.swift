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
