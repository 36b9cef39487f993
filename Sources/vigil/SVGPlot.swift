import ArgumentParser
import BGPWire
import Signals
#if canImport(Glibc)
import Glibc
#endif

/// An SVG plot of an entity's signals: routed space as a line, churn as bars,
/// outages shaded red and instability shaded amber, each labelled with its cause.
enum SVGPlot {
    static func write(rows: [SeriesRow], events: [Event], title: String, to path: String) throws {
        guard let t0 = rows.first?.bin, let t1 = rows.last?.bin, t1 > t0 else { throw ValidationError("nothing to plot") }
        let w = 1200.0, h = 420.0, left = 60.0, right = 20.0, top = 40.0, mid = 260.0, bottom = 380.0
        let peak = max(1, rows.map { $0.routedV4 + $0.routedV6 }.max()!)
        let churnPeak = max(1, Double(rows.map { $0.announcements + $0.withdrawals }.max()!))
        func x(_ t: Int64) -> Double { left + (w - left - right) * Double(t - t0) / Double(t1 - t0) }
        func y(_ v: Double) -> Double { mid - (mid - top) * v / peak }
        func esc(_ s: String) -> String { s.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;") }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(left)\" y=\"20\" font-size=\"14\">\(esc(title)) — AS131279, simulated from the public record</text>\n"
        for e in events {
            let x0 = x(e.start), x1 = x(e.end ?? t1)
            let color = e.kind == .outage ? "#e53935" : "#ffb300"
            s += "<rect x=\"\(x0)\" y=\"\(top)\" width=\"\(max(1, x1 - x0))\" height=\"\(bottom - top)\" fill=\"\(color)\" opacity=\"0.25\"><title>\(e.kind.rawValue): \(e.cause.rawValue) \(UTCTime.format(e.start))</title></rect>\n"
            // Label the outages wide enough to hold one; short ones keep their tooltip.
            if e.kind == .outage && x1 - x0 >= 30 {
                let label = "\(e.cause.rawValue)\(e.precededByInstability ? " after instability" : "")"
                let anchor = x0 > w - 220 ? "end\" x=\"\(x1 - 2)" : "start\" x=\"\(x0 + 2)"
                s += "<text text-anchor=\"\(anchor)\" y=\"\(top + 12)\" fill=\"#b71c1c\">\(label)</text>\n"
            }
        }
        var line = ""
        for r in rows { line += "\(line.isEmpty ? "M" : "L")\(x(r.bin)),\(y(r.routedV4 + r.routedV6)) " }
        s += "<path d=\"\(line)\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\"/>\n"
        let barW = max(0.5, (w - left - right) / Double(rows.count))
        for r in rows where r.announcements + r.withdrawals > 0 {
            let v = Double(r.announcements + r.withdrawals) / churnPeak * (bottom - mid - 10)
            s += "<rect x=\"\(x(r.bin))\" y=\"\(bottom - v)\" width=\"\(barW)\" height=\"\(v)\" fill=\"#6d4c41\"/>\n"
        }
        s += "<line x1=\"\(left)\" y1=\"\(mid)\" x2=\"\(w - right)\" y2=\"\(mid)\" stroke=\"#999\"/>\n"
        s += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(w - right)\" y2=\"\(bottom)\" stroke=\"#999\"/>\n"
        s += "<text x=\"5\" y=\"\(top + 10)\">\(Int(peak)) /24s</text><text x=\"5\" y=\"\(mid)\">0</text>\n"
        s += "<text x=\"5\" y=\"\(mid + 20)\">churn</text><text x=\"5\" y=\"\(mid + 34)\">(max \(Int(churnPeak)))</text>\n"
        var day = t0 - t0 % 86_400 + 86_400
        while day < t1 {
            s += "<line x1=\"\(x(day))\" y1=\"\(top)\" x2=\"\(x(day))\" y2=\"\(bottom)\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(x(day) + 2)\" y=\"\(bottom + 14)\">\(UTCTime.format(day).prefix(10))</text>\n"
            day += 86_400
        }
        s += "<text x=\"\(left)\" y=\"\(h - 6)\">blue: routed space seen by &gt;50% of full-feed peers; brown: announcements + withdrawals per 5 min; red: outage; amber: instability</text>\n"
        s += "</svg>\n"
        guard let f = fopen(path, "w") else { throw ValidationError("\(path): cannot write") }
        fputs(s, f)
        fclose(f)
    }
}

extension String {
    func replacingAll(_ a: String, _ b: String) -> String { split(separator: a, omittingEmptySubsequences: false).joined(separator: b) }
}
