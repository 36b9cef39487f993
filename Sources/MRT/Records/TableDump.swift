public import BGPWire

/// TABLE_DUMP (RFC 6396 §4.2): one route per record, 2-octet AS numbers.
/// Subtypes 3 and 4 are the 4-octet-AS variants some tools (bgpdump) accept.
public struct TableDumpEntry: Hashable, Sendable {
    public var subtype: UInt16
    public var viewNumber: UInt16
    public var sequence: UInt16
    public var prefix: Prefix
    public var status: UInt8
    public var originated: UInt32
    public var peerAddress: IPAddress
    public var peerAS: UInt32
    public var attributes: [PathAttribute]

    public init(subtype: UInt16 = 1, viewNumber: UInt16 = 0, sequence: UInt16, prefix: Prefix, status: UInt8 = 1,
                originated: UInt32, peerAddress: IPAddress, peerAS: UInt32, attributes: [PathAttribute]) {
        self.subtype = subtype
        self.viewNumber = viewNumber
        self.sequence = sequence
        self.prefix = prefix
        self.status = status
        self.originated = originated
        self.peerAddress = peerAddress
        self.peerAS = peerAS
        self.attributes = attributes
    }

    var isIPv6: Bool { subtype == 2 || subtype == 4 }
    var fourOctetAS: Bool { subtype >= 3 }
    var context: AttributeContext {
        AttributeContext(options: SessionOptions(fourOctetAS: fourOctetAS),
                         abbreviatedMPReach: isIPv6 ? .ipv6Unicast : .ipv4Unicast)
    }

    static func decode(_ r: inout ByteReader, subtype: UInt16) throws(WireError) -> TableDumpEntry {
        let v6 = subtype == 2 || subtype == 4
        let view = try r.readU16("view number"), seq = try r.readU16("sequence number")
        let addr = try IPAddress.read(&r, v6: v6)
        let len = try r.readU8("prefix length")
        guard Int(len) <= addr.bitWidth else {
            throw WireError(invalid: "prefix length \(len)", field: "TABLE_DUMP prefix", at: r.position - 1)
        }
        let status = try r.readU8("status"), originated = try r.readU32("originated time")
        let peer = try IPAddress.read(&r, v6: v6)
        let peerAS = subtype >= 3 ? try r.readU32("peer AS") : UInt32(try r.readU16("peer AS"))
        var e = TableDumpEntry(subtype: subtype, viewNumber: view, sequence: seq, prefix: Prefix(address: addr, length: len),
                               status: status, originated: originated, peerAddress: peer, peerAS: peerAS, attributes: [])
        var a = try r.readSlice(Int(try r.readU16("attribute length")), "attributes")
        e.attributes = try PathAttribute.decodeAll(&a, e.context)
        return e
    }

    func encode(_ w: inout ByteWriter) {
        w.u16(viewNumber); w.u16(sequence)
        prefix.address.write(&w)
        w.u8(prefix.length); w.u8(status); w.u32(originated)
        peerAddress.write(&w)
        if fourOctetAS { w.u32(peerAS) } else { w.u16(UInt16(truncatingIfNeeded: peerAS)) }
        let ctx = context
        w.lengthPrefixed(width: 2) { for a in attributes { a.encode(&$0, ctx) } }
    }
}
