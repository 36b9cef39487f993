#if canImport(Glibc)
import Glibc
#endif

/// UTC times as people write them: `2014-12-22`, `2014-12-22T16:15`,
/// `2014-12-22 16:15:00`, RFC 3339 with `Z`, or Unix seconds.
public enum UTCTime {
    public static func parse(_ text: String) -> Int64? {
        if let n = Int64(text) { return n }
        var s = text.uppercased()
        if s.hasSuffix("Z") { s.removeLast() }
        let parts = s.split(whereSeparator: { $0 == "T" || $0 == " " })
        guard parts.count >= 1, parts.count <= 2 else { return nil }
        let d = parts[0].split(separator: "-").compactMap { Int32($0) }
        guard d.count == 3 else { return nil }
        var t: [Int32] = [0, 0, 0]
        if parts.count == 2 {
            let hms = parts[1].split(separator: ":").compactMap { Int32($0.prefix(2)) }
            guard hms.count >= 2 else { return nil }
            for (i, v) in hms.prefix(3).enumerated() { t[i] = v }
        }
        guard (1...12).contains(d[1]), (1...31).contains(d[2]), t[0] < 24, t[1] < 60, t[2] < 61 else { return nil }
        var tm = tm()
        tm.tm_year = d[0] - 1900
        tm.tm_mon = d[1] - 1
        tm.tm_mday = d[2]
        tm.tm_hour = t[0]
        tm.tm_min = t[1]
        tm.tm_sec = t[2]
        return Int64(timegm(&tm))
    }

    /// The stamp RIS and RouteViews put in archive names: `20141222.1615`.
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
