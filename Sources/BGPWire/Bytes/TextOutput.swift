/// Fast text formatting into a byte array: the dump formatters write millions of
/// lines, so they append bytes directly instead of building Strings.
extension Array where Element == UInt8 {
    @inlinable
    public mutating func appendDecimal(_ value: UInt32) {
        if value < 10 { append(UInt8(ascii: "0") &+ UInt8(value)); return }
        var digits = 1
        var t = value
        while t >= 10 { t /= 10; digits += 1 }
        let start = count
        append(contentsOf: repeatElement(0, count: digits))
        var v = value
        var i = start + digits - 1
        while true {
            self[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
            if v == 0 { break }
            i -= 1
        }
    }

    @inlinable
    public mutating func appendDecimal64(_ value: Int64) {
        if value < 0 { append(UInt8(ascii: "-")) }
        let mag = value.magnitude
        if mag <= UInt64(UInt32.max) { appendDecimal(UInt32(mag)); return }
        append(contentsOf: Array(String(mag).utf8))
    }

    @inlinable
    public mutating func appendASCII(_ s: StaticString) {
        s.withUTF8Buffer { append(contentsOf: $0) }
    }

    @inlinable
    public mutating func appendIPv4(_ a: UInt32) {
        appendDecimal(a >> 24); append(UInt8(ascii: "."))
        appendDecimal((a >> 16) & 0xFF); append(UInt8(ascii: "."))
        appendDecimal((a >> 8) & 0xFF); append(UInt8(ascii: "."))
        appendDecimal(a & 0xFF)
    }

    /// IPv6 text exactly as bgpdump's `fmt_ipv6` writes it: v4-mapped and
    /// v4-compatible addresses in dotted form, and the longest run of zero
    /// groups (even a single one, first run on ties) shortened to `::`.
    @inlinable
    public mutating func appendIPv6(_ hi: UInt64, _ lo: UInt64) {
        if hi == 0 && (lo >> 32) == 0xFFFF {
            appendASCII("::ffff:"); appendIPv4(UInt32(truncatingIfNeeded: lo)); return
        }
        if hi == 0 && (lo >> 32) == 0 && UInt32(truncatingIfNeeded: lo) > 1 {
            appendASCII("::"); appendIPv4(UInt32(truncatingIfNeeded: lo)); return
        }
        @inline(__always) func group(_ i: Int) -> UInt16 {
            i < 4 ? UInt16(truncatingIfNeeded: hi >> (48 - 16 * UInt64(i)))
                  : UInt16(truncatingIfNeeded: lo >> (48 - 16 * UInt64(i - 4)))
        }
        // Longest run of zero groups; the first one wins a tie.
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if group(i) == 0 {
                var j = i
                while j < 8 && group(j) == 0 { j += 1 }
                if j - i > bestLen { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        let hex: StaticString = "0123456789abcdef"
        i = 0
        while i < 8 {
            if i == bestStart {
                if i == 0 { append(UInt8(ascii: ":")) }
                append(UInt8(ascii: ":"))
                i += bestLen
                continue
            }
            let g = group(i)
            var started = false
            for shift in stride(from: 12, through: 0, by: -4) {
                let nib = Int((g >> UInt16(shift)) & 0xF)
                if nib != 0 || started || shift == 0 {
                    started = true
                    append(hex.withUTF8Buffer { $0[nib] })
                }
            }
            if i != 7 { append(UInt8(ascii: ":")) }
            i += 1
        }
    }

    @inlinable
    public mutating func appendAddress(_ a: IPAddress) {
        switch a {
        case let .v4(v): appendIPv4(v)
        case let .v6(h, l): appendIPv6(h, l)
        }
    }
}
