import BGPWire

/// RIB dumps (TABLE_DUMP, TABLE_DUMP_V2) and the ancient MRTD BGP type, as bgpdump -m prints them.
extension BgpdumpFormatter {
    func tableDumpV2(_ rec: RawRecord, _ out: inout [UInt8]) -> String? {
        var s = MStream(rec.body)
        switch rec.header.subtype {
        case 1:
            peerIndexTable(&s)
            return nil
        case 2, 8: return ribEntries(&s, v6: false, addPath: rec.header.subtype == 8, &out)
        case 4, 10: return ribEntries(&s, v6: true, addPath: rec.header.subtype == 10, &out)
        default: return nil  // multicast and RIB_GENERIC: bgpdump prints nothing
        }
    }

    func peerIndexTable(_ s: inout MStream) {
        _ = s.getIPv4()
        let nameLength = Int(s.getw())
        // bgpdump ignores (and does not skip) a view name of 255 bytes or more.
        if nameLength + 1 <= 255 { s.skip(nameLength) }
        let count = Int(s.getw())
        var table: [(v6: Bool, hi: UInt64, lo: UInt64, asn: UInt32)] = []
        table.reserveCapacity(count)
        for _ in 0..<count {
            let type = s.getc()
            let v6 = type & 1 != 0
            _ = s.getIPv4()
            let (hi, lo) = v6 ? s.getAddress(16) : (UInt64(s.getIPv4()) << 32, 0)
            let asn = type & 2 != 0 ? s.getl() : UInt32(s.getw())
            table.append((v6, hi, lo, asn))
        }
        peers = table
    }

    func ribEntries(_ s: inout MStream, v6: Bool, addPath: Bool, _ out: inout [UInt8]) -> String? {
        _ = s.getl()
        let bits = s.getc()
        let (hi, lo) = s.getAddress((Int(bits) + 7) / 8)
        let prefix = BDPrefix(hi: hi, lo: lo, len: bits, pathID: 0)
        let count = Int(s.getw())
        guard count == 0 || peers != nil else { return "RIB entry before any PEER_INDEX_TABLE" }
        let prefixOK = prefixMatches(prefix, v6: v6)
        for _ in 0..<count {
            let index = Int(s.getw())
            guard let table = peers, index < table.count else {
                return "peer index \(index) out of range (table has \(peers?.count ?? 0) peers)"
            }
            _ = s.getl()
            let pathID = addPath ? s.getl() : 0
            attrs.parse(&s, asnLen: 4, addPath: addPath)
            let peer = table[index]
            let peerIP: IPAddress = peer.v6 ? .v6(peer.hi, peer.lo) : .v4(UInt32(truncatingIfNeeded: peer.hi >> 32))
            guard prefixOK, filter.matchesKind(.rib), filter.matchesPeer(peerIP, peer.asn), routeMatches(prefix, v6: v6) else { continue }
            lines += 1
            if countOnly { continue }
            out.appendASCII(addPath ? "TABLE_DUMP2_AP|" : "TABLE_DUMP2|")
            out.append(contentsOf: time)
            out.appendASCII("|B|")
            out.appendAddress(peerIP)
            out.append(UInt8(ascii: "|"))
            out.appendDecimal(peer.asn)
            out.append(UInt8(ascii: "|"))
            appendPrefix(prefix, v6: v6, &out)
            out.append(UInt8(ascii: "|"))
            if addPath {
                out.appendDecimal(pathID)
                out.append(UInt8(ascii: "|"))
            }
            if attrs.hasASPath { out.append(contentsOf: attrs.asPathText) }
            out.append(UInt8(ascii: "|"))
            out.appendASCII(attrs.origin == 0 ? "IGP|" : attrs.origin == 1 ? "EGP|" : "INCOMPLETE|")
            let v6Slot = BgpdumpAttributes.slot(2, 1), v4Slot = BgpdumpAttributes.slot(1, 1)
            if attrs.has(14) && (attrs.announce[v6Slot].present || attrs.announce[v4Slot].present) {
                let nh = attrs.announce[attrs.announce[v6Slot].present ? v6Slot : v4Slot]
                if nh.nexthopLen == 4 { out.appendIPv4(UInt32(truncatingIfNeeded: nh.nexthop.0 >> 32)) }
                else if nh.nexthopLen == 16 || nh.nexthopLen == 32 { out.appendIPv6(nh.nexthop.0, nh.nexthop.1) }
            } else {
                out.appendIPv4(attrs.nexthop)
            }
            out.append(UInt8(ascii: "|"))
            out.appendDecimal(attrs.has(5) ? attrs.localPref : 0)
            out.append(UInt8(ascii: "|"))
            out.appendDecimal(attrs.has(4) ? attrs.med : 0)
            out.append(UInt8(ascii: "|"))
            tail(&out)
        }
        return nil
    }

