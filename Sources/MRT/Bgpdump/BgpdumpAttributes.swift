import BGPWire

/// One prefix as bgpdump holds it: up to 16 address bytes, the length byte as sent, a path id.
struct BDPrefix {
    var hi: UInt64
    var lo: UInt64
    var len: UInt8
    var pathID: UInt32

    var v4: UInt32 { UInt32(truncatingIfNeeded: hi >> 32) }
}

/// An MP_REACH/MP_UNREACH slot per (AFI, SAFI), as in bgpdump's `mp_info`.
struct BDMPSlot {
    var present = false
    var nexthopLen: UInt8 = 0
    var nexthop: (UInt64, UInt64) = (0, 0)
    var prefixes: [BDPrefix] = []
}

/// A path attribute block interpreted exactly as libbgpdump 1.6 does
/// (`process_attributes` and friends), including its quirks: defaults of
/// 255.255.255.255 for a missing NEXT_HOP, its own AS4_PATH merge, its AS path
/// text. Buffers are reused from record to record, so formatting allocates nothing.
final class BgpdumpAttributes {
    var flags: UInt32 = 0
    var origin: Int = -1
    var nexthop: UInt32 = 0xFFFF_FFFF
    var med: UInt32 = 0
    var localPref: UInt32 = 0
    var aggregatorAS: UInt32 = 0xFFFF_FFFF
    var aggregatorAddr: UInt32 = 0xFFFF_FFFF
    var newAggregatorAS: UInt32 = 0xFFFF_FFFF
    var newAggregatorAddr: UInt32 = 0xFFFF_FFFF
    var hasASPath = false
    var asPathText: [UInt8] = []
    var asPathCount = 0
    var asPathRaw: [UInt8] = []
    var asPathASNLen = 2
    var hasNewASPath = false
    var newASPathRaw: [UInt8] = []
    var newASPathCount = 0
    var communityText: [UInt8] = []
    /// The standard communities themselves (for `--community`).
    var communityValues: [UInt32] = []
    var scratch: [UInt8] = []
    /// Origin AS of the final path, for filters: nil when the path ends in a set or is empty.
    var originAS: UInt32? = nil
    var announce = [BDMPSlot](repeating: BDMPSlot(), count: 12)
    var withdraw = [BDMPSlot](repeating: BDMPSlot(), count: 12)
    var announceUsed: [Int] = []
    var withdrawUsed: [Int] = []
    /// The first thing found wrong, for the error report.
    var problem: String? = nil
    /// Skip building text (for counting): only what decides the lines is parsed.
    var textNeeded = true

    @inline(__always) static func bit(_ type: Int) -> UInt32 { 1 << UInt32(type - 1) }
    @inline(__always) func has(_ type: Int) -> Bool { flags & BgpdumpAttributes.bit(type) != 0 }
    @inline(__always) static func slot(_ afi: Int, _ safi: Int) -> Int { afi * 4 + safi }

    func reset() {
        flags = 0
        origin = -1
        nexthop = 0xFFFF_FFFF
        aggregatorAS = 0xFFFF_FFFF
        aggregatorAddr = 0xFFFF_FFFF
        newAggregatorAS = 0xFFFF_FFFF
        newAggregatorAddr = 0xFFFF_FFFF
        hasASPath = false
        hasNewASPath = false
        asPathCount = 0
        originAS = nil
        for i in announceUsed { announce[i].present = false; announce[i].prefixes.removeAll(keepingCapacity: true) }
        for i in withdrawUsed { withdraw[i].present = false; withdraw[i].prefixes.removeAll(keepingCapacity: true) }
        announceUsed.removeAll(keepingCapacity: true)
        withdrawUsed.removeAll(keepingCapacity: true)
        problem = nil
    }

    func note(_ p: String) { if problem == nil { problem = p } }

    /// `process_attributes`: a 2-byte total length, then attributes until the block ends.
    func parse(_ s: inout MStream, asnLen: Int, addPath: Bool) {
        reset()
        let total = Int(s.getw())
        var block = s.copy(total)
        if block.canRead != total { note("attribute block truncated: \(total) bytes declared, \(block.canRead) present") }
        while block.canRead > 0 { parseOne(&block, asnLen: asnLen, addPath: addPath) }
        as4Transition(asnLen: asnLen)
    }

