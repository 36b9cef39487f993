import BGPWire

/// Writes the lines Debian's `bgpdump -m` (1.6.x) writes, byte for byte, and
/// nothing else: the same fields, the same defaults for missing attributes,
/// the same silence about records it does not print.
///
/// It works on the raw record rather than on the decoded model, because
/// compatibility is about bgpdump's reading of the bytes (see
/// `BgpdumpAttributes`), not about what the RFCs say they mean.
public final class BgpdumpFormatter {
    let attrs = BgpdumpAttributes()
    var peers: [(v6: Bool, hi: UInt64, lo: UInt64, asn: UInt32)]? = nil
    var time: [UInt8] = []
    var fmt: StaticString = "BGP4MP"
    var peerText: [UInt8] = []
    var peerTextW6: [UInt8] = []
    var peerAddress: IPAddress = .v4Zero
    var peerASN: UInt32 = 0
    var addPath = false
    var v4Withdraw: [BDPrefix] = []
    var v4Announce: [BDPrefix] = []
    var lines = 0
    public var filter: ElementFilter
    /// Count the lines without writing them (`vigil dump --count`).
    public let countOnly: Bool

    public init(filter: ElementFilter = ElementFilter(), countOnly: Bool = false) {
        self.filter = filter
        self.countOnly = countOnly
        // Origin filters need the path even when counting.
        attrs.textNeeded = !countOnly || filter.routeOnly
    }

    /// Formats one record; returns the number of lines and the first problem seen, if any.
    public func format(_ rec: RawRecord, into out: inout [UInt8]) -> (lines: Int, problem: String?) {
        lines = 0
        attrs.problem = nil
        var problem: String? = nil
        time.removeAll(keepingCapacity: true)
        time.appendDecimal(rec.header.timestamp)
        switch rec.header.type.rawValue {
        case 16, 17:
            if let us = rec.header.microseconds {
                time.append(UInt8(ascii: "."))
                let start = time.count
                time.appendDecimal(us)
                // %06ld: left-pad to six digits.
                while time.count - start < 6 { time.insert(UInt8(ascii: "0"), at: start) }
            }
            fmt = BgpdumpFormatter.bgp4mpFormat(extended: rec.header.type.rawValue == 17, subtype: rec.header.subtype)
            problem = bgp4mp(rec, &out)
        case 13: problem = tableDumpV2(rec, &out)
        case 12: problem = tableDump(rec, &out)
        case 5: problem = mrtdBGP(rec, &out)
        default: problem = nil  // bgpdump prints nothing for other types
        }
        return (lines, problem ?? attrs.problem)
    }

    // MARK: BGP4MP

    /// bgpdump's `get_bgp4mp_format`: `_LOCAL` for the messages it takes as sent
    /// (subtypes 6 and 7 only: it reads LOCAL_ADDPATH, 10 and 11, as received),
    /// `_AP` for the ADD-PATH subtypes 8-11. State changes are plain.
    static func bgp4mpFormat(extended: Bool, subtype: UInt16) -> StaticString {
        let sent = subtype == 6 || subtype == 7, addPath = (8...11).contains(subtype)
        switch (extended, sent, addPath) {
        case (false, false, false): return "BGP4MP"
        case (false, false, true): return "BGP4MP_AP"
        case (false, true, _): return "BGP4MP_LOCAL"
        case (true, false, false): return "BGP4MP_ET"
        case (true, false, true): return "BGP4MP_ET_AP"
        case (true, true, _): return "BGP4MP_ET_LOCAL"
        }
    }

    func bgp4mp(_ rec: RawRecord, _ out: inout [UInt8]) -> String? {
        var s = MStream(rec.body)
        let sub = rec.header.subtype
        switch sub {
        case 0, 5: return stateChange(&s, asnLen: sub == 5 ? 4 : 2, length: Int(rec.header.length), &out)
        case 1, 4, 6, 7, 8, 9, 10, 11: return message(&s, subtype: sub, &out)
        default: return "BGP4MP subtype \(sub) not supported"
        }
    }

