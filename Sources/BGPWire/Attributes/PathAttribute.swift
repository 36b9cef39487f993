/// One BGP path attribute (RFC 4271 §4.3 and the RFCs named per case).
///
///     +---------------+---------------+--------------------+------------+
///     | Attr. Flags   | Attr. Type    | Length (1 or 2)    | Value ...  |
///     +---------------+---------------+--------------------+------------+
public enum PathAttribute: Hashable, Sendable {
    case origin(Origin)
    case asPath(ASPath)
    case nextHop(UInt32)
    case multiExitDisc(UInt32)
    case localPref(UInt32)
    case atomicAggregate
    case aggregator(Aggregator)
    /// RFC 1997.
    case communities([UInt32])
    /// RFC 4456.
    case originatorID(UInt32)
    case clusterList([UInt32])
    case mpReach(MPReach)
    case mpUnreach(MPUnreach)
    /// RFC 4360: each community as its 8 bytes in network order.
    case extendedCommunities([UInt64])
    /// RFC 6793.
    case as4Path(ASPath)
    case as4Aggregator(Aggregator)
    /// RFC 8092.
    case largeCommunities([LargeCommunity])
    /// A type Vigil does not interpret; re-encoded unchanged.
    case unknown(RawAttribute)
    /// A known type whose value does not parse. RFC 7606 decides what the
    /// session does about it (see `UpdateValidation`); the bytes are kept.
    case malformed(RawAttribute, reason: String)

    public var type: AttributeType {
        switch self {
        case .origin: .origin
        case .asPath: .asPath
        case .nextHop: .nextHop
        case .multiExitDisc: .multiExitDisc
        case .localPref: .localPref
        case .atomicAggregate: .atomicAggregate
        case .aggregator: .aggregator
        case .communities: .communities
        case .originatorID: .originatorID
        case .clusterList: .clusterList
        case .mpReach: .mpReachNLRI
        case .mpUnreach: .mpUnreachNLRI
        case .extendedCommunities: .extendedCommunities
        case .as4Path: .as4Path
        case .as4Aggregator: .as4Aggregator
        case .largeCommunities: .largeCommunities
        case let .unknown(raw), let .malformed(raw, _): raw.type
        }
    }

    /// The flags Vigil sends for a type: well-known ones mandatory, the rest optional.
    static func standardFlags(_ t: AttributeType) -> UInt8 {
        switch t {
        case .origin, .asPath, .nextHop, .localPref, .atomicAggregate: return AttributeFlags.transitive
        case .multiExitDisc, .originatorID, .clusterList, .mpReachNLRI, .mpUnreachNLRI: return AttributeFlags.optional
        default: return AttributeFlags.optional | AttributeFlags.transitive
        }
    }
}

/// Where an attribute block is being read: the session's options, and for
/// TABLE_DUMP_V2 RIB entries the family whose abbreviated MP_REACH_NLRI
/// (next hop only, RFC 6396 §4.3.4) is expected.
public struct AttributeContext: Sendable {
    public var options: SessionOptions
    public var abbreviatedMPReach: AFISAFI?

    public init(options: SessionOptions, abbreviatedMPReach: AFISAFI? = nil) {
        self.options = options
        self.abbreviatedMPReach = abbreviatedMPReach
    }
}

extension PathAttribute {
    /// Reads a whole attribute block. Framing errors (an attribute longer than
    /// the block) throw; content errors come back as `.malformed`.
    public static func decodeAll(_ r: inout ByteReader, _ ctx: AttributeContext) throws(WireError) -> [PathAttribute] {
        var out: [PathAttribute] = []
        out.reserveCapacity(8)
        while !r.isAtEnd {
            out.append(try decodeOne(&r, ctx))
        }
        return out
    }

    public static func decodeOne(_ r: inout ByteReader, _ ctx: AttributeContext) throws(WireError) -> PathAttribute {
        let wireFlags = try r.readU8("attribute flags")
        let type = AttributeType(try r.readU8("attribute type"))
        let len = (wireFlags & AttributeFlags.extendedLength) != 0 ? Int(try r.readU16("attribute length"))
                                                                : Int(try r.readU8("attribute length"))
        let slice = try r.readSlice(len, "attribute value")
        // Offsets in content errors count from the start of the value, so the
        // reason stays the same wherever the attribute sits; the extended-length
        // bit is framing, not part of the attribute's value.
        var v = ByteReader(slice.bytes, base: 0)
        let flags = wireFlags & ~AttributeFlags.extendedLength
        do {
            let a = try decodeValue(type, flags, &v, ctx)
            try v.expectEnd("attribute value")
            return a
        } catch {
            let raw = RawAttribute(flags: flags, type: type, value: Array(v.bytes))
            return .malformed(raw, reason: error.description)
        }
    }