    func parseOne(_ outer: inout MStream, asnLen: Int, addPath: Bool) {
        let flag = outer.getc()
        let type = Int(outer.getc())
        let len = (flag & 0x10) != 0 ? Int(outer.getw()) : Int(outer.getc())
        var s = outer.copy(len)
        if s.canRead != len {
            note("attribute type \(type) truncated: \(len) bytes declared, \(s.canRead) present")
            return
        }
        if type >= 1 && type <= 32 { flags |= BgpdumpAttributes.bit(type) }
        switch type {
        case 14: mpAnnounce(&s, addPath: addPath)
        case 15: mpWithdraw(&s, addPath: addPath)
        case 1: origin = Int(s.getc())
        case 2:
            hasASPath = true
            asPathASNLen = asnLen
            copyBytes(s, into: &asPathRaw)
            if textNeeded { asPathCount = BgpdumpAttributes.pathText(asPathRaw, asnLen: asnLen, into: &asPathText, origin: &originAS) }
            else { asPathCount = BgpdumpAttributes.pathCount(asPathRaw, asnLen: asnLen) }
        case 3: nexthop = s.getIPv4()
        case 4: med = s.getl()
        case 5: localPref = s.getl()
        case 6: break
        case 7:
            aggregatorAS = asnLen == 4 ? s.getl() : UInt32(s.getw())
            aggregatorAddr = s.getIPv4()
        case 8: if textNeeded { communities(s, len: len) }
        case 17:
            hasNewASPath = true
            copyBytes(s, into: &newASPathRaw)
            var ignored: UInt32? = nil
            newASPathCount = textNeeded ? BgpdumpAttributes.pathText(newASPathRaw, asnLen: 4, into: &scratch, origin: &ignored)
                                        : BgpdumpAttributes.pathCount(newASPathRaw, asnLen: 4)
        case 18:
            newAggregatorAS = s.getl()
            newAggregatorAddr = s.getIPv4()
        default: break
        }
    }

    func copyBytes(_ s: MStream, into a: inout [UInt8]) {
        a.removeAll(keepingCapacity: true)
        if s.len > 0 { a.append(contentsOf: UnsafeRawBufferPointer(start: s.base, count: s.len)) }
    }

    /// `process_mp_announce`, with the MRT abbreviated form (next hop only) that
    /// bgpdump recognises by a non-zero first byte and files under IPv6 unicast.
    func mpAnnounce(_ s: inout MStream, addPath: Bool) {
        if let first = s.peek(), first != 0 {
            let i = BgpdumpAttributes.slot(2, 1)
            if !announce[i].present { nexthop(into: i, &s) }
            return
        }
        let afi = Int(s.getw()), safi = Int(s.getc())
        guard afi <= 2, safi <= 3 else { note("MP_REACH_NLRI for unknown AFI \(afi) SAFI \(safi)"); return }
        let i = BgpdumpAttributes.slot(afi, safi)
        guard !announce[i].present else { note("two MP_REACH_NLRI for AFI \(afi) SAFI \(safi)"); return }
        nexthop(into: i, &s)
        let snpa = s.getc()
        for _ in 0..<snpa { s.skip(Int(s.getc())) }
        readPrefixes(&s, addPath: addPath, into: &announce[i].prefixes)
    }

    func nexthop(into i: Int, _ s: inout MStream) {
        announce[i].present = true
        announceUsed.append(i)
        let n = s.getc()
        announce[i].nexthopLen = n
        switch n {
        case 4: announce[i].nexthop = (UInt64(s.getIPv4()) << 32, 0)
        case 16: announce[i].nexthop = s.getAddress(16)
        case 32: announce[i].nexthop = s.getAddress(16); _ = s.getAddress(16)
        default:
            announce[i].nexthop = (0, 0)
            note("MP_REACH_NLRI next hop length \(n)")
        }
    }

