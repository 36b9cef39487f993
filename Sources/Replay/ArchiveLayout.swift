import BGPWire

/// Where public collectors publish their archives, by time.
///
/// RIPE RIS:   {mirror}/{rrcNN}/{YYYY.MM}/updates.YYYYMMDD.HHMM.gz (every 5 min),
///                                       bview.YYYYMMDD.HHMM.gz   (00:00, 08:00, 16:00)
/// RouteViews: {mirror}/{collector/}bgpdata/{YYYY.MM}/UPDATES/updates.YYYYMMDD.HHMM.bz2 (every 15 min),
///                                                   RIBS/rib.YYYYMMDD.HHMM.bz2        (every 2 h)
/// (route-views2 sits at the root, the others under their name.)
public struct ArchiveLayout: Sendable {
    public enum Project: String, Sendable { case ris, routeviews }
    public enum Kind: String, Sendable, CaseIterable { case rib, updates }

    public let collector: String
    public let project: Project
    public var mirror: String

    public init?(collector: String, mirror: String? = nil) {
        self.collector = collector
        if collector.hasPrefix("rrc"), collector.count == 5, Int(collector.dropFirst(3)) != nil {
            project = .ris
            self.mirror = mirror ?? "https://data.ris.ripe.net"
        } else if collector.hasPrefix("route-views") {
            project = .routeviews
            self.mirror = mirror ?? "https://archive.routeviews.org"
        } else {
            return nil
        }
        while self.mirror.hasSuffix("/") { self.mirror.removeLast() }
    }

    public func interval(_ kind: Kind) -> Int64 {
        switch (project, kind) {
        case (.ris, .updates): 300
        case (.ris, .rib): 8 * 3600
        case (.routeviews, .updates): 900
        case (.routeviews, .rib): 2 * 3600
        }
    }

    /// One archive: its URL, and its path relative to the cache directory.
    public struct File: Hashable, Sendable {
        public var url: String
        public var relativePath: String
        public var time: Int64
        public var kind: Kind
    }

    /// The archives covering [from, until): updates files starting in the range, and
    /// for RIBs the last dump at or before `from` plus any inside the range.
    public func files(kind: Kind, from: Int64, until: Int64) -> [File] {
        let step = interval(kind)
        var t = from - ((from % step) + step) % step
        var out: [File] = []
        while t < until {
            out.append(file(kind, t))
            t += step
        }
        return out
    }

    public func file(_ kind: Kind, _ t: Int64) -> File {
        let stamp = UTCTime.archiveStamp(t)
        let month = "\(stamp.prefix(4)).\(stamp.dropFirst(4).prefix(2))"
        let name: String, remote: String
        switch project {
        case .ris:
            name = (kind == .rib ? "bview." : "updates.") + stamp + ".gz"
            remote = "\(mirror)/\(collector)/\(month)/\(name)"
        case .routeviews:
            name = (kind == .rib ? "rib." : "updates.") + stamp + ".bz2"
            let base = collector == "route-views2" ? mirror : "\(mirror)/\(collector)"
            remote = "\(base)/bgpdata/\(month)/\(kind == .rib ? "RIBS" : "UPDATES")/\(name)"
        }
        return File(url: remote, relativePath: "\(collector)/\(month)/\(name)", time: t, kind: kind)
    }
}
