#if canImport(Glibc)
import Glibc
#endif

/// Times as people write them: `2014-12-22`, `2014-12-22T16:15`, `2014-12-22 16:15:00.5`,
/// RFC 3339 with `Z` or an offset (`2016-08-11T16:02:00+02:00` is 14:02 UTC), or Unix
/// seconds. A time without a zone is UTC; fractional seconds are truncated.
public enum UTCTime {
    /// Why a text is not a time.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) -> Int64? { try? parsing(text) }

    /// Seconds since 1970 (UTC), or a problem saying what is wrong.
    public static func parsing(_ text: String) throws(Problem) -> Int64 {
        if let n = Int64(text) { return n }
        let b = Array(text.utf8)
        var i = 0
        func fail(_ why: String) -> Problem {
            Problem(description: "'\(text)' is not a time: \(why) (write 2014-12-22, 2014-12-22T16:15Z, 2016-08-11T16:02:00+02:00 or Unix seconds)")
        }
        /// Exactly `n` digits at the cursor.
        func digits(_ n: Int, _ what: String) throws(Problem) -> Int32 {
            guard i + n <= b.count, b[i..<i + n].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw fail("expected \(n) digits for the \(what)") }
            defer { i += n }
            return b[i..<i + n].reduce(0) { $0 * 10 + Int32($1 - 0x30) }
        }
        func expect(_ c: Unicode.Scalar, _ what: String) throws(Problem) {
            guard i < b.count, b[i] == UInt8(ascii: c) else { throw fail("expected '\(c)' \(what)") }
            i += 1
        }
        let year = try digits(4, "year")
        try expect("-", "after the year")
        let month = try digits(2, "month")
        try expect("-", "after the month")
        let day = try digits(2, "day")
        guard (1...12).contains(month) else { throw fail("month \(month) out of range") }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days: [Int32] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...days[Int(month) - 1]).contains(day) else { throw fail("day \(day) does not exist in month \(month)") }
        var hour: Int32 = 0, minute: Int32 = 0, second: Int32 = 0, offset: Int64 = 0
        if i < b.count {
            guard b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") else {
                throw fail("expected 'T' or a space between the date and the time")
            }
            i += 1
            hour = try digits(2, "hour")
            try expect(":", "after the hour")
            minute = try digits(2, "minute")
            if i < b.count && b[i] == UInt8(ascii: ":") {
                i += 1
                second = try digits(2, "second")
                if i < b.count && (b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",")) {
                    i += 1
                    let from = i
                    while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
                    guard i > from else { throw fail("expected digits after the decimal point") }
                }
            }
            guard hour < 24 else { throw fail("hour \(hour) out of range") }
            guard minute < 60 else { throw fail("minute \(minute) out of range") }
            guard second <= 60 else { throw fail("second \(second) out of range") }
            if i < b.count {
                if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                    i += 1
                } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                    let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
                    i += 1
                    let oh = try digits(2, "offset hours")
                    var om: Int32 = 0
                    if i < b.count {
                        if b[i] == UInt8(ascii: ":") { i += 1 }
                        om = try digits(2, "offset minutes")
                    }
                    guard oh < 24, om < 60 else { throw fail("offset out of range") }
                    offset = sign * (Int64(oh) * 3600 + Int64(om) * 60)
                } else {
                    throw fail("expected Z or an offset like +02:00 after the time")
                }
            }
        }
        guard i == b.count else { throw fail("unexpected text after the time") }
        var tm = tm()
        tm.tm_year = year - 1900
        tm.tm_mon = month - 1
        tm.tm_mday = day
        tm.tm_hour = hour
        tm.tm_min = minute
        tm.tm_sec = second
        // The local time at `offset` east of UTC is that much later than UTC.
        return Int64(timegm(&tm)) - offset
    }

    /// The stamp RIS and RouteViews put in archive names: `20141222.1615`.
    /// The time of the first `YYYYMMDD.HHMM` in an archive file's name (`updates.20141222.1615.gz`), if any.
    public static func archiveStamp<S: StringProtocol>(in name: S) -> Int64? {
        let b = Array(name.utf8)
        let isDigit = { (c: UInt8) in c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        guard b.count >= 13 else { return nil }
        for i in 0...(b.count - 13) where b[i + 8] == UInt8(ascii: ".") {
            guard (i..<i + 8).allSatisfy({ isDigit(b[$0]) }), (i + 9..<i + 13).allSatisfy({ isDigit(b[$0]) }),
                  i == 0 || !isDigit(b[i - 1]), i + 13 == b.count || !isDigit(b[i + 13]) else { continue }
            let d = String(decoding: b[i..<i + 8], as: UTF8.self), t = String(decoding: b[i + 9..<i + 13], as: UTF8.self)
            return parse("\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))T\(t.prefix(2)):\(t.suffix(2))Z")
        }
        return nil
    }

    public static func archiveStamp(_ t: Int64) -> String {
        let f = Array(format(t).utf8)
        return String(decoding: f[0..<4] + f[5..<7] + f[8..<10] + [UInt8(ascii: ".")] + f[11..<13] + f[14..<16], as: UTF8.self)
    }

    /// RFC 3339, UTC: `2014-12-22T16:15:00Z`.
    public static func format(_ s: Int64) -> String {
        var t = time_t(s)
        var tm = tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))Z"
    }
}