    static func decodeValue(_ type: AttributeType, _ flags: UInt8, _ v: inout ByteReader, _ ctx: AttributeContext) throws(WireError) -> PathAttribute {
        func fixed(_ n: Int) throws(WireError) {
            if v.remaining != n {
                throw WireError(invalid: "length \(v.remaining), expected \(n)", field: "attribute \(type.rawValue)", at: v.position)
            }
        }
        switch type {
        case .origin:
            try fixed(1)
            return .origin(Origin(rawValue: try v.readU8()))
        case .asPath:
            return .asPath(try ASPath.decode(&v, asnWidth: ctx.options.asnWidth))
        case .nextHop:
            try fixed(4)
            return .nextHop(try v.readU32())
        case .multiExitDisc:
            try fixed(4)
            return .multiExitDisc(try v.readU32())
        case .localPref:
            try fixed(4)
            return .localPref(try v.readU32())
        case .atomicAggregate:
            try fixed(0)
            return .atomicAggregate
        case .aggregator:
            try fixed(ctx.options.asnWidth + 4)
            let asn = ctx.options.fourOctetAS ? try v.readU32() : UInt32(try v.readU16())
            return .aggregator(Aggregator(asn: asn, address: try v.readU32()))
        case .communities:
            guard v.remaining % 4 == 0 else { throw WireError(invalid: "length not a multiple of 4", field: "COMMUNITIES", at: v.position) }
            var c: [UInt32] = []
            c.reserveCapacity(v.remaining / 4)
            while !v.isAtEnd { c.append(try v.readU32()) }
            return .communities(c)
        case .originatorID:
            try fixed(4)
            return .originatorID(try v.readU32())
        case .clusterList:
            guard v.remaining % 4 == 0 else { throw WireError(invalid: "length not a multiple of 4", field: "CLUSTER_LIST", at: v.position) }
            var c: [UInt32] = []
            while !v.isAtEnd { c.append(try v.readU32()) }
            return .clusterList(c)
        case .mpReachNLRI:
            if let family = ctx.abbreviatedMPReach, v.remaining > 0, v.bytes[v.offset] != 0 {
                let n = Int(try v.readU8())
                return .mpReach(MPReach(family: family, nextHop: try MPNextHop.decode(&v, length: n), nlri: []))
            }
            let afi = try v.readU16("AFI"), safi = try v.readU8("SAFI")
            let family = AFISAFI(afi: afi, safi: safi)
            guard (afi == 1 || afi == 2) && (safi == 1 || safi == 2) else {
                return .unknown(RawAttribute(flags: flags, type: type, value: Array(v.bytes)))
            }
            let nhLen = Int(try v.readU8("next hop length"))
            var nh = try v.readSlice(nhLen, "next hop")
            let nextHop = try MPNextHop.decode(&nh, length: nhLen)
            let snpas = try v.readU8("SNPA count")
            for _ in 0..<snpas { try v.skip(Int(try v.readU8("SNPA length")), "SNPA") }
            let nlri = try NLRI.readList(&v, v6: afi == 2, addPath: ctx.options.hasAddPath(family))
            return .mpReach(MPReach(family: family, nextHop: nextHop, nlri: nlri))
        case .mpUnreachNLRI:
            let afi = try v.readU16("AFI"), safi = try v.readU8("SAFI")
            let family = AFISAFI(afi: afi, safi: safi)
            guard (afi == 1 || afi == 2) && (safi == 1 || safi == 2) else {
                return .unknown(RawAttribute(flags: flags, type: type, value: Array(v.bytes)))
            }
            return .mpUnreach(MPUnreach(family: family, withdrawn: try NLRI.readList(&v, v6: afi == 2, addPath: ctx.options.hasAddPath(family))))
        case .extendedCommunities:
            guard v.remaining % 8 == 0 else { throw WireError(invalid: "length not a multiple of 8", field: "EXTENDED_COMMUNITIES", at: v.position) }
            var c: [UInt64] = []
            while !v.isAtEnd { c.append(try v.readU64()) }
            return .extendedCommunities(c)
        case .as4Path:
            return .as4Path(try ASPath.decode(&v, asnWidth: 4))
        case .as4Aggregator:
            try fixed(8)
            return .as4Aggregator(Aggregator(asn: try v.readU32(), address: try v.readU32()))
        case .largeCommunities:
            guard v.remaining % 12 == 0 else { throw WireError(invalid: "length not a multiple of 12", field: "LARGE_COMMUNITY", at: v.position) }
            var c: [LargeCommunity] = []
            while !v.isAtEnd { c.append(LargeCommunity(try v.readU32(), try v.readU32(), try v.readU32())) }
            return .largeCommunities(c)
        default:
            let raw = RawAttribute(flags: flags, type: type, value: Array(v.rest))
            try v.skip(v.remaining)
            return .unknown(raw)
        }
    }

