public import BGPWire

/// Who holds which numbers, from RIR "delegated-extended" statistics files
/// (the NRO format all five RIRs publish):
///
///     registry|cc|type|start|value|date|status[|opaque-id]
///     apnic|KP|ipv4|175.45.176.0|1024|20091019|allocated|A9186214
///     apnic|KP|asn|131279|1|20091019|allocated|A9186214
///
/// IPv4 `value` counts addresses (not always a power of two: it is split into
/// CIDR blocks); IPv6 `value` is a prefix length; ASN `value` counts numbers.
public struct EntityMap: Sendable {
    public private(set) var asnRanges: [(start: UInt32, end: UInt32, country: String)] = []
    public private(set) var v4Blocks: [(prefix: Prefix, country: String)] = []
    public private(set) var v6Blocks: [(prefix: Prefix, country: String)] = []
    var sortedASN = true

    public init() {}

    public var isEmpty: Bool { asnRanges.isEmpty && v4Blocks.isEmpty && v6Blocks.isEmpty }

    /// A line that could not be read, with where and why.
    public struct LineError: Error, CustomStringConvertible, Sendable {
        public var file: String
        public var line: Int
        public var reason: String
        public var description: String { "\(file):\(line): \(reason)" }
    }

    /// Adds the delegations in `text`; returns the lines it skipped (reading goes on past them).
    @discardableResult
    public mutating func addDelegated(_ text: String, file: String) -> [LineError] {
        var errors: [LineError] = []
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(separator: "|", omittingEmptySubsequences: false)
            // Version line (starts with a digit) and summary lines (cc "*") carry no delegations.
            if f.count >= 1, f[0].first?.isNumber == true { continue }
            if f.count >= 6, f[1] == "*" || f[5] == "summary" { continue }
            guard f.count >= 7 else {
                errors.append(LineError(file: file, line: lineNo, reason: "expected at least 7 fields separated by |, got \(f.count)"))
                continue
            }
            let cc = String(f[1]).uppercased(), type = f[2], start = f[3], value = f[4], status = f[6]
            // Only delegated space has a holder; available/reserved space has none.
            guard status == "allocated" || status == "assigned" else { continue }
            guard f[1].utf8.count == 2, cc.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
                errors.append(LineError(file: file, line: lineNo, reason: "country code '\(f[1])' is not two letters"))
                continue
            }
            switch type {
            case "asn":
                guard let s = UInt32(start), let n = UInt32(value), n > 0, UInt64(s) + UInt64(n) - 1 <= UInt64(UInt32.max) else {
                    errors.append(LineError(file: file, line: lineNo, reason: "bad ASN range '\(start)|\(value)'"))
                    continue
                }
                asnRanges.append((s, s + (n - 1), cc))
                sortedASN = false
            case "ipv4":
                guard case let .v4(a)? = IPAddress(start), let n = UInt64(value), n > 0, n <= (1 << 32) - UInt64(a) else {
                    errors.append(LineError(file: file, line: lineNo, reason: "bad IPv4 range '\(start)|\(value)'"))
                    continue
                }
                for p in EntityMap.cidrs(from: UInt64(a), count: n) { v4Blocks.append((p, cc)) }
            case "ipv6":
                guard let a = IPAddress(start), a.isIPv6, let len = UInt8(value), len <= 128 else {
                    errors.append(LineError(file: file, line: lineNo, reason: "bad IPv6 range '\(start)|\(value)'"))
                    continue
                }
                v6Blocks.append((Prefix(address: a, length: len).masked, cc))
            default:
                errors.append(LineError(file: file, line: lineNo, reason: "unknown resource type '\(type)'"))
            }
        }
        return errors
    }

    /// Splits an IPv4 range into the fewest CIDR blocks.
    static func cidrs(from start: UInt64, count: UInt64) -> [Prefix] {
        var out: [Prefix] = []
        var s = start, left = count
        while left > 0 {
            var size: UInt64 = s == 0 ? 1 << 32 : s & (~s &+ 1)  // largest block aligned at s
            while size > left { size >>= 1 }
            let len = 32 - (63 - size.leadingZeroBitCount)
            out.append(Prefix(address: .v4(UInt32(truncatingIfNeeded: s)), length: UInt8(len)))
            s += size
            left -= size
        }
        return out
    }

    public mutating func addASNRange(_ first: UInt32, _ last: UInt32, _ country: String) {
        asnRanges.append((first, last, country))
        sortedASN = false
    }

    public mutating func addBlock(_ prefix: Prefix, _ country: String) {
        if prefix.isIPv6 { v6Blocks.append((prefix, country)) } else { v4Blocks.append((prefix, country)) }
    }

    public mutating func finish() {
        if !sortedASN { asnRanges.sort { $0.start < $1.start }; sortedASN = true }
    }

    /// Whether any address block is delegated to `country`: without one, no prefix can be placed in it.
    public func hasBlocks(of country: String) -> Bool {
        v4Blocks.contains { $0.country == country } || v6Blocks.contains { $0.country == country }
    }

    /// The country an AS number is registered to.
    public func country(ofASN asn: UInt32) -> String? {
        var lo = 0, hi = asnRanges.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let r = asnRanges[mid]
            if asn < r.start { hi = mid - 1 } else if asn > r.end { lo = mid + 1 } else { return r.country }
        }
        return nil
    }
}
