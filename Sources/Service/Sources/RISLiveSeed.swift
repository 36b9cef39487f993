import BGPWire
import Dispatch
import Foundation
public import Config
public import Logging
import MRT
import Replay
public import Signals

/// The starting state of a RIS Live feed. RIS Live sends changes only: from an empty state every
/// prefix that does not change for hours would stay unknown. So each subscribed collector's latest
/// RIB dump and the updates files published after it are fed first, as an archive follower feeds
/// them (`seed_folder`: a local copy in RIS's layout; `seed_mirror`: RIS's archive over HTTP), while
/// the stream is held. Once every collector's follower has caught up with what is published, the
/// held messages stamped from the end of its last file on are applied in order, and the stream
/// goes on live. Until that handover the state is warming up (minutes: the newest updates file is
/// 5 to 15 minutes old, the RIB up to 8 hours, fed at the engine's speed).
final class RISLiveSeed: @unchecked Sendable {
    let followers: [(collector: String, follower: ArchiveFollower)]
    let logger: Logger
    /// Held stream elements beyond this: the handover happens at once (memory stays bounded).
    let maxHeld: Int
    /// Seeding that has not caught up after this long hands over with what it has.
    let timeout: Double
    private let lock = NSLock()
    private var held: [(collector: String, elements: [BGPElement])] = []
    private var heldElements = 0
    private var live = false
    private var stopping = false
    private var summaryText = ""

    init(_ c: RISLiveConfig, logger: Logger, maxHeld: Int = 4_000_000, timeout: Double = 1800) throws {
        var list: [(String, ArchiveFollower)] = []
        for collector in c.collectors {
            var o = ArchiveFollower.Options()
            o.poll = 2
            o.start = Int64(Date().timeIntervalSince1970)
            let origin: ArchiveFollower.Origin
            if let folder = c.seedFolder {
                origin = .folder("\(folder)/\(collector)")
            } else if let m = c.seedMirror, let layout = ArchiveLayout(collector: collector, mirror: m) {
                origin = .mirror(layout, cache: c.seedCache)
            } else {
                throw ServiceError("ris_live: no seed for \(collector)")
            }
            let f = ArchiveFollower(origin: origin, options: o)
            var l = logger
            l[metadataKey: "seed"] = "\(collector)"
            f.logger = l
            list.append((collector, f))
        }
        followers = list
        self.logger = logger
        self.maxHeld = maxHeld
        self.timeout = timeout
    }

    /// The stream's elements while seeding: true when held, false once live (the caller submits them).
    func hold(_ collector: String, _ elements: [BGPElement]) -> Bool {
        lock.withLock {
            guard !live else { return false }
            if heldElements + elements.count > maxHeld && !stopping {
                // No unbounded memory for a seed that is too slow: what is held is applied now.
                logger.warning("RIS Live: \(heldElements) stream elements held while seeding: handing over before the seed caught up")
                stopping = true
            }
            held.append((collector, elements))
            heldElements += elements.count
            return true
        }
    }

    /// What the handover did ("" before it).
    var summary: String { lock.withLock { summaryText } }

    /// What seeding has done, for the source's status.
    func progress() -> String {
        let files = followers.map { "\($0.collector) \($0.follower.snapshot().files) files" }.joined(separator: ", ")
        return "seeding (\(files)); \(lock.withLock { heldElements }) stream elements held"
    }

    /// Feeds the seeds, then hands over; on its own thread (followers block while the pipeline is full).
    func start(into sink: any ElementSink) {
        for (collector, f) in followers {
            f.start { elements in
                // The collector's peers as the stream names them (its elements carry their collector).
                var tagged = elements
                for i in tagged.indices { tagged[i].collector = collector }
                sink.submit(tagged)
                let drained = DispatchSemaphore(value: 0)
                if !sink.admit(resume: { drained.signal() }) { drained.wait() }
            }
        }
        let began = Date()
        DetachedThread.start { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                let (stop, done) = lock.withLock { (stopping, live) }
                if done { return }
                // Caught up: a look found nothing new after files were fed (a folder's new files wait to settle
                // first); a follower that found nothing at all in three looks has no seed to give.
                let caughtUp = followers.allSatisfy {
                    let s = $0.follower.snapshot()
                    return s.lastLookFiles == 0 && (s.files > 0 ? s.looks > 0 : s.looks >= 3)
                }
                if caughtUp || stop || Date().timeIntervalSince(began) > timeout { break }
            }
            handover(sink, began: began)
        }
    }

    /// The followers stop (after the file each reads); held elements stamped from the end of the
    /// collector's last file on go to the pipeline in order, and then the stream does.
    func handover(_ sink: any ElementSink, began: Date) {
        for (_, f) in followers { f.stop() }
        var from: [String: UInt32] = [:]
        var seeded: [String] = []
        for (c, f) in followers {
            let s = f.snapshot()
            from[c] = UInt32(clamping: s.dataTime ?? 0)
            seeded.append(s.files == 0 ? "\(c): no RIB found, starting empty" : "\(c): \(s.files) files to \(s.dataTime.map { UTCTime.format($0) } ?? "?")")
        }
        var applied = 0, dropped = 0
        while true {
            // Taken and emptied under the lock; live is set under it once nothing is left, so no stream message passes a held one.
            let batch: [(collector: String, elements: [BGPElement])] = lock.withLock {
                if held.isEmpty { live = true }
                defer { held.removeAll() }
                return held
            }
            if batch.isEmpty { break }
            for (c, elements) in batch {
                let after = elements.filter { $0.timestamp >= from[c, default: 0] }
                dropped += elements.count - after.count
                applied += after.count
                guard !after.isEmpty else { continue }
                sink.submit(after)
                let drained = DispatchSemaphore(value: 0)
                if !sink.admit(resume: { drained.signal() }) { drained.wait() }
            }
        }
        let text = String(format: "seeded in %.0f s: ", Date().timeIntervalSince(began)) + seeded.joined(separator: "; ")
            + "; the stream from there: \(applied) held elements applied, \(dropped) already in the files"
        lock.withLock {
            heldElements = 0
            summaryText = text
        }
        logger.notice("RIS Live: \(text)")
    }

    func stop() {
        lock.withLock { stopping = true }
        for (_, f) in followers { f.stop() }
    }
}