    func stateChange(_ s: inout MStream, asnLen: Int, length: Int, _ out: inout [UInt8]) -> String? {
        let sourceAS = asnLen == 4 ? s.getl() : UInt32(s.getw())
        _ = asnLen == 4 ? s.getl() : UInt32(s.getw())
        var ip = IPAddress.v4Zero
        if length != 8 {
            _ = s.getw()
            let afi = s.getw()
            switch afi {
            case 1:
                guard length == 20 || length == 24 else { return "STATE_CHANGE of bad length \(length)" }
                ip = .v4(s.getIPv4())
                _ = s.getIPv4()
            case 2:
                guard length == 44 || length == 48 else { return "STATE_CHANGE of bad length \(length)" }
                let (h, l) = s.getAddress(16)
                ip = .v6(h, l)
                _ = s.getAddress(16)
            default:
                return "STATE_CHANGE for unknown AFI \(afi) in a record of \(length) bytes"
            }
        }
        let old = s.getw(), new = s.getw()
        guard filter.matchesKind(.state), filter.matchesPeer(ip, sourceAS), filter.prefixes.isEmpty, !filter.routeOnly
        else { return nil }
        lines += 1
        if countOnly { return nil }
        lineStart("STATE", &out)
        out.appendAddress(ip)
        out.append(UInt8(ascii: "|"))
        out.appendDecimal(sourceAS)
        out.append(UInt8(ascii: "|"))
        out.appendDecimal(UInt32(old))
        out.append(UInt8(ascii: "|"))
        out.appendDecimal(UInt32(new))
        out.append(UInt8(ascii: "\n"))
        return nil
    }

    func message(_ s: inout MStream, subtype: UInt16, _ out: inout [UInt8]) -> String? {
        // Local subtypes hold the local side first; bgpdump swaps them back on reading,
        // but prints the far side only for the ones it takes as sent (6, 7: see `bgp4mpFormat`).
        let local = subtype == 6 || subtype == 7 || subtype == 10 || subtype == 11
        let sent = subtype == 6 || subtype == 7
        addPath = subtype >= 8
        let asnLen = (subtype == 4 || subtype == 7 || subtype == 9 || subtype == 11) ? 4 : 2
        let first = asnLen == 4 ? s.getl() : UInt32(s.getw())
        let second = asnLen == 4 ? s.getl() : UInt32(s.getw())
        let (sourceAS, destAS) = local ? (second, first) : (first, second)
        let ifindex = s.getw()
        var afi = s.getw()
        var source = IPAddress.v4Zero, dest = IPAddress.v4Zero
        var markerOK = true
        switch afi {
        case 1:
            let a = s.getIPv4(), b = s.getIPv4()
            (source, dest) = local ? (.v4(b), .v4(a)) : (.v4(a), .v4(b))
            markerOK = s.getAddress(16) == (~0, ~0)
        case 2:
            let (ah, al) = s.getAddress(16), (bh, bl) = s.getAddress(16)
            (source, dest) = local ? (.v6(bh, bl), .v6(ah, al)) : (.v6(ah, al), .v6(bh, bl))
            markerOK = s.getAddress(16) == (~0, ~0)
        case 0xFFFF where ifindex == 0xFFFF:
            // Zebra wrote OPENs without interface and addresses: the "AFI" was the marker.
            afi = 1
            let (h, l) = s.getAddress(12)
            markerOK = h == ~0 && (l >> 32) == 0xFFFF_FFFF
        default:
            return "BGP4MP message for unsupported AFI \(afi)"
        }
        guard markerOK else { return "BGP message marker is not all ones" }
        let size = Int(s.getw())
        var m = s.copy(size - 18)
        let type = m.getc()
        switch type {
        case 2: break
        case 1, 3, 4, 5, 128: return nil  // OPEN, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH: no -m line
        default: return "unknown BGP message type \(type)"
        }
        // The peer is the far side: the source of received messages, the destination of sent ones.
        let peer = sent ? dest : source
        peerASN = sent ? destAS : sourceAS
        peerAddress = peer
        peerText.removeAll(keepingCapacity: true)
        peerText.appendAddress(peer)
        peerTextW6.removeAll(keepingCapacity: true)
        if afi == 1 && sent, case let .v4(a) = peer {
            // bgpdump formats this one case's IPv4 address as IPv6.
            peerTextW6.appendIPv6(UInt64(a) << 32, 0)
        } else {
            peerTextW6.append(contentsOf: peerText)
        }
        guard filter.matchesPeer(peer, peerASN) else { return nil }
        update(&m, asnLen: asnLen, &out)
        return nil
    }

