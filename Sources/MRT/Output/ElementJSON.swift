public import BGPWire

/// Decodes records into elements and writes them as JSON lines (schema in README.md).
public final class ElementDecoder {
    var extractor = ElementExtractor()
    var scratch: [BGPElement] = []
    let filter: ElementFilter

    public init(filter: ElementFilter = ElementFilter()) { self.filter = filter }

    /// Decodes one record to its elements (filtered); returns the problem, if any.
    public func decode(_ rec: RawRecord, into out: inout [BGPElement]) -> String? {
        let record: MRTRecord
        do { record = try MRTRecord.decode(rec) } catch { return error.description }
        let start = out.count
        let problem = extractor.elements(of: record, into: &out)
        if !filter.isEmpty {
            var i = start
            while i < out.count {
                if matches(out[i]) { i += 1 } else { out.remove(at: i) }
            }
        }
        return problem
    }

    func matches(_ e: BGPElement) -> Bool {
        guard filter.matchesKind(e.kind), filter.matchesPeer(e.peerAddress, e.peerAS) else { return false }
        if let p = e.prefix { if !filter.matchesPrefix(p) { return false } } else if !filter.prefixes.isEmpty { return false }
        if filter.routeOnly {
            guard e.kind == .announcement || e.kind == .rib, filter.matchesOrigin(e.originAS) else { return false }
            if let route = filter.route, let p = e.prefix, !route(p.masked, e.originAS) { return false }
            guard filter.path != nil || !filter.communities.isEmpty else { return true }
            var standard: [UInt32] = [], large: [LargeCommunity] = []
            for a in e.attributes {
                if case let .communities(c) = a { standard += c }
                if case let .largeCommunities(c) = a { large += c }
            }
            return filter.matchesRoute(pathText: e.asPath?.description ?? "", communities: standard, large: large)
        }
        return true
    }

    public func appendJSON(_ rec: RawRecord, into out: inout [UInt8]) -> (Int, String?) {
        scratch.removeAll(keepingCapacity: true)
        let problem = decode(rec, into: &scratch)
        for e in scratch { ElementDecoder.writeJSON(e, &out) }
        return (scratch.count, problem)
    }

    static func key(_ k: StaticString, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        out.appendASCII(k)
        out.appendASCII("\":")
    }

    static func quoted(_ out: inout [UInt8], _ body: (inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "\""))
        body(&out)
        out.append(UInt8(ascii: "\""))
    }

    public static func writeJSON(_ e: BGPElement, _ out: inout [UInt8]) {
        out.appendASCII("{\"type\":\"")
        out.append(contentsOf: e.kind.rawValue.utf8)
        out.appendASCII("\",\"timestamp\":")
        out.appendDecimal(e.timestamp)
        if let us = e.microseconds {
            out.append(UInt8(ascii: "."))
            let s = String(us)
            out.append(contentsOf: String(repeating: "0", count: max(0, 6 - s.count)).utf8)
            out.append(contentsOf: s.utf8)
        }
        key("peer_ip", &out); quoted(&out) { $0.appendAddress(e.peerAddress) }
        key("peer_asn", &out); out.appendDecimal(e.peerAS)
        if let p = e.prefix {
            key("prefix", &out)
            quoted(&out) { $0.appendAddress(p.address); $0.append(UInt8(ascii: "/")); $0.appendDecimal(UInt32(p.length)) }
        }
        if let id = e.pathID { key("path_id", &out); out.appendDecimal(id) }
        if e.kind == .state {
            key("old_state", &out); out.appendDecimal(UInt32(e.oldState ?? 0))
            key("new_state", &out); out.appendDecimal(UInt32(e.newState ?? 0))
        }
        guard e.kind == .announcement || e.kind == .rib else { out.appendASCII("}\n"); return }
        let a = e.attributes
        key("as_path", &out); quoted(&out) { $0.append(contentsOf: (e.asPath?.description ?? "").utf8) }
        key("origin_asn", &out)
        if let o = e.originAS { out.appendDecimal(o) } else { out.appendASCII("null") }
        key("origin", &out); quoted(&out) { $0.append(contentsOf: (a.origin?.name ?? "INCOMPLETE").utf8) }
        key("next_hop", &out)
        if let nh = e.nextHop { quoted(&out) { $0.appendAddress(nh) } } else { out.appendASCII("null") }
        key("local_pref", &out)
        if let v = a.localPref { out.appendDecimal(v) } else { out.appendASCII("null") }
        key("med", &out)
        if let v = a.med { out.appendDecimal(v) } else { out.appendASCII("null") }
        key("communities", &out)
        out.append(UInt8(ascii: "["))
        for (i, c) in a.communities.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            quoted(&out) { $0.appendDecimal(c >> 16); $0.append(UInt8(ascii: ":")); $0.appendDecimal(c & 0xFFFF) }
        }
        out.append(UInt8(ascii: "]"))
        key("large_communities", &out)
        out.append(UInt8(ascii: "["))
        for (i, c) in a.largeCommunities.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            quoted(&out) {
                $0.appendDecimal(c.global); $0.append(UInt8(ascii: ":"))
                $0.appendDecimal(c.local1); $0.append(UInt8(ascii: ":")); $0.appendDecimal(c.local2)
            }
        }
        out.append(UInt8(ascii: "]"))
        key("atomic_aggregate", &out); out.appendASCII(a.atomicAggregate ? "true" : "false")
        key("aggregator", &out)
        if let g = a.aggregator(fourOctetSession: true) {
            quoted(&out) { $0.appendDecimal(g.asn); $0.append(UInt8(ascii: " ")); $0.appendIPv4(g.address) }
        } else { out.appendASCII("null") }
        out.appendASCII("}\n")
    }
}