    func mpWithdraw(_ s: inout MStream, addPath: Bool) {
        let afi = Int(s.getw()), safi = Int(s.getc())
        guard afi <= 2, safi <= 3 else { note("MP_UNREACH_NLRI for unknown AFI \(afi) SAFI \(safi)"); return }
        let i = BgpdumpAttributes.slot(afi, safi)
        guard !withdraw[i].present else { note("two MP_UNREACH_NLRI for AFI \(afi) SAFI \(safi)"); return }
        withdraw[i].present = true
        withdrawUsed.append(i)
        readPrefixes(&s, addPath: addPath, into: &withdraw[i].prefixes)
    }

    /// `read_prefix_list`: stops quietly at a prefix cut short.
    func readPrefixes(_ s: inout MStream, addPath: Bool, into out: inout [BDPrefix]) {
        while s.canRead > 0 {
            let id: UInt32 = addPath ? s.getl() : 0
            let bits = s.getc()
            let n = (Int(bits) + 7) / 8
            if s.canRead < n {
                note("prefix of /\(bits) cut short: \(s.canRead) of \(n) bytes")
                break
            }
            let start = s.pos
            let (hi, lo) = s.getAddress(n)
            var len = bits, pathID = id
            if n > 16 {
                // bgpdump copies all n bytes into the 16-byte address of its `struct prefix`:
                // byte 16 lands on `len`, bytes 20-23 on `path_id` (host order: little-endian).
                len = s.base!.load(fromByteOffset: start + 16, as: UInt8.self)
                for k in 20..<max(20, min(n, 24)) {
                    let shift = UInt32(8 * (k - 20))
                    pathID = pathID & ~(0xFF << shift) | UInt32(s.base!.load(fromByteOffset: start + k, as: UInt8.self)) << shift
                }
            }
            out.append(BDPrefix(hi: hi, lo: lo, len: len, pathID: pathID))
        }
    }

    /// `process_attr_community_string`, including its 8 KiB text limit.
    func communities(_ s: MStream, len: Int) {
        communityText.removeAll(keepingCapacity: true)
        communityValues.removeAll(keepingCapacity: true)
        var r = s
        let limit = 8191
        for _ in 0..<(len / 4) {
            let v = r.getl()
            communityValues.append(v)
            let word: StaticString?
            switch v {
            case 0xFFFF_FF01: word = " no-export"
            case 0xFFFF_FF02: word = " no-advertise"
            case 0xFFFF_FF03: word = " local-AS"
            default: word = nil
            }
            if let w = word {
                if communityText.count + w.utf8CodeUnitCount <= limit { communityText.appendASCII(w) }
            } else {
                let start = communityText.count
                guard start < limit else { continue }
                communityText.append(UInt8(ascii: " "))
                communityText.appendDecimal(v >> 16)
                communityText.append(UInt8(ascii: ":"))
                communityText.appendDecimal(v & 0xFFFF)
                if communityText.count > limit { communityText.removeLast(communityText.count - limit) }
            }
        }
    }

    /// `process_attr_aspath_string`: returns bgpdump's path count (a set counts
    /// one), writes the text, or "! Error !" for an invalid segment.
    static func pathText(_ data: [UInt8], asnLen: Int, into out: inout [UInt8], origin: inout UInt32?) -> Int {
        out.removeAll(keepingCapacity: true)
        origin = nil
        var count = 0
        var space = false
        var prevType: UInt8 = 2
        var lastType: UInt8 = 0
        var pnt = 0
        let end = data.count
        while pnt < end {
            guard pnt + 2 <= end else { return pathError(&out, &origin) }
            let type = data[pnt], n = Int(data[pnt + 1])
            guard type >= 1 && type <= 4 else { return pathError(&out, &origin) }
            guard pnt + n * asnLen + 2 <= end else { return pathError(&out, &origin) }
            if prevType != 2 { out.append(delimiter(prevType, start: false)) }
            if space { out.append(UInt8(ascii: " ")) }
            if type != 2 { out.append(delimiter(type, start: true)) }
            space = false
            count += (type == 2 || type == 3) ? n : 1
            for i in 0..<n {
                if space { out.append((type == 1 || type == 4) ? UInt8(ascii: ",") : UInt8(ascii: " ")) } else { space = true }
                let at = pnt + 2 + i * asnLen
                let asn = asnLen == 4
                    ? UInt32(data[at]) << 24 | UInt32(data[at + 1]) << 16 | UInt32(data[at + 2]) << 8 | UInt32(data[at + 3])
                    : UInt32(data[at]) << 8 | UInt32(data[at + 1])
                out.appendDecimal(asn)
                origin = type == 2 ? asn : nil
                if out.count > 8000 - 100 {
                    out.appendASCII("...")
                    return count
                }
            }
            if n == 0 && type != 2 { origin = nil }
            prevType = type
            lastType = type
            pnt += n * asnLen + 2
        }
        if lastType != 0 && lastType != 2 { out.append(delimiter(lastType, start: false)) }
        return count
    }

