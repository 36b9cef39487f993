public import BGPWire

/// PEER_INDEX_TABLE (RFC 6396 §4.3.1): the peers that the RIB records of a dump refer to by index.
public struct PeerIndexTable: Hashable, Sendable {
    public struct Peer: Hashable, Sendable {
        public var bgpID: UInt32
        public var address: IPAddress
        public var asn: UInt32
        /// Whether the AS is written in four octets (peer type bit 1).
        public var fourOctetAS: Bool
        public init(bgpID: UInt32, address: IPAddress, asn: UInt32, fourOctetAS: Bool = true) {
            self.bgpID = bgpID
            self.address = address
            self.asn = asn
            self.fourOctetAS = fourOctetAS
        }
    }

    public var collectorID: UInt32
    public var viewName: [UInt8]
    public var peers: [Peer]

    public init(collectorID: UInt32, viewName: [UInt8] = [], peers: [Peer]) {
        self.collectorID = collectorID
        self.viewName = viewName
        self.peers = peers
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> PeerIndexTable {
        let id = try r.readU32("collector BGP ID")
        let name = try r.readBytes(Int(try r.readU16("view name length")), "view name")
        let count = Int(try r.readU16("peer count"))
        var peers: [Peer] = []
        peers.reserveCapacity(count)
        for _ in 0..<count {
            let type = try r.readU8("peer type")
            let bgpID = try r.readU32("peer BGP ID")
            let addr = try IPAddress.read(&r, v6: type & 1 != 0)
            let four = type & 2 != 0
            let asn = four ? try r.readU32("peer AS") : UInt32(try r.readU16("peer AS"))
            peers.append(Peer(bgpID: bgpID, address: addr, asn: asn, fourOctetAS: four))
        }
        return PeerIndexTable(collectorID: id, viewName: name, peers: peers)
    }

    func encode(_ w: inout ByteWriter) {
        w.u32(collectorID)
        w.u16(UInt16(viewName.count)); w.append(viewName)
        w.u16(UInt16(peers.count))
        for p in peers {
            w.u8((p.address.isIPv6 ? 1 : 0) | (p.fourOctetAS ? 2 : 0))
            w.u32(p.bgpID)
            p.address.write(&w)
            if p.fourOctetAS { w.u32(p.asn) } else { w.u16(UInt16(truncatingIfNeeded: p.asn)) }
        }
    }
}

/// A RIB record (RFC 6396 §4.3.2–4.3.3, RFC 8050 for ADD-PATH): one prefix
/// and the route each peer has for it. Attributes use 4-octet AS numbers,
/// and MP_REACH_NLRI holds only the next hop.
public struct RIBRecord: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var peerIndex: UInt16
        public var originated: UInt32
        public var pathID: UInt32?
        public var attributes: [PathAttribute]
        public init(peerIndex: UInt16, originated: UInt32, pathID: UInt32? = nil, attributes: [PathAttribute]) {
            self.peerIndex = peerIndex
            self.originated = originated
            self.pathID = pathID
            self.attributes = attributes
        }
    }

    public var family: AFISAFI
    /// RIB_GENERIC(_ADDPATH): the family is written in the record.
    public var generic: Bool
    public var addPath: Bool
    public var sequence: UInt32
    public var prefix: Prefix
    public var entries: [Entry]

    public init(family: AFISAFI, generic: Bool = false, addPath: Bool = false, sequence: UInt32, prefix: Prefix, entries: [Entry]) {
        self.family = family
        self.generic = generic
        self.addPath = addPath
        self.sequence = sequence
        self.prefix = prefix
        self.entries = entries
    }

    var subtype: UInt16 {
        if generic { return addPath ? 12 : 6 }
        let base: UInt16 = family == .ipv4Unicast ? 2 : family == .ipv4Multicast ? 3 : family == .ipv6Unicast ? 4 : 5
        return addPath ? base + 6 : base
    }

    static func decode(_ r: inout ByteReader, subtype: UInt16) throws(WireError) -> RIBRecord {
        let addPath = subtype >= 8
        let generic = subtype == 6 || subtype == 12
        let seq = try r.readU32("sequence number")
        var family: AFISAFI
        switch subtype {
        case 2, 8: family = .ipv4Unicast
        case 3, 9: family = .ipv4Multicast
        case 4, 10: family = .ipv6Unicast
        case 5, 11: family = .ipv6Multicast
        default:
            let at = r.position
            family = AFISAFI(afi: try r.readU16("AFI"), safi: try r.readU8("SAFI"))
            guard (family.afi == 1 || family.afi == 2) && (family.safi == 1 || family.safi == 2) else {
                throw WireError(invalid: "RIB_GENERIC for \(family) is not decoded", field: "RIB_GENERIC", at: at)
            }
        }
        // RIB records carry no path id before the prefix, even with ADD-PATH (RFC 8050 §4.1).
        let prefix = try Prefix.readNLRI(&r, v6: family.isIPv6)
        let count = Int(try r.readU16("entry count"))
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        let ctx = AttributeContext(options: SessionOptions(fourOctetAS: true), abbreviatedMPReach: family)
        for _ in 0..<count {
            let index = try r.readU16("peer index")
            let originated = try r.readU32("originated time")
            let pathID: UInt32? = addPath ? try r.readU32("path identifier") : nil
            var a = try r.readSlice(Int(try r.readU16("attribute length")), "attributes")
            entries.append(Entry(peerIndex: index, originated: originated, pathID: pathID,
                                 attributes: try PathAttribute.decodeAll(&a, ctx)))
        }
        return RIBRecord(family: family, generic: generic, addPath: addPath, sequence: seq, prefix: prefix, entries: entries)
    }

    func encode(_ w: inout ByteWriter) {
        w.u32(sequence)
        if generic { w.u16(family.afi); w.u8(family.safi) }
        prefix.writeNLRI(&w)
        w.u16(UInt16(entries.count))
        let ctx = AttributeContext(options: SessionOptions(fourOctetAS: true), abbreviatedMPReach: family)
        for e in entries {
            w.u16(e.peerIndex); w.u32(e.originated)
            if addPath { w.u32(e.pathID ?? 0) }
            w.lengthPrefixed(width: 2) { for a in e.attributes { a.encode(&$0, ctx) } }
        }
    }
}
