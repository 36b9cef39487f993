/// A BGP-4 message (RFC 4271 §4) with its 19-byte header.
///
///     +-------------------------------+--------+------+
///     | Marker (16 × 0xFF)            | Length | Type |
///     +-------------------------------+--------+------+
public enum BGPMessage: Hashable, Sendable {
    case open(Open)
    case update(Update)
    case notification(Notification)
    case keepalive
    case routeRefresh(RouteRefresh)
    /// A type Vigil does not know, kept as its body.
    case unknown(type: UInt8, body: [UInt8])

    public static let headerLength = 19
    public static let maxLength = 4096
    public static let maxExtendedLength = 65535

    public var typeCode: UInt8 {
        switch self {
        case .open: 1
        case .update: 2
        case .notification: 3
        case .keepalive: 4
        case .routeRefresh: 5
        case let .unknown(t, _): t
        }
    }

    /// Reads the header and returns the type and a reader over exactly the body.
    /// Returns nil when the buffer does not yet hold the whole message (for sockets).
    public static func frame(_ r: inout ByteReader, options: SessionOptions) throws(WireError) -> (type: UInt8, body: ByteReader)? {
        guard r.remaining >= headerLength else { return nil }
        let start = r.position
        var h = r
        for _ in 0..<2 where try h.readU64("marker") != ~UInt64(0) {
            throw WireError(invalid: "marker is not all ones", field: "BGP header", at: start)
        }
        let length = Int(try h.readU16("message length"))
        let type = try h.readU8("message type")
        let limit = options.extendedMessages ? maxExtendedLength : maxLength
        guard length >= headerLength, length <= limit else {
            throw WireError(invalid: "bad message length \(length)", field: "BGP header", at: start + 16)
        }
        guard r.remaining >= length else { return nil }
        try r.skip(headerLength)
        let body = try r.readSlice(length - headerLength, "message body")
        return (type, body)
    }

    /// Decodes one whole message; the bytes must hold exactly one.
    public static func decode(_ r: inout ByteReader, options: SessionOptions) throws(WireError) -> BGPMessage {
        let start = r.position
        guard let (type, body) = try frame(&r, options: options) else {
            throw WireError(.truncated(needed: headerLength, available: r.remaining), "BGP message", at: start)
        }
        return try decodeBody(type: type, body, options: options)
    }

    public static func decodeBody(type: UInt8, _ body: ByteReader, options: SessionOptions) throws(WireError) -> BGPMessage {
        var b = body
        let m: BGPMessage
        switch type {
        case 1: m = .open(try Open.decode(&b))
        case 2: m = .update(try Update.decode(&b, options: options))
        case 3: m = .notification(try Notification.decode(&b))
        case 4: m = .keepalive
        case 5: m = .routeRefresh(try RouteRefresh.decode(&b))
        default: m = .unknown(type: type, body: try b.readBytes(b.remaining))
        }
        try b.expectEnd("BGP message body")
        return m
    }

    public func encode(options: SessionOptions) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.u64(~0); w.u64(~0)
        w.u16(0)
        w.u8(typeCode)
        switch self {
        case let .open(o): o.encode(&w)
        case let .update(u): u.encode(&w, options: options)
        case let .notification(n): n.encode(&w)
        case .keepalive: break
        case let .routeRefresh(r): r.encode(&w)
        case let .unknown(_, body): w.append(body)
        }
        let n = w.count
        w.bytes[16] = UInt8(truncatingIfNeeded: n >> 8)
        w.bytes[17] = UInt8(truncatingIfNeeded: n)
        return w.bytes
    }
}

/// NOTIFICATION (RFC 4271 §4.5).
public struct Notification: Hashable, Sendable {
    public var code: UInt8
    public var subcode: UInt8
    public var data: [UInt8]
    public init(code: UInt8, subcode: UInt8, data: [UInt8] = []) {
        self.code = code
        self.subcode = subcode
        self.data = data
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> Notification {
        Notification(code: try r.readU8("error code"), subcode: try r.readU8("error subcode"), data: try r.readBytes(r.remaining))
    }
    func encode(_ w: inout ByteWriter) { w.u8(code); w.u8(subcode); w.append(data) }

    // Codes and subcodes used by the collector (RFC 4271 §6, RFC 4486).
    public static let messageHeaderError: UInt8 = 1
    public static let openMessageError: UInt8 = 2
    public static let updateMessageError: UInt8 = 3
    public static let holdTimerExpired: UInt8 = 4
    public static let fsmError: UInt8 = 5
    public static let cease: UInt8 = 6
}

/// ROUTE-REFRESH (RFC 2918, RFC 7313 subtypes in the reserved byte).
public struct RouteRefresh: Hashable, Sendable {
    public var family: AFISAFI
    public var subtype: UInt8
    public init(family: AFISAFI, subtype: UInt8 = 0) {
        self.family = family
        self.subtype = subtype
    }
    static func decode(_ r: inout ByteReader) throws(WireError) -> RouteRefresh {
        let afi = try r.readU16("AFI"), sub = try r.readU8("subtype"), safi = try r.readU8("SAFI")
        return RouteRefresh(family: AFISAFI(afi: afi, safi: safi), subtype: sub)
    }
    func encode(_ w: inout ByteWriter) { w.u16(family.afi); w.u8(subtype); w.u8(family.safi) }
}
