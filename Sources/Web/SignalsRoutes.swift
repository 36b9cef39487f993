import BGPWire
import Foundation
import Hummingbird
import Probing
import Signals
import Store

/// `signals/{entity}`: BGP and data-plane series on one time axis, downsampled by the store to
/// at most `max_points`, each with its values divided by the range's highest (`normalised`).
extension WebAPI {
    /// The data-plane signals, from probing rounds.
    static let probeSignals = ["blocks_up", "blocks_down", "rtt_median", "rtt_p95", "loss"]
    static let defaultSignals = ["routed_v4", "routed_v6", "visible_prefixes", "mean_visibility", "announcements", "withdrawals"]
    static let units: [String: String] = [
        "routed_v4": "/24s", "routed_v6": "/48s", "visible_prefixes": "prefixes", "mean_visibility": "share", "announcements": "per bin",
        "withdrawals": "per bin", "path_changes": "per bin", "origin_changes": "per bin", "full_feed_peers_v4": "peers",
        "full_feed_peers_v6": "peers", "blocks_up": "blocks", "blocks_down": "blocks", "rtt_median": "ms", "rtt_p95": "ms", "loss": "share",
    ]

    static func probeValue(_ r: ProbeRow, _ signal: String) -> Double? {
        switch signal {
        case "blocks_up": Double(r.up)
        case "blocks_down": Double(r.down)
        case "rtt_median": r.answered > 0 ? r.rttMedian : nil
        case "rtt_p95": r.answered > 0 ? r.rttP95 : nil
        case "loss": r.sent > 0 ? r.loss : nil
        default: nil
        }
    }

    /// One signal's points: times and values, with a null where the data stops (a gap is unknown, never zero).
    struct Line {
        var signal: String
        var source: String
        var times: [Int64] = []
        var values: [Double?] = []
    }

    func signals(_ text: String, _ req: Request) async throws -> Answer {
        let p = try Params(req)
        let name = try await knownEntity(text)
        let (from, until) = try p.range(span: 7 * 86400, limit: Self.maxRange, now: now())
        let points = try p.int("max_points", default: 2000, range: 1...Self.maxPoints)
        let vantage = p.string("vantage")
        let wanted = try p.value("signals")?.split(separator: ",").map(String.init) ?? Self.defaultSignals + Self.probeSignals
        let known = Set(SeriesRow.signalNames + Self.probeSignals)
        if let bad = wanted.first(where: { !known.contains($0) }) {
            throw APIError.badRequest("signals: '\(bad)' is not a signal (known: \((SeriesRow.signalNames + Self.probeSignals).joined(separator: ", ")))")
        }
        var lines: [Line] = []
        let bgp = wanted.filter { !Self.probeSignals.contains($0) }
        if !bgp.isEmpty {
            let rows = try await store.series(entity: name, vantage: vantage, from: from, until: until, points: points)
            let times = rows.map(\.bin)
            for s in bgp { lines.append(Self.line(s, "bgp", times, rows.map { $0.value(s) })) }
        }
        let dataPlane = wanted.filter { Self.probeSignals.contains($0) }
        if !dataPlane.isEmpty {
            let rows = Self.thin(try await store.probeSeries(entity: name, vantage: vantage, from: from, until: until), points: points)
            if !rows.isEmpty {
                for s in dataPlane { lines.append(Self.line(s, "probing", rows.map(\.time), rows.map { Self.probeValue($0, s) })) }
            }
        }
        let format = try p.value("format")
        if format == "csv" { return Self.csv(name, lines) }
        if let f = format, f != "json" { throw APIError.badRequest("format: '\(f)' is not json or csv") }
        let series = lines.map { l in
            JSONText.object([("signal", JSONText.quoted(l.signal)), ("source", JSONText.quoted(l.source)),
                             ("unit", JSONText.quoted(Self.units[l.signal] ?? "")),
                             ("t", JSONText.integers(l.times)), ("values", JSONText.numbers(l.values)),
                             ("normalised", JSONText.numbers(Self.normalised(l.values)))])
        }
        return Self.json(JSONText.object([
            ("entity", JSONText.quoted(name)), ("from", JSONText.quoted(UTCTime.format(from))), ("until", JSONText.quoted(UTCTime.format(until))),
            ("vantage", vantage.map(JSONText.quoted) ?? "null"), ("max_points", "\(points)"), ("series", JSONText.array(series)),
        ]))
    }

    /// Points with nulls where consecutive times are more than two usual steps apart (a missing bucket or two
    /// is noise of the bucketing; more is data that is not there).
    static func line(_ signal: String, _ source: String, _ times: [Int64], _ values: [Double?]) -> Line {
        var l = Line(signal: signal, source: source)
        var steps: [Int64: Int] = [:]
        for (a, b) in zip(times, times.dropFirst()) where b > a { steps[b - a, default: 0] += 1 }
        let step = steps.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? 300
        l.times.reserveCapacity(times.count)
        l.values.reserveCapacity(times.count)
        for i in times.indices {
            if i > 0, times[i] - times[i - 1] > 2 * step {
                l.times.append(times[i - 1] + step)
                l.values.append(nil)
            }
            l.times.append(times[i])
            l.values.append(values[i])
        }
        return l
    }

    /// Each value over the range's highest (1: its peak), so signals of different units share one
    /// axis; a median would be 0 once an outage covers half the range. Null when the highest is 0.
    static func normalised(_ values: [Double?]) -> [Double?] {
        guard let peak = values.compactMap({ $0 }).max() else { return values }
        guard peak != 0 else { return values.map { _ in nil } }
        return values.map { $0.map { $0 / peak } }
    }

    /// Probing rounds thinned to at most `points`: each bucket keeps its worst round (fewest blocks up),
    /// so a dark spell is never thinned away.
    static func thin(_ rows: [ProbeRow], points: Int) -> [ProbeRow] {
        guard rows.count > points, let first = rows.first?.time, let last = rows.last?.time else { return rows }
        let width = max(1, (last - first + 1 + Int64(points) - 1) / Int64(points))
        var out: [ProbeRow] = []
        var bucket = Int64.min
        for r in rows {
            let k = (r.time - first) / width
            if k != bucket {
                out.append(r)
                bucket = k
            } else if r.up < out[out.count - 1].up {
                out[out.count - 1] = r
            }
        }
        return out
    }

    /// `time,signal,value` rows (long form: BGP bins and probing rounds keep their own times).
    static func csv(_ name: String, _ lines: [Line]) -> Answer {
        var out = "time,entity,signal,value\n"
        for l in lines {
            for (t, v) in zip(l.times, l.values) { out += "\(UTCTime.format(t)),\(name),\(l.signal),\(v.map(NumberText.decimal) ?? "")\n" }
        }
        return Answer(type: "text/csv; charset=utf-8", bytes: ByteBuffer(string: out),
                      disposition: "attachment; filename=\"vigil-\(name.replacingOccurrences(of: "/", with: "_")).csv\"")
    }
}
