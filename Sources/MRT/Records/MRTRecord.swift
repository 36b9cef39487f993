public import BGPWire

/// A decoded MRT record (RFC 6396): its time and its typed body.
public struct MRTRecord: Hashable, Sendable {
    public var timestamp: UInt32
    /// Set for BGP4MP_ET records (RFC 6396 §3).
    public var microseconds: UInt32?
    public var body: MRTBody

    public init(timestamp: UInt32, microseconds: UInt32? = nil, body: MRTBody) {
        self.timestamp = timestamp
        self.microseconds = microseconds
        self.body = body
    }
}

public enum MRTBody: Hashable, Sendable {
    /// TABLE_DUMP (RFC 6396 §4.2).
    case tableDump(TableDumpEntry)
    /// TABLE_DUMP_V2 PEER_INDEX_TABLE (§4.3.1).
    case peerIndexTable(PeerIndexTable)
    /// TABLE_DUMP_V2 RIB subtypes, with ADD-PATH ones of RFC 8050 (§4.3.2–4.3.3).
    case rib(RIBRecord)
    /// BGP4MP STATE_CHANGE and STATE_CHANGE_AS4 (§4.4.1, §4.4.5).
    case stateChange(StateChange)
    /// BGP4MP MESSAGE and its AS4, LOCAL and ADD-PATH variants (§4.4.2–4.4.7, RFC 8050).
    case message(BGP4MPMessage)
    /// A type or subtype Vigil does not decode, kept as its bytes.
    case unknown(type: MRTType, subtype: UInt16, body: [UInt8])
}

/// Decoded records are turned into elements with the session options implied
/// by the record's subtype, so callers never guess ASN widths.
extension MRTRecord {
    /// Decodes a framed record. Throws when the body does not match its
    /// declared type; unknown types come back as `.unknown`.
    public static func decode(_ raw: RawRecord) throws(WireError) -> MRTRecord {
        var r = ByteReader(raw.body, base: raw.offset + 12 + (raw.header.microseconds == nil ? 0 : 4))
        let h = raw.header
        let body: MRTBody
        switch (h.type.rawValue, h.subtype) {
        case (12, 1...4):
            body = .tableDump(try TableDumpEntry.decode(&r, subtype: h.subtype))
        case (13, 1):
            body = .peerIndexTable(try PeerIndexTable.decode(&r))
        case (13, 2...12) where h.subtype != 7:
            body = .rib(try RIBRecord.decode(&r, subtype: h.subtype))
        case (16, 0), (16, 5), (17, 0), (17, 5):
            body = .stateChange(try StateChange.decode(&r, fourOctetAS: h.subtype == 5))
        case (16, 1), (16, 4), (16, 6...11), (17, 1), (17, 4), (17, 6...11):
            body = .message(try BGP4MPMessage.decode(&r, subtype: h.subtype))
        default:
            body = .unknown(type: h.type, subtype: h.subtype, body: Array(raw.body))
            try r.skip(r.remaining)
        }
        try r.expectEnd("MRT record body")
        return MRTRecord(timestamp: h.timestamp, microseconds: h.microseconds, body: body)
    }

    public var type: MRTType {
        switch body {
        case .tableDump: return .tableDump
        case .peerIndexTable, .rib: return .tableDumpV2
        case .stateChange, .message: return microseconds == nil ? .bgp4mp : .bgp4mpET
        case let .unknown(t, _, _): return t
        }
    }

    public var subtype: UInt16 {
        switch body {
        case let .tableDump(t): return t.subtype
        case .peerIndexTable: return 1
        case let .rib(r): return r.subtype
        case let .stateChange(s): return s.fourOctetAS ? 5 : 0
        case let .message(m): return m.subtype
        case let .unknown(_, s, _): return s
        }
    }

    /// The record with its MRT header, ready to write.
    public func encode() -> [UInt8] {
        var b = ByteWriter(capacity: 128)
        switch body {
        case let .tableDump(t): t.encode(&b)
        case let .peerIndexTable(p): p.encode(&b)
        case let .rib(r): r.encode(&b)
        case let .stateChange(s): s.encode(&b)
        case let .message(m): m.encode(&b)
        case let .unknown(_, _, bytes): b.append(bytes)
        }
        var w = ByteWriter(capacity: b.count + 16)
        w.u32(timestamp)
        w.u16(type.rawValue)
        w.u16(subtype)
        if type.hasExtendedTimestamp {
            w.u32(UInt32(b.count + 4))
            w.u32(microseconds ?? 0)
        } else {
            w.u32(UInt32(b.count))
        }
        w.append(b.bytes)
        return w.bytes
    }
}
