public import BGPWire

/// Turns raw records into `RouteBatch`es for the replay path: the elements the
/// routing state needs (kind, peer, prefix, path identifier, AS path bytes,
/// states) read straight from the record's bytes, with nothing decoded into
/// the typed model and nothing allocated once the batch's arrays have grown.
///
/// It walks only what it can answer exactly as `ElementExtractor` would: BGP4MP
/// state changes and UPDATEs, TABLE_DUMP_V2 unicast RIB records. Anything else —
/// other record types, messages other than UPDATE, an AS4_PATH to merge, repeated
/// or malformed AS_PATH or MP_* attributes, any framing error — goes through the
/// typed decoder and the extractor, so odd input gives the same elements and the
/// same problem reports as `vigil dump --json` and the live path.
public final class RouteWalker {
    var extractor = ElementExtractor()
    var typed: [BGPElement] = []
    /// The PEER_INDEX_TABLE's peers, as plain values.
    var peers: [(address: IPAddress, asn: UInt32)] = []
    var havePeerTable = false
    /// Records walked, and records handed to the typed decoder.
    public private(set) var walkedRecords = 0
    public private(set) var typedRecords = 0

    static let noPrefix = Prefix(address: .v4Zero, length: 0)
    // The BGP4MP subtypes' session options, built once: `frame` needs only the length limit.
    static let messageOptions = SessionOptions(fourOctetAS: true, extendedMessages: true)

    public init() {}

    /// Refills `batch` with the record's elements; returns a problem to report, if any
    /// (the elements before it are kept, as the extractor keeps them).
    public func decode(_ rec: RawRecord, into batch: inout RouteBatch) -> String? {
        batch.reset(timestamp: rec.header.timestamp, microseconds: rec.header.microseconds ?? 0)
        do {
            if try walk(rec, &batch) {
                walkedRecords += 1
                return nil
            }
        } catch {}
        batch.reset(timestamp: rec.header.timestamp, microseconds: rec.header.microseconds ?? 0)
        typedRecords += 1
        return typedDecode(rec, &batch)
    }

    /// False (or a throw) when the record is not one the walker answers: the typed path takes it.
    func walk(_ rec: RawRecord, _ b: inout RouteBatch) throws(WireError) -> Bool {
        var r = ByteReader(rec.body)
        let sub = rec.header.subtype
        switch rec.header.type.rawValue {
        case 16, 17:
            switch sub {
            case 0, 5:
                let (peer, asn) = try peering(&r, four: sub == 5)
                let old = try r.readU16(), new = try r.readU16()
                guard r.isAtEnd else { return false }
                b.elements.append(RouteElement(kind: .state, peerAddress: peer, peerAS: asn, prefix: Self.noPrefix,
                                               oldState: old, newState: new))
                return true
            case 1, 4, 6, 7, 8, 9, 10, 11:
                let four = sub == 4 || sub == 7 || sub == 9 || sub == 11
                let (peer, asn) = try peering(&r, four: four)
                guard let (type, body) = try BGPMessage.frame(&r, options: Self.messageOptions), r.isAtEnd, type == 2 else { return false }
                return try update(body, peer: peer, asn: asn, four: four, addPath: sub >= 8, &b)
            default:
                return false
            }
        case 13:
            guard sub == 2 || sub == 4 || sub == 8 || sub == 10, havePeerTable else { return false }
            return try rib(&r, v6: sub == 4 || sub == 10, addPath: sub >= 8, &b)
        default:
            return false
        }
    }

    @inline(__always)
    func peering(_ r: inout ByteReader, four: Bool) throws(WireError) -> (IPAddress, UInt32) {
        let asn = four ? try r.readU32() : UInt32(try r.readU16())
        try r.skip(four ? 4 : 2)  // local AS
        try r.skip(2)  // interface index
        let afi = try r.readU16()
        guard afi == 1 || afi == 2 else { throw WireError(.truncated(needed: 0, available: 0), "address family", at: 0) }
        let peer = try IPAddress.read(&r, v6: afi == 2)
        try r.skip(afi == 2 ? 16 : 4)  // local address
        return (peer, asn)
    }

