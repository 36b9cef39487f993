/// OPEN (RFC 4271 §4.2) with capabilities (RFC 5492) and the extended
/// optional-parameters length of RFC 9072.
public struct Open: Hashable, Sendable {
    public var version: UInt8
    /// The 2-octet My AS field; AS_TRANS when the real AS needs four octets.
    public var myAS: UInt16
    public var holdTime: UInt16
    public var bgpIdentifier: UInt32
    public var capabilities: [Capability]
    /// Optional parameters other than capabilities (type, value), kept raw.
    public var otherParameters: [RawParameter]

    public struct RawParameter: Hashable, Sendable {
        public var type: UInt8
        public var value: [UInt8]
        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }
    }

    public init(version: UInt8 = 4, myAS: UInt16, holdTime: UInt16, bgpIdentifier: UInt32,
                capabilities: [Capability] = [], otherParameters: [RawParameter] = []) {
        self.version = version
        self.myAS = myAS
        self.holdTime = holdTime
        self.bgpIdentifier = bgpIdentifier
        self.capabilities = capabilities
        self.otherParameters = otherParameters
    }

    /// The speaker's AS: the 4-octet capability when present, else My AS.
    public var asn: UInt32 {
        for case let .fourOctetAS(a) in capabilities { return a }
        return UInt32(myAS)
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> Open {
        let version = try r.readU8("version")
        let myAS = try r.readU16("my AS")
        let hold = try r.readU16("hold time")
        let id = try r.readU32("BGP identifier")
        var paramLen = Int(try r.readU8("optional parameters length"))
        var extended = false
        // RFC 9072: 255 followed by a type of 255 announces a 2-octet length.
        if paramLen == 255, r.remaining >= 1, r.bytes[r.offset] == 255 {
            try r.skip(1)
            paramLen = Int(try r.readU16("extended optional parameters length"))
            extended = true
        }
        var p = try r.readSlice(paramLen, "optional parameters")
        var caps: [Capability] = []
        var others: [RawParameter] = []
        while !p.isAtEnd {
            let type = try p.readU8("parameter type")
            let len = extended ? Int(try p.readU16("parameter length")) : Int(try p.readU8("parameter length"))
            var v = try p.readSlice(len, "parameter value")
            if type == 2 {
                while !v.isAtEnd { caps.append(try Capability.decode(&v)) }
            } else {
                others.append(RawParameter(type: type, value: try v.readBytes(v.remaining)))
            }
        }
        return Open(version: version, myAS: myAS, holdTime: hold, bgpIdentifier: id, capabilities: caps, otherParameters: others)
    }

    func encode(_ w: inout ByteWriter) {
        w.u8(version); w.u16(myAS); w.u16(holdTime); w.u32(bgpIdentifier)
        var params = ByteWriter()
        // One capability per parameter, as most speakers send them.
        for c in capabilities {
            params.u8(2)
            params.lengthPrefixed(width: 1) { c.encode(&$0) }
        }
        for o in otherParameters {
            params.u8(o.type); params.u8(UInt8(truncatingIfNeeded: o.value.count)); params.append(o.value)
        }
        w.u8(UInt8(truncatingIfNeeded: params.count))
        w.append(params.bytes)
    }
}

/// A capability advertised in OPEN (RFC 5492), as an enum over the ones the
/// collector negotiates; anything else is kept raw.
public enum Capability: Hashable, Sendable {
    /// RFC 4760.
    case multiprotocol(AFISAFI)
    /// RFC 2918.
    case routeRefresh
    /// RFC 8654.
    case extendedMessage
    /// RFC 4724: restart flags and time, and per family whether forwarding state was kept.
    case gracefulRestart(flags: UInt8, time: UInt16, families: [GracefulRestartFamily])
    /// RFC 6793.
    case fourOctetAS(UInt32)
    /// RFC 7911: per family, 1 = receive, 2 = send, 3 = both.
    case addPath([AddPathFamily])
    case unknown(code: UInt8, value: [UInt8])

    public struct GracefulRestartFamily: Hashable, Sendable {
        public var family: AFISAFI
        public var flags: UInt8
        public init(family: AFISAFI, flags: UInt8) {
            self.family = family
            self.flags = flags
        }
    }

    public struct AddPathFamily: Hashable, Sendable {
        public var family: AFISAFI
        public var sendReceive: UInt8
        public init(family: AFISAFI, sendReceive: UInt8) {
            self.family = family
            self.sendReceive = sendReceive
        }
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> Capability {
        let code = try r.readU8("capability code")
        var v = try r.readSlice(Int(try r.readU8("capability length")), "capability value")
        let start = v
        do {
            let c: Capability
            switch code {
            case 1:
                let afi = try v.readU16(), _ = try v.readU8(), safi = try v.readU8()
                c = .multiprotocol(AFISAFI(afi: afi, safi: safi))
            case 2: c = .routeRefresh
            case 6: c = .extendedMessage
            case 64:
                let word = try v.readU16()
                var fams: [GracefulRestartFamily] = []
                while !v.isAtEnd {
                    let afi = try v.readU16(), safi = try v.readU8(), f = try v.readU8()
                    fams.append(GracefulRestartFamily(family: AFISAFI(afi: afi, safi: safi), flags: f))
                }
                c = .gracefulRestart(flags: UInt8(word >> 12), time: word & 0x0FFF, families: fams)
            case 65: c = .fourOctetAS(try v.readU32())
            case 69:
                var fams: [AddPathFamily] = []
                while !v.isAtEnd {
                    let afi = try v.readU16(), safi = try v.readU8(), sr = try v.readU8()
                    fams.append(AddPathFamily(family: AFISAFI(afi: afi, safi: safi), sendReceive: sr))
                }
                c = .addPath(fams)
            default: c = .unknown(code: code, value: try v.readBytes(v.remaining))
            }
            try v.expectEnd("capability")
            return c
        } catch {
            // A capability whose value does not parse is kept raw, not fatal here;
            // the session decides whether it can live without it.
            return .unknown(code: code, value: Array(start.bytes))
        }
    }

    func encode(_ w: inout ByteWriter) {
        func body(_ code: UInt8, _ f: (inout ByteWriter) -> Void) {
            w.u8(code)
            w.lengthPrefixed(width: 1, f)
        }
        switch self {
        case let .multiprotocol(f): body(1) { $0.u16(f.afi); $0.u8(0); $0.u8(f.safi) }
        case .routeRefresh: body(2) { _ in }
        case .extendedMessage: body(6) { _ in }
        case let .gracefulRestart(flags, time, fams):
            body(64) {
                $0.u16(UInt16(flags & 0xF) << 12 | (time & 0x0FFF))
                for f in fams { $0.u16(f.family.afi); $0.u8(f.family.safi); $0.u8(f.flags) }
            }
        case let .fourOctetAS(a): body(65) { $0.u32(a) }
        case let .addPath(fams): body(69) { for f in fams { $0.u16(f.family.afi); $0.u8(f.family.safi); $0.u8(f.sendReceive) } }
        case let .unknown(code, value): body(code) { $0.append(value) }
        }
    }
}
