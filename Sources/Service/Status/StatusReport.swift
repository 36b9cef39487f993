public import Collector
import BGPWire
public import Probing
import Routing
public import Signals

/// What a running `vigil serve` or `vigil collect` says of itself: served as JSON at
/// `/status` on the metrics port (`vigil status`), and written to the status file when
/// one is set (`vigil collect --status`). Keys stay as the status file has had them.
public struct StatusReport: Codable, Sendable {
    public var collector: String
    public var pid: Int32
    public var started: UInt32
    public var updated: UInt32
    public var elements: Int
    public var routes: Int
    public var prefixes: Int
    public var queued: Int
    /// The most elements queued at once, and how often a connection stopped being read because
    /// the queue was full (absent in older status files).
    public var peakQueued: Int?
    public var readPauses: Int?
    public var archive: String?
    public var peers: [SessionRegistry.Entry]
    public var openEvents: [Event]
    /// The last probing round per entity (absent when not probing).
    public var probes: [ProbeRow]?
    /// ADD-PATH paths refused beyond the bound per (peer, prefix) (absent in older status files).
    public var refusedPaths: Int?
    /// Each source's health (absent in older status files).
    public var sources: [SourceHealth]?
    /// Messages each bus subscriber missed because it fell behind.
    public var busMissed: [String: Int]?

    public func table() -> String {
        var out = "collector \(collector) (pid \(pid)), up since \(UTCTime.format(Int64(started))), status at \(UTCTime.format(Int64(updated)))\n"
        out += "elements \(elements), routes \(routes), prefixes \(prefixes), queued \(queued)"
        if let peak = peakQueued, let pauses = readPauses { out += " (peak \(peak), reading paused \(pauses) times)" }
        out += "\n"
        if let a = archive { out += "archive \(a)\n" }
        if let r = refusedPaths, r > 0 { out += "ADD-PATH paths refused \(r) (over \(PeerTable.maxPathsPerPrefix) for one prefix from one peer)\n" }
        if let sources, !sources.isEmpty {
            out += "sources:\n"
            for s in sources {
                let last = s.lastData.map { ", last data \(UTCTime.format($0))" } ?? ""
                out += "  \(s.source): \(s.state.rawValue) since \(UTCTime.format(s.since))\(last); \(s.detail)\n"
            }
        }
        let head = ["peer", "AS", "via", "state", "since", "routes", "updates", "last message", "last error"]
        var rows = [head]
        for p in peers {
            rows.append([p.address, "\(p.asn)", p.via, p.state, p.since == 0 ? "-" : UTCTime.format(Int64(p.since)), "\(p.routes)", "\(p.updates)",
                         p.lastMessage == 0 ? "-" : UTCTime.format(Int64(p.lastMessage)), p.lastError ?? ""])
        }
        if !peers.isEmpty {
            let widths = head.indices.map { i in rows.map { $0[i].count }.max()! }
            for r in rows {
                out += r.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces) + "\n"
            }
        }
        if let probes, !probes.isEmpty {
            out += "probing, last round at \(UTCTime.format(probes[0].time)):\n"
            for r in probes { out += "  \(r.entity): \(DataPlaneDetector.summary(r))\n" }
        }
        if let missed = busMissed, missed.values.contains(where: { $0 > 0 }) {
            out += "bus: " + missed.sorted { $0.key < $1.key }.map { "\($0.key) missed \($0.value)" }.joined(separator: ", ") + "\n"
        }
        if !openEvents.isEmpty {
            out += "open events:\n"
            for e in openEvents { out += "  \(e.entity) \(e.kind.rawValue) (\(e.cause.rawValue)) since \(UTCTime.format(e.start))\n" }
        }
        return out
    }
}