    /// Encodes with the standard flags (extended length when needed); raw
    /// attributes keep the flags they came with.
    public func encode(_ w: inout ByteWriter, _ ctx: AttributeContext) {
        var body = ByteWriter(capacity: 32)
        var flags = PathAttribute.standardFlags(type)
        switch self {
        case let .origin(o): body.u8(o.rawValue)
        case let .asPath(p): p.encode(&body, asnWidth: ctx.options.asnWidth)
        case let .nextHop(a): body.u32(a)
        case let .multiExitDisc(v): body.u32(v)
        case let .localPref(v): body.u32(v)
        case .atomicAggregate: break
        case let .aggregator(a):
            if ctx.options.fourOctetAS { body.u32(a.asn) } else { body.u16(a.asn > 0xFFFF ? 23456 : UInt16(a.asn)) }
            body.u32(a.address)
        case let .communities(c): for x in c { body.u32(x) }
        case let .originatorID(a): body.u32(a)
        case let .clusterList(c): for x in c { body.u32(x) }
        case let .mpReach(m):
            if ctx.abbreviatedMPReach != nil {
                m.nextHop.encode(&body)
            } else {
                body.u16(m.family.afi); body.u8(m.family.safi)
                m.nextHop.encode(&body)
                body.u8(0)
                NLRI.writeList(m.nlri, &body)
            }
        case let .mpUnreach(m):
            body.u16(m.family.afi); body.u8(m.family.safi)
            NLRI.writeList(m.withdrawn, &body)
        case let .extendedCommunities(c): for x in c { body.u64(x) }
        case let .as4Path(p): p.encode(&body, asnWidth: 4)
        case let .as4Aggregator(a): body.u32(a.asn); body.u32(a.address)
        case let .largeCommunities(c): for x in c { body.u32(x.global); body.u32(x.local1); body.u32(x.local2) }
        case let .unknown(raw), let .malformed(raw, _):
            flags = raw.flags & ~AttributeFlags.extendedLength
            body.append(raw.value)
        }
        if body.count > 255 { flags |= AttributeFlags.extendedLength }
        w.u8(flags)
        w.u8(type.rawValue)
        if flags & AttributeFlags.extendedLength != 0 { w.u16(UInt16(truncatingIfNeeded: body.count)) } else { w.u8(UInt8(body.count)) }
        w.append(body.bytes)
    }

    public static func encodeAll(_ attrs: [PathAttribute], _ ctx: AttributeContext) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        for a in attrs { a.encode(&w, ctx) }
        return w.bytes
    }
}

/// Typed access to the attributes of one route.
extension Array where Element == PathAttribute {
    public var origin: Origin? { for case let .origin(o) in self { return o }; return nil }
    public var rawASPath: ASPath? { for case let .asPath(p) in self { return p }; return nil }
    public var as4Path: ASPath? { for case let .as4Path(p) in self { return p }; return nil }
    public var nextHop: UInt32? { for case let .nextHop(a) in self { return a }; return nil }
    public var med: UInt32? { for case let .multiExitDisc(v) in self { return v }; return nil }
    public var localPref: UInt32? { for case let .localPref(v) in self { return v }; return nil }
    public var atomicAggregate: Bool { contains(.atomicAggregate) }
    public var communities: [UInt32] { for case let .communities(c) in self { return c }; return [] }
    public var largeCommunities: [LargeCommunity] { for case let .largeCommunities(c) in self { return c }; return [] }
    public var extendedCommunities: [UInt64] { for case let .extendedCommunities(c) in self { return c }; return [] }
    public var mpReach: MPReach? { for case let .mpReach(m) in self { return m }; return nil }
    public var mpUnreach: MPUnreach? { for case let .mpUnreach(m) in self { return m }; return nil }

    /// The true AS path: on a 2-octet session AS4_PATH is merged in (RFC 6793 §4.2.3).
    public func asPath(fourOctetSession: Bool) -> ASPath? {
        guard let p = rawASPath else { return nil }
        if !fourOctetSession, let p4 = as4Path { return p.merged(withAS4: p4) }
        return p
    }

    /// AGGREGATOR with AS4_AGGREGATOR applied when the former says AS_TRANS.
    public func aggregator(fourOctetSession: Bool) -> Aggregator? {
        var agg: Aggregator? = nil, agg4: Aggregator? = nil
        for a in self {
            if case let .aggregator(x) = a { agg = x }
            if case let .as4Aggregator(x) = a { agg4 = x }
        }
        if !fourOctetSession, let a = agg, a.asn == ASPath.asTrans, let b = agg4 { return b }
        return agg
    }
}