    func update(_ m: inout MStream, asnLen: Int, _ out: inout [UInt8]) {
        v4Withdraw.removeAll(keepingCapacity: true)
        v4Announce.removeAll(keepingCapacity: true)
        var ws = m.copy(Int(m.getw()))
        attrs.readPrefixes(&ws, addPath: addPath, into: &v4Withdraw)
        attrs.parse(&m, asnLen: asnLen, addPath: addPath)
        attrs.readPrefixes(&m, addPath: addPath, into: &v4Announce)

        if !v4Withdraw.isEmpty || attrs.has(15) {
            for p in v4Withdraw { withdrawLine(p, v6: false, &out) }
            for safi in 1...3 where attrs.withdraw[BgpdumpAttributes.slot(1, safi)].present {
                for p in attrs.withdraw[BgpdumpAttributes.slot(1, safi)].prefixes { withdrawLine(p, v6: false, &out) }
            }
            for safi in 1...3 where attrs.withdraw[BgpdumpAttributes.slot(2, safi)].present {
                for p in attrs.withdraw[BgpdumpAttributes.slot(2, safi)].prefixes { withdrawLine(p, v6: true, &out) }
            }
        }
        if !v4Announce.isEmpty || attrs.has(14) {
            for p in v4Announce { announceLine(p, v6: false, slot: nil, &out) }
            for afi in 1...2 {
                for safi in 1...3 {
                    let i = BgpdumpAttributes.slot(afi, safi)
                    guard attrs.announce[i].present else { continue }
                    for p in attrs.announce[i].prefixes { announceLine(p, v6: afi == 2, slot: i, &out) }
                }
            }
        }
    }

    @inline(__always)
    func prefixMatches(_ p: BDPrefix, v6: Bool) -> Bool {
        if filter.prefixes.isEmpty { return true }
        let len = min(p.len, v6 ? 128 : 32)
        return filter.matchesPrefix(Prefix(address: v6 ? .v6(p.hi, p.lo) : .v4(p.v4), length: len))
    }

    /// The origin, path, community and route filters on the route being printed (its attributes parsed).
    func routeMatches(_ p: BDPrefix, v6: Bool) -> Bool {
        guard filter.matchesOrigin(attrs.originAS) else { return false }
        if let route = filter.route, !route(Prefix(address: v6 ? .v6(p.hi, p.lo) : .v4(p.v4), length: min(p.len, v6 ? 128 : 32)), attrs.originAS) {
            return false
        }
        guard filter.path != nil || !filter.communities.isEmpty else { return true }
        return filter.matchesRoute(pathText: attrs.hasASPath ? String(decoding: attrs.asPathText, as: UTF8.self) : "",
                                   communities: attrs.has(8) ? attrs.communityValues : [])
    }

    func withdrawLine(_ p: BDPrefix, v6: Bool, _ out: inout [UInt8]) {
        guard filter.matchesKind(.withdrawal), !filter.routeOnly, prefixMatches(p, v6: v6) else { return }
        lines += 1
        if countOnly { return }
        lineStart("W", &out)
        out.append(contentsOf: v6 ? peerTextW6 : peerText)
        out.append(UInt8(ascii: "|"))
        out.appendDecimal(peerASN)
        out.append(UInt8(ascii: "|"))
        appendPrefix(p, v6: v6, &out)
        if addPath {
            out.append(UInt8(ascii: "|"))
            out.appendDecimal(p.pathID)
        }
        out.append(UInt8(ascii: "\n"))
    }