    func update(_ body: ByteReader, peer: IPAddress, asn: UInt32, four: Bool, addPath: Bool, _ b: inout RouteBatch) throws(WireError) -> Bool {
        var u = body
        var withdrawn = try u.readSlice(Int(try u.readU16()))
        var attrs = try u.readSlice(Int(try u.readU16()))
        // What remains of `u` is the IPv4 NLRI.
        var asPath: ByteReader? = nil
        var reach: ByteReader? = nil, reach6 = false
        var unreach: ByteReader? = nil, unreach6 = false
        while !attrs.isAtEnd {
            let flags = try attrs.readU8(), type = try attrs.readU8()
            let len = flags & AttributeFlags.extendedLength != 0 ? Int(try attrs.readU16()) : Int(try attrs.readU8())
            var v = try attrs.readSlice(len)
            switch type {
            case 2:
                guard asPath == nil, Self.validPath(v.bytes, width: four ? 4 : 2) else { return false }
                asPath = v
            case 17:
                // AS4_PATH on a 2-octet session is merged by the typed path; a 4-octet session ignores it.
                if !four { return false }
            case 14:
                guard reach == nil else { return false }
                let afi = try v.readU16(), safi = try v.readU8()
                // Other families are kept as unknown attributes: no elements.
                guard (afi == 1 || afi == 2) && (safi == 1 || safi == 2) else { reach = ByteReader(UnsafeRawBufferPointer(start: nil, count: 0)); continue }
                try v.skip(Int(try v.readU8()))  // next hop
                let snpas = try v.readU8()
                for _ in 0..<snpas { try v.skip(Int(try v.readU8())) }
                reach = v
                reach6 = afi == 2
            case 15:
                guard unreach == nil else { return false }
                let afi = try v.readU16(), safi = try v.readU8()
                guard (afi == 1 || afi == 2) && (safi == 1 || safi == 2) else { unreach = ByteReader(UnsafeRawBufferPointer(start: nil, count: 0)); continue }
                unreach = v
                unreach6 = afi == 2
            default:
                break  // content is not the routing state's business (the extractor ignores it too)
            }
        }
        // A malformed prefix throws here and the typed path takes the record: in MP_* attributes it
        // makes the attribute malformed (no elements from it), elsewhere it fails the whole record.
        try appendNLRI(&withdrawn, v6: false, addPath: addPath, .withdrawal, peer, asn, (0, 0), &b)
        if var m = unreach { try appendNLRI(&m, v6: unreach6, addPath: addPath, .withdrawal, peer, asn, (0, 0), &b) }
        guard !u.isAtEnd || !(reach?.isAtEnd ?? true) else { return true }
        var path: (Int32, Int32) = (0, 0)
        if let p = asPath { path = four ? b.appendPath(fourOctet: p.bytes) : b.appendPath(twoOctet: p.bytes) }
        try appendNLRI(&u, v6: false, addPath: addPath, .announcement, peer, asn, path, &b)
        if var m = reach { try appendNLRI(&m, v6: reach6, addPath: addPath, .announcement, peer, asn, path, &b) }
        return true
    }

    func rib(_ r: inout ByteReader, v6: Bool, addPath: Bool, _ b: inout RouteBatch) throws(WireError) -> Bool {
        try r.skip(4)  // sequence number
        // RIB records carry no path id before the prefix, even with ADD-PATH (RFC 8050 §4.1).
        let prefix = try Prefix.readNLRI(&r, v6: v6)
        let count = Int(try r.readU16())
        for _ in 0..<count {
            let index = Int(try r.readU16())
            try r.skip(4)  // originated time
            let pathID: UInt32? = addPath ? try r.readU32() : nil
            var attrs = try r.readSlice(Int(try r.readU16()))
            guard index < peers.count else { return false }
            var asPath: UnsafeRawBufferPointer? = nil
            while !attrs.isAtEnd {
                let flags = try attrs.readU8(), type = try attrs.readU8()
                let len = flags & AttributeFlags.extendedLength != 0 ? Int(try attrs.readU16()) : Int(try attrs.readU8())
                let v = try attrs.readSlice(len)
                if type == 2 {
                    guard asPath == nil, Self.validPath(v.bytes, width: 4) else { return false }
                    asPath = v.bytes
                }
            }
            let path = asPath.map { b.appendPath(fourOctet: $0) } ?? (0, 0)
            let peer = peers[index]
            b.elements.append(RouteElement(kind: .rib, peerAddress: peer.address, peerAS: peer.asn, prefix: prefix, pathID: pathID,
                                           pathStart: path.0, pathLength: path.1))
        }
        return r.isAtEnd
    }

    @inline(__always)
    func appendNLRI(_ r: inout ByteReader, v6: Bool, addPath: Bool, _ kind: ElementKind, _ peer: IPAddress, _ asn: UInt32,
                    _ path: (Int32, Int32), _ b: inout RouteBatch) throws(WireError) {
        while !r.isAtEnd {
            let id: UInt32? = addPath ? try r.readU32() : nil
            let p = try Prefix.readNLRI(&r, v6: v6)
            b.elements.append(RouteElement(kind: kind, peerAddress: peer, peerAS: asn, prefix: p, pathID: id,
                                           pathStart: path.0, pathLength: path.1))
        }
    }

    /// An AS_PATH `ASPath.decode` accepts: known segment types, whole segments to the end.
    static func validPath(_ v: UnsafeRawBufferPointer, width: Int) -> Bool {
        var i = 0
        while i < v.count {
            guard i + 2 <= v.count, (1...4).contains(v[i]) else { return false }
            i += 2 + Int(v[i + 1]) * width
        }
        return i == v.count
    }

    func typedDecode(_ rec: RawRecord, _ b: inout RouteBatch) -> String? {
        let record: MRTRecord
        do { record = try MRTRecord.decode(rec) } catch { return error.description }
        typed.removeAll(keepingCapacity: true)
        let problem = extractor.elements(of: record, into: &typed)
        if case let .peerIndexTable(t) = record.body {
            peers = t.peers.map { ($0.address, $0.asn) }
            havePeerTable = true
        }
        for e in typed {
            let path = e.asPath.map { b.appendPath($0) } ?? (0, 0)
            b.elements.append(RouteElement(kind: e.kind, peerAddress: e.peerAddress, peerAS: e.peerAS, prefix: e.prefix ?? Self.noPrefix,
                                           pathID: e.pathID, pathStart: path.0, pathLength: path.1,
                                           oldState: e.oldState ?? 0, newState: e.newState ?? 0))
        }
        return problem
    }
}
