public import BGPWire
public import MRT

/// An archived BGP4MP UPDATE (or session state) as RIS Live streams it: `raw` the BGP message in hex, the JSON path
/// as RIS writes it (AS sets in brackets). What the tests' RIS Live stand-in sends, and the
/// benchmark's stream: real updates, in the stream's form.
public enum RISMessageText {
    /// The message for one record and its elements (as `ElementExtractor` gives them), or nil if it is neither a BGP4MP UPDATE nor a session going up or down.
    /// A STATE_CHANGE into the session established or ended becomes RIS_PEER_STATE "connected" or "down".
    public static func message(_ rec: RawRecord, _ decoded: MRTRecord, elements: [BGPElement], host: String) -> String? {
        if case let .stateChange(c) = decoded.body {
            guard (c.newState == 6) != (c.oldState == 6) else { return nil }
            return """
                {"type":"ris_message","data":{"timestamp":\(rec.header.timestamp).0,"peer":"\(c.peering.peerAddress)","peer_asn":"\(c.peering.peerAS)",\
                "id":"x","host":"\(host)","type":"RIS_PEER_STATE","state":"\(c.newState == 6 ? "connected" : "down")"}}
                """
        }
        guard rec.header.type == .bgp4mp || rec.header.type == .bgp4mpET, rec.header.subtype == 1 || rec.header.subtype == 4,
              case let .message(m) = decoded.body, case .update = m.message else {
            return nil
        }
        // After the peer and local AS (2 or 4 bytes each), the interface index, the AFI and both addresses: the BGP message.
        let at = (rec.header.type == .bgp4mpET ? 4 : 0) + (m.fourOctetAS ? 8 : 4) + 4 + (m.peering.peerAddress.isIPv6 ? 32 : 8)
        guard rec.body.count > at else { return nil }
        let digits = Array("0123456789ABCDEF".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(2 * (rec.body.count - at))
        for b in rec.body[at...] { hex += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
        let path = elements.first { $0.kind == .announcement }?.asPath.map { p in
            p.segments.map { s in s.kind == .set ? "[\(s.asns.map(String.init).joined(separator: ","))]" : s.asns.map(String.init).joined(separator: ",") }
                .filter { !$0.isEmpty }.joined(separator: ",")
        } ?? ""
        return """
            {"type":"ris_message","data":{"timestamp":\(rec.header.timestamp).0,"peer":"\(m.peering.peerAddress)","peer_asn":"\(m.peering.peerAS)",\
            "id":"x","host":"\(host)","type":"UPDATE","path":[\(path)],"raw":"\(String(decoding: hex, as: UTF8.self))"}}
            """
    }
}