    func tableDump(_ rec: RawRecord, _ out: inout [UInt8]) -> String? {
        var s = MStream(rec.body)
        let sub = rec.header.subtype
        guard (1...4).contains(sub) else { return "TABLE_DUMP for unknown AFI \(sub)" }
        let wide = sub == 2 || sub == 4
        _ = s.getw(); _ = s.getw()
        let (ph, pl) = wide ? s.getAddress(16) : (UInt64(s.getIPv4()) << 32, 0)
        let mask = s.getc()
        _ = s.getc(); _ = s.getl()
        let (rh, rl) = wide ? s.getAddress(16) : (UInt64(s.getIPv4()) << 32, 0)
        let peerAS = sub >= 3 ? s.getl() : UInt32(s.getw())
        attrs.parse(&s, asnLen: sub >= 3 ? 4 : 2, addPath: false)
        // bgpdump tests `subtype == AFI_IP6`, so the 32-bit-AS IPv6 subtype prints as IPv4.
        let v6 = sub == 2
        let peerIP: IPAddress = v6 ? .v6(rh, rl) : .v4(UInt32(truncatingIfNeeded: rh >> 32))
        let prefix = BDPrefix(hi: ph, lo: pl, len: mask, pathID: 0)
        guard filter.matchesKind(.rib), filter.matchesPeer(peerIP, peerAS), routeMatches(prefix, v6: v6),
              prefixMatches(prefix, v6: v6) else { return nil }
        lines += 1
        if countOnly { return nil }
        out.appendASCII("TABLE_DUMP|")
        out.append(contentsOf: time)
        out.appendASCII("|B|")
        out.appendAddress(peerIP)
        out.append(UInt8(ascii: "|"))
        out.appendDecimal(peerAS)
        out.append(UInt8(ascii: "|"))
        appendPrefix(prefix, v6: v6, &out)
        out.append(UInt8(ascii: "|"))
        pathAndOrigin(&out)
        let v6Slot = BgpdumpAttributes.slot(2, 1)
        if attrs.has(14) && attrs.announce[v6Slot].present {
            out.appendIPv6(attrs.announce[v6Slot].nexthop.0, attrs.announce[v6Slot].nexthop.1)
        } else {
            out.appendIPv4(attrs.nexthop)
        }
        out.append(UInt8(ascii: "|"))
        out.appendDecimal(attrs.has(5) ? attrs.localPref : 0)
        out.append(UInt8(ascii: "|"))
        out.appendDecimal(attrs.has(4) ? attrs.med : 0)
        out.append(UInt8(ascii: "|"))
        tail(&out)
        return nil
    }

    /// The pre-BGP4MP `BGP` type (MRT type 5) that old route-server archives hold.
    func mrtdBGP(_ rec: RawRecord, _ out: inout [UInt8]) -> String? {
        var s = MStream(rec.body)
        fmt = "BGP"
        switch rec.header.subtype {
        case 1, 7:
            let srcAS = UInt32(s.getw()), srcIP = s.getIPv4()
            _ = s.getw(); _ = s.getIPv4()
            peerAddress = .v4(srcIP)
            peerASN = srcAS
            v4Withdraw.removeAll(keepingCapacity: true)
            v4Announce.removeAll(keepingCapacity: true)
            var ws = s.copy(Int(s.getw()))
            attrs.readPrefixes(&ws, addPath: false, into: &v4Withdraw)
            attrs.parse(&s, asnLen: 2, addPath: false)
            attrs.readPrefixes(&s, addPath: false, into: &v4Announce)
            guard rec.header.subtype == 1, filter.matchesPeer(peerAddress, srcAS) else { return nil }
            peerText.removeAll(keepingCapacity: true)
            peerText.appendIPv4(srcIP)
            addPath = false
            for p in v4Withdraw { withdrawLine(p, v6: false, &out) }
            for p in v4Announce {
                guard filter.matchesKind(.announcement), routeMatches(p, v6: false), prefixMatches(p, v6: false)
                else { continue }
                lines += 1
                if countOnly { continue }
                lineStart("A", &out)
                out.append(contentsOf: peerText)
                out.append(UInt8(ascii: "|"))
                out.appendDecimal(srcAS)
                out.append(UInt8(ascii: "|"))
                appendPrefix(p, v6: false, &out)
                out.append(UInt8(ascii: "|"))
                if attrs.hasASPath && attrs.has(2) { out.append(contentsOf: attrs.asPathText) }
                out.append(UInt8(ascii: "|"))
                out.appendASCII(attrs.origin == 0 ? "IGP|" : attrs.origin == 1 ? "EGP|" : "INCOMPLETE|")
                out.appendIPv4(attrs.nexthop)
                out.append(UInt8(ascii: "|"))
                out.appendDecimal(attrs.has(5) ? attrs.localPref : 0)
                out.append(UInt8(ascii: "|"))
                out.appendDecimal(attrs.has(4) ? attrs.med : 0)
                // bgpdump puts no separator between MED and the communities here.
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
            return nil
        case 3:
            let asn = UInt32(s.getw()), ip = s.getIPv4()
            let old = s.getw(), new = s.getw()
            guard filter.matchesKind(.state), filter.matchesPeer(.v4(ip), asn), filter.prefixes.isEmpty,
                  !filter.routeOnly else { return nil }
            lines += 1
            if countOnly { return nil }
            lineStart("STATE", &out)
            out.appendIPv4(ip)
            out.append(UInt8(ascii: "|"))
            out.appendDecimal(asn)
            out.append(UInt8(ascii: "|"))
            out.appendDecimal(UInt32(old))
            out.append(UInt8(ascii: "|"))
            out.appendDecimal(UInt32(new))
            out.append(UInt8(ascii: "\n"))
            return nil
        default:
            return nil
        }
    }
}
