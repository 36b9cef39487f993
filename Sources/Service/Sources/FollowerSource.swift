import Dispatch
public import Config
public import Logging
public import Replay
public import Signals

/// An archive follower as a source (`[[follow]]`): a folder or a mirror, fed as files appear.
public final class FollowerSource: ElementSource {
    public let name: String
    public let limits: SourceHealthTracker.Limits
    public let follower: ArchiveFollower
    let logger: Logger

    public init(_ f: CollectConfig.Follow, logger: Logger) throws {
        name = "follow \(f.name)"
        limits = .init(silentAfter: f.silent, lagAfter: f.lag)
        let origin: ArchiveFollower.Origin
        if let folder = f.folder {
            origin = .folder(folder)
        } else {
            guard let c = f.collector, let layout = ArchiveLayout(collector: c, mirror: f.mirror) else {
                throw ServiceError("follow: '\(f.collector ?? "")' is not a RIS or RouteViews collector")
            }
            origin = .mirror(layout, cache: f.cache)
        }
        var o = ArchiveFollower.Options()
        o.poll = Double(f.poll)
        o.start = f.start
        follower = ArchiveFollower(origin: origin, options: o)
        var l = logger
        l[metadataKey: "source"] = "\(name)"
        self.logger = l
        follower.logger = l
    }

    public func start(into sink: any ElementSink) throws {
        logger.info("following \(follower.name)")
        follower.start { elements in
            sink.submit(elements)
            // The follower's own thread waits while the pipeline is full: a year of archives
            // read faster than it is applied would otherwise pile up in memory.
            let drained = DispatchSemaphore(value: 0)
            if !sink.admit(resume: { drained.signal() }) { drained.wait() }
        }
    }

    public func reading() -> SourceReading {
        let s = follower.snapshot()
        var detail = "\(s.files) files, \(s.elements) elements"
        if let f = s.lastFile { detail += ", last \(f.split(separator: "/").last ?? "")" }
        if !s.reachable, let e = s.lastError { detail += "; unreachable: \(e)" }
        return SourceReading(connected: s.reachable, count: s.files, dataTime: s.dataTime, detail: detail)
    }

    public func stop() { follower.stop() }
}
