/// UPDATE (RFC 4271 §4.3).
///
///     +-----------------------------------------------------+
///     |   Withdrawn Routes Length (2 octets)                |
///     |   Withdrawn Routes (variable)                       |
///     |   Total Path Attribute Length (2 octets)            |
///     |   Path Attributes (variable)                        |
///     |   Network Layer Reachability Information (variable) |
///     +-----------------------------------------------------+
public struct Update: Hashable, Sendable {
    public var withdrawn: [NLRI]
    public var attributes: [PathAttribute]
    public var nlri: [NLRI]

    public init(withdrawn: [NLRI] = [], attributes: [PathAttribute] = [], nlri: [NLRI] = []) {
        self.withdrawn = withdrawn
        self.attributes = attributes
        self.nlri = nlri
    }

    public static func decode(_ r: inout ByteReader, options: SessionOptions) throws(WireError) -> Update {
        let addPath4 = options.hasAddPath(.ipv4Unicast)
        var wr = try r.readSlice(Int(try r.readU16("withdrawn routes length")), "withdrawn routes")
        let withdrawn = try NLRI.readList(&wr, v6: false, addPath: addPath4)
        var ar = try r.readSlice(Int(try r.readU16("path attribute length")), "path attributes")
        let attributes = try PathAttribute.decodeAll(&ar, AttributeContext(options: options))
        let nlri = try NLRI.readList(&r, v6: false, addPath: addPath4)
        return Update(withdrawn: withdrawn, attributes: attributes, nlri: nlri)
    }

    public func encode(_ w: inout ByteWriter, options: SessionOptions) {
        w.lengthPrefixed(width: 2) { NLRI.writeList(withdrawn, &$0) }
        w.lengthPrefixed(width: 2) { for a in attributes { a.encode(&$0, AttributeContext(options: options)) } }
        NLRI.writeList(nlri, &w)
    }

    /// True for the End-of-RIB marker (RFC 4724 §2): an empty UPDATE, or one
    /// holding only an empty MP_UNREACH_NLRI.
    public var isEndOfRIB: Bool {
        guard withdrawn.isEmpty, nlri.isEmpty else { return false }
        if attributes.isEmpty { return true }
        if attributes.count == 1, case let .mpUnreach(m) = attributes[0] { return m.withdrawn.isEmpty }
        return false
    }
}