    func announceLine(_ p: BDPrefix, v6: Bool, slot: Int?, _ out: inout [UInt8]) {
        guard filter.matchesKind(.announcement), routeMatches(p, v6: v6), prefixMatches(p, v6: v6) else { return }
        lines += 1
        if countOnly { return }
        lineStart("A", &out)
        out.append(contentsOf: peerText)
        out.append(UInt8(ascii: "|"))
        out.appendDecimal(peerASN)
        out.append(UInt8(ascii: "|"))
        appendPrefix(p, v6: v6, &out)
        out.append(UInt8(ascii: "|"))
        if addPath {
            out.appendDecimal(p.pathID)
            out.append(UInt8(ascii: "|"))
        }
        let pref = attrs.has(5) ? attrs.localPref : 0
        let med = attrs.has(4) ? attrs.med : 0
        if let i = slot {
            let nh = attrs.announce[i]
            let known = nh.nexthopLen == 4 || nh.nexthopLen == 16 || nh.nexthopLen == 32
            if known {
                pathAndOrigin(&out)
                if nh.nexthopLen == 4 { out.appendIPv4(UInt32(truncatingIfNeeded: nh.nexthop.0 >> 32)) }
                else { out.appendIPv6(nh.nexthop.0, nh.nexthop.1) }
                out.append(UInt8(ascii: "|"))
                if v6 {
                    out.appendDecimal(pref); out.append(UInt8(ascii: "|"))
                    out.appendDecimal(med); out.append(UInt8(ascii: "|"))
                } else {
                    // bgpdump prints these two with %d for MP IPv4 routes.
                    out.appendDecimal64(Int64(Int32(bitPattern: pref))); out.append(UInt8(ascii: "|"))
                    out.appendDecimal64(Int64(Int32(bitPattern: med))); out.append(UInt8(ascii: "|"))
                }
            } else if !v6 {
                // MP IPv4 with an odd next hop length: path and origin, then nothing for the next hop.
                pathAndOrigin(&out)
            }
        } else {
            pathAndOrigin(&out)
            out.appendIPv4(attrs.nexthop); out.append(UInt8(ascii: "|"))
            out.appendDecimal(pref); out.append(UInt8(ascii: "|"))
            out.appendDecimal(med); out.append(UInt8(ascii: "|"))
        }
        tail(&out)
    }

    // MARK: pieces shared by the line kinds

    @inline(__always)
    func lineStart(_ kind: StaticString, _ out: inout [UInt8]) {
        out.appendASCII(fmt)
        out.append(UInt8(ascii: "|"))
        out.append(contentsOf: time)
        out.append(UInt8(ascii: "|"))
        out.appendASCII(kind)
        out.append(UInt8(ascii: "|"))
    }

    @inline(__always)
    func appendPrefix(_ p: BDPrefix, v6: Bool, _ out: inout [UInt8]) {
        if v6 { out.appendIPv6(p.hi, p.lo) } else { out.appendIPv4(p.v4) }
        out.append(UInt8(ascii: "/"))
        out.appendDecimal(UInt32(p.len))
    }

    @inline(__always)
    func pathAndOrigin(_ out: inout [UInt8]) {
        if attrs.hasASPath && attrs.has(2) { out.append(contentsOf: attrs.asPathText) }
        out.append(UInt8(ascii: "|"))
        out.appendASCII(attrs.origin == 0 ? "IGP" : attrs.origin == 1 ? "EGP" : "INCOMPLETE")
        out.append(UInt8(ascii: "|"))
    }

    /// Communities, atomic aggregate, aggregator, end of line.
    @inline(__always)
    func tail(_ out: inout [UInt8]) {
        if attrs.has(8) && attrs.communityText.count > 1 { out.append(contentsOf: attrs.communityText[1...]) }
        out.append(UInt8(ascii: "|"))
        out.appendASCII(attrs.has(6) ? "AG|" : "NAG|")
        if attrs.aggregatorAddr != 0xFFFF_FFFF {
            out.appendDecimal(attrs.aggregatorAS)
            out.append(UInt8(ascii: " "))
            out.appendIPv4(attrs.aggregatorAddr)
        }
        out.appendASCII("|\n")
    }
}
