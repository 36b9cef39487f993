public import BGPWire

/// A binary trie of IPv4 or IPv6 prefixes with a value per stored prefix:
/// longest-prefix match, and the address space covered by the union of the
/// stored prefixes (overlapping more-specifics counted once).
///
/// Nodes live in flat arrays indexed by `UInt32` (no object per node), so a
/// million prefixes cost tens of MB, not hundreds.
public struct PrefixTrie<Value> {
    // Node i: children (0 = none; the root is node 0 so no child is ever 0), value slot.
    var left: [UInt32] = [0]
    var right: [UInt32] = [0]
    var valueIndex: [UInt32] = [UInt32.max]
    var values: [Value] = []
    var freeValues: [UInt32] = []
    public let isIPv6: Bool
    public private(set) var count = 0

    public init(ipv6: Bool) { isIPv6 = ipv6 }

    @inline(__always)
    static func bit(_ a: IPAddress, _ i: Int) -> Bool {
        switch a {
        case let .v4(x): return (x >> UInt32(31 - i)) & 1 == 1
        case let .v6(h, l): return i < 64 ? (h >> UInt64(63 - i)) & 1 == 1 : (l >> UInt64(127 - i)) & 1 == 1
        }
    }

    /// Walks to the node of `p`, creating it if asked.
    mutating func node(_ p: Prefix, create: Bool) -> Int? {
        var n = 0
        for i in 0..<Int(p.length) {
            let goRight = PrefixTrie.bit(p.address, i)
            let next = goRight ? right[n] : left[n]
            if next != 0 { n = Int(next); continue }
            guard create else { return nil }
            left.append(0); right.append(0); valueIndex.append(UInt32.max)
            let new = UInt32(left.count - 1)
            if goRight { right[n] = new } else { left[n] = new }
            n = Int(new)
        }
        return n
    }

    /// Stores `value` for `prefix`; returns the previous value.
    @discardableResult
    public mutating func insert(_ prefix: Prefix, _ value: Value) -> Value? {
        precondition(prefix.isIPv6 == isIPv6, "prefix family does not match the trie")
        let n = node(prefix.masked, create: true)!
        if valueIndex[n] != UInt32.max {
            let old = values[Int(valueIndex[n])]
            values[Int(valueIndex[n])] = value
            return old
        }
        if let slot = freeValues.popLast() {
            values[Int(slot)] = value
            valueIndex[n] = slot
        } else {
            values.append(value)
            valueIndex[n] = UInt32(values.count - 1)
        }
        count += 1
        return nil
    }

    /// Removes `prefix`; returns its value. Emptied nodes stay (they are reused on re-announcement).
    @discardableResult
    public mutating func remove(_ prefix: Prefix) -> Value? {
        guard prefix.isIPv6 == isIPv6, let n = node(prefix.masked, create: false), valueIndex[n] != UInt32.max else { return nil }
        let slot = valueIndex[n]
        valueIndex[n] = UInt32.max
        freeValues.append(slot)
        count -= 1
        return values[Int(slot)]
    }

    public subscript(_ prefix: Prefix) -> Value? {
        mutating get {
            guard prefix.isIPv6 == isIPv6, let n = node(prefix.masked, create: false), valueIndex[n] != UInt32.max else { return nil }
            return values[Int(valueIndex[n])]
        }
    }

    /// The most specific stored prefix containing `address`.
    public func longestMatch(_ address: IPAddress) -> (Prefix, Value)? {
        guard address.isIPv6 == isIPv6 else { return nil }
        var n = 0
        var best: (Int, Int)? = valueIndex[0] != UInt32.max ? (0, 0) : nil
        let width = isIPv6 ? 128 : 32
        for i in 0..<width {
            let next = PrefixTrie.bit(address, i) ? right[n] : left[n]
            if next == 0 { break }
            n = Int(next)
            if valueIndex[n] != UInt32.max { best = (n, i + 1) }
        }
        guard let (node, len) = best else { return nil }
        return (Prefix(address: address, length: UInt8(len)).masked, values[Int(valueIndex[node])])
    }

    /// Address space covered by the stored prefixes accepted by `include`, each
    /// address once, in units of `unitLength`-long prefixes (/24 for IPv4, /48 for
    /// IPv6 by convention). A stored prefix hides everything below it.
    public func coveredSpace(unitLength: Int, include: (Value) -> Bool = { _ in true }) -> Double {
        var total = 0.0
        var stack: [(UInt32, Int)] = [(0, 0)]
        while let (n, depth) = stack.popLast() {
            let i = Int(n)
            if valueIndex[i] != UInt32.max, include(values[Int(valueIndex[i])]) {
                total += unitShare(depth, unitLength)
                continue
            }
            if left[i] != 0 { stack.append((left[i], depth + 1)) }
            if right[i] != 0 { stack.append((right[i], depth + 1)) }
        }
        return total
    }

    /// All stored prefixes and values (order: depth-first, shorter first).
    public func forEach(_ body: (Prefix, Value) -> Void) {
        var stack: [(UInt32, Int, UInt64, UInt64)] = [(0, 0, 0, 0)]
        while let (n, depth, hi, lo) = stack.popLast() {
            let i = Int(n)
            if valueIndex[i] != UInt32.max {
                let a: IPAddress = isIPv6 ? .v6(hi, lo) : .v4(UInt32(truncatingIfNeeded: hi >> 32))
                body(Prefix(address: a, length: UInt8(depth)), values[Int(valueIndex[i])])
            }
            func withBit(_ set: Bool) -> (UInt64, UInt64) {
                guard set else { return (hi, lo) }
                return depth < 64 ? (hi | (1 << UInt64(63 - depth)), lo) : (hi, lo | (1 << UInt64(127 - depth)))
            }
            if right[i] != 0 { let (h, l) = withBit(true); stack.append((right[i], depth + 1, h, l)) }
            if left[i] != 0 { stack.append((left[i], depth + 1, hi, lo)) }
        }
    }
}

/// 2^(unitLength - length): how many unit prefixes a prefix of `length` holds (fractions for longer ones).
@inline(__always)
func unitShare(_ length: Int, _ unitLength: Int) -> Double {
    let d = unitLength - length
    if d >= 0 { return d < 63 ? Double(UInt64(1) << UInt64(d)) : Double(sign: .plus, exponent: d, significand: 1) }
    return 1.0 / Double(UInt64(1) << UInt64(min(-d, 62)))
}