    static func pathCount(_ data: [UInt8], asnLen: Int) -> Int {
        var count = 0, pnt = 0
        while pnt < data.count {
            guard pnt + 2 <= data.count else { return 0 }
            let type = data[pnt], n = Int(data[pnt + 1])
            guard type >= 1 && type <= 4, pnt + n * asnLen + 2 <= data.count else { return 0 }
            count += (type == 2 || type == 3) ? n : 1
            pnt += n * asnLen + 2
        }
        return count
    }

    static func pathError(_ out: inout [UInt8], _ origin: inout UInt32?) -> Int {
        out.removeAll(keepingCapacity: true)
        out.appendASCII("! Error !")
        origin = nil
        return 0
    }

    @inline(__always)
    static func delimiter(_ type: UInt8, start: Bool) -> UInt8 {
        switch type {
        case 1: return start ? UInt8(ascii: "{") : UInt8(ascii: "}")
        case 4: return start ? UInt8(ascii: "[") : UInt8(ascii: "]")
        case 3: return start ? UInt8(ascii: "(") : UInt8(ascii: ")")
        default: return UInt8(ascii: " ")
        }
    }

    /// `process_asn32_trans`: on 2-byte sessions, AS4_AGGREGATOR replaces an
    /// AS_TRANS aggregator (and a real one stops the path merge, as in bgpdump),
    /// and AS4_PATH is merged with bgpdump's own algorithm, which copies the
    /// first AS_PATH segment until enough ASes are kept.
    func as4Transition(asnLen: Int) {
        if asnLen == 4 { return }
        if has(7) && has(18) {
            if aggregatorAS != 23456 { return }
            aggregatorAS = newAggregatorAS
            aggregatorAddr = newAggregatorAddr
        }
        guard has(17), hasASPath, asPathCount >= newASPathCount else { return }
        let target = asPathCount - newASPathCount
        scratch.removeAll(keepingCapacity: true)
        var count = 0
        if asPathRaw.count >= 2 {
            let type = asPathRaw[0], n = Int(asPathRaw[1])
            while count < target {
                if n == 0 && (type == 2 || type == 3) { break }  // bgpdump would loop forever here
                let segStart = scratch.count
                scratch.append(type)
                scratch.append(UInt8(n))
                for i in 0..<n {
                    let at = 2 + i * 2
                    let asn: UInt16 = at + 1 < asPathRaw.count ? UInt16(asPathRaw[at]) << 8 | UInt16(asPathRaw[at + 1]) : 0
                    scratch.append(0); scratch.append(0)
                    scratch.append(UInt8(asn >> 8)); scratch.append(UInt8(truncatingIfNeeded: asn))
                }
                if type == 1 || type == 4 {
                    count += 1
                } else {
                    count += n
                    if count > target {
                        let over = count - target
                        scratch[segStart + 1] = UInt8(n - over)
                        scratch.removeLast(over * 4)
                    }
                }
            }
        }
        scratch.append(contentsOf: newASPathRaw)
        swap(&asPathRaw, &scratch)
        asPathASNLen = 4
        if textNeeded {
            asPathCount = BgpdumpAttributes.pathText(asPathRaw, asnLen: 4, into: &asPathText, origin: &originAS)
        } else {
            asPathCount = BgpdumpAttributes.pathCount(asPathRaw, asnLen: 4)
        }
    }
}
