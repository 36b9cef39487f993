import BGPWire
import Signals

/// A terminal chart: one row per day, one cell per 30 minutes, the cell's
/// lowest routed space as a block height, and a row of marks under it for
/// instability (~) and outages (!).
enum TimelineChart {
    static let blocks: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    static func render(rows: [SeriesRow], events: [Event]) -> String {
        guard let first = rows.first?.bin, let last = rows.last?.bin else { return "(no data)" }
        let peak = max(1, rows.map { $0.routedV4 + $0.routedV6 }.max() ?? 1)
        let cell: Int64 = 1800
        let dayStart = first - first % 86_400
        var lines = ["AS131279 routed space (█ = \(Int(peak)) /24s), one cell per 30 min, UTC; ~ instability, ! outage",
                     "            0     3     6     9     12    15    18    21"]
        var minSpace: [Int64: Double] = [:]
        for r in rows { minSpace[r.bin - r.bin % cell] = min(minSpace[r.bin - r.bin % cell] ?? .infinity, r.routedV4 + r.routedV6) }
        var day = dayStart
        while day <= last {
            var bar = "", marks = ""
            for c in 0..<48 {
                let t = day + Int64(c) * cell
                if let v = minSpace[t] {
                    bar.append(blocks[Int((v / peak * 8).rounded())])
                } else {
                    bar.append("·")
                }
                let inOutage = events.contains { $0.kind == .outage && $0.start < t + cell && ($0.end ?? .max) > t }
                let inInstability = events.contains { $0.kind == .instability && $0.start < t + cell && ($0.end ?? .max) > t }
                marks.append(inOutage ? "!" : inInstability ? "~" : " ")
            }
            lines.append("\(UTCTime.format(day).prefix(10))  \(bar)")
            if marks.contains(where: { $0 != " " }) { lines.append("            \(marks)") }
            day += 86_400
        }
        return lines.joined(separator: "\n")
    }
}
