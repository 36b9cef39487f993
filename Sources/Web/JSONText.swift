import Signals

/// JSON written as text: the API's answers are arrays of numbers and the event form Vigil
/// already writes, and a 30-day series is tens of thousands of numbers per request, so numbers
/// are formatted by hand into bytes (as `NumberText.decimal` prints them: four decimals at most).
struct JSONText {
    static func quoted(_ s: String) -> String { "\"" + EventFormat.esc(s) + "\"" }

    static func number(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        return NumberText.decimal(v)
    }

    /// `{"k":v,…}` from pairs whose values are JSON already.
    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    static func strings(_ items: [String]) -> String { array(items.map(quoted)) }

    static func numbers(_ items: [Double?]) -> String {
        var o: [UInt8] = [UInt8(ascii: "[")]
        o.reserveCapacity(items.count * 8 + 2)
        for (i, v) in items.enumerated() {
            if i > 0 { o.append(UInt8(ascii: ",")) }
            append(v, to: &o)
        }
        o.append(UInt8(ascii: "]"))
        return String(decoding: o, as: UTF8.self)
    }

    static func integers(_ items: [Int64]) -> String {
        var o: [UInt8] = [UInt8(ascii: "[")]
        o.reserveCapacity(items.count * 11 + 2)
        for (i, v) in items.enumerated() {
            if i > 0 { o.append(UInt8(ascii: ",")) }
            append(v, to: &o)
        }
        o.append(UInt8(ascii: "]"))
        return String(decoding: o, as: UTF8.self)
    }

    static func append(_ v: Int64, to o: inout [UInt8]) {
        if v < 0 { o.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(48 + m % 10)
                m /= 10
                n += 1
            } while m > 0
            for k in stride(from: n - 1, through: 0, by: -1) { o.append(d[k]) }
        }
    }

    /// A value as `NumberText.decimal` prints it, without going through `String`; null when unknown.
    static func append(_ v: Double?, to o: inout [UInt8]) {
        guard let v, v.isFinite else { return o.append(contentsOf: "null".utf8) }
        guard abs(v) < 1e11 else { return o.append(contentsOf: NumberText.decimal(v).utf8) }
        let scaled = Int64((v * 10000).rounded())
        if scaled < 0 { o.append(UInt8(ascii: "-")) }
        let m = scaled.magnitude
        append(Int64(m / 10000), to: &o)
        var frac = m % 10000
        guard frac > 0 else { return }
        o.append(UInt8(ascii: "."))
        var width = 4
        while frac % 10 == 0 { frac /= 10; width -= 1 }
        var div: UInt64 = 1
        for _ in 1..<width { div *= 10 }
        while div > 0 {
            o.append(UInt8(48 + frac / div % 10))
            div /= 10
        }
    }
}
