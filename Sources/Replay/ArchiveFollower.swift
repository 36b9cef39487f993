public import BGPWire
import Foundation
import MRT
public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Turns a collector's published archives into a near-real-time feed, as IODA does with
/// RIS and RouteViews: it watches a local folder (or a mirror over HTTP, in the RIS or
/// RouteViews layout `vigil fetch` knows) for new updates files and feeds their elements
/// in time order as they appear. It starts from the last RIB dump at or before its start
/// time and the updates after it; later RIB dumps are not fed (the updates carry the state on).
///
/// A file is taken once it has not changed for `settle` seconds (a mirror still writing it
/// is not read half-way); a file that appears older than one already fed is reported and
/// skipped, because applying it after newer ones would put old routes back.
public final class ArchiveFollower: @unchecked Sendable {
    public enum Origin: Sendable {
        /// A local folder (any depth; RIS or RouteViews names).
        case folder(String)
        /// A mirror over HTTP, fetched into `cache`.
        case mirror(ArchiveLayout, cache: String)
    }

    public struct Options: Sendable {
        /// Seconds between looks at the folder or the mirror.
        public var poll = 30.0
        /// Seconds a local file must stay unchanged before it is read.
        public var settle = 2.0
        /// Where to start: the last RIB at or before this time and the updates after it (nil: now).
        public var start: Int64?
        public init() {}
    }

    /// What the follower has done so far (for health and status).
    public struct Status: Sendable {
        public var files = 0
        public var elements = 0
        /// The end of the period of the newest file fed (its stamp plus the layout's interval).
        public var dataTime: Int64?
        public var lastFile: String?
        public var lastError: String?
        /// Whether the last look reached the folder or the mirror.
        public var reachable = true
        /// Looks completed, and the files the last one fed (none: caught up with what is published).
        public var looks = 0
        public var lastLookFiles = 0
    }

    public let origin: Origin
    public let options: Options
    /// Where it says what it fed, skipped or could not reach (metadata `follow.file`).
    public var logger = Logger(label: "vigil.follow")

    let cond = NSCondition()
    var stopping = false
    var finished = true
    var status = Status()
    /// The stamp of the newest updates file fed; files at or before it are done.
    var fedUntil: Int64?
    var fed: Set<String> = []
    var started = false
    /// Local files seen with their size and modification time, to know when they settled.
    var seen: [String: (size: Int64, mtime: Int64, at: Double)] = [:]

    public init(origin: Origin, options: Options = Options()) {
        self.origin = origin
        self.options = options
    }

    public var name: String {
        switch origin {
        case let .folder(path): path
        case let .mirror(layout, _): "\(layout.mirror) \(layout.collector)"
        }
    }

    public func snapshot() -> Status { cond.withLock { status } }

    /// Starts the follower's thread; `submit` gets each record's elements in time order.
    public func start(submit: @escaping @Sendable ([BGPElement]) -> Void) {
        cond.withLock {
            finished = false
            stopping = false
        }
        DetachedThread.start { [self] in
            while !cond.withLock({ stopping }) {
                look(submit)
                cond.lock()
                let until = Date().addingTimeInterval(options.poll)
                while !stopping && Date() < until { _ = cond.wait(until: until) }
                cond.unlock()
            }
            cond.withLock {
                finished = true
                cond.broadcast()
            }
        }
    }

    /// Stops after the file being read (a file is fed whole or not at all, so a restart resumes cleanly).
    public func stop() {
        cond.lock()
        stopping = true
        cond.broadcast()
        while !finished { cond.wait() }
        cond.unlock()
    }

    func look(_ submit: @Sendable ([BGPElement]) -> Void) {
        let files: [String]
        do {
            files = try newFiles()
            cond.withLock {
                if !status.reachable { logger.notice("follow \(name): reachable again") }
                status.reachable = true
            }
        } catch {
            cond.withLock {
                if status.reachable || status.lastError != "\(error)" { logger.warning("follow \(name): \(error)") }
                status.reachable = false
                status.lastError = "\(error)"
            }
            return
        }
        for f in files {
            if cond.withLock({ stopping }) { return }
            feed(f, submit)
        }
        cond.withLock {
            status.looks += 1
            status.lastLookFiles = files.count
        }
    }

    /// The files to feed now, in order: on the first look the starting RIB and the updates
    /// after it; later, updates newer than the newest fed.
    func newFiles() throws -> [String] {
        switch origin {
        case let .folder(dir):
            guard isDirectory(dir) else { throw ReplayError("\(dir): no such directory") }
            return settled(try archiveFiles([dir]).filter { !$0.hasSuffix(".part") && !$0.hasSuffix(".tmp") })
        case let .mirror(layout, cache):
            return try fetchNew(layout, cache: cache)
        }
    }

    /// Chooses what to feed among the settled files of a folder.
    func choose(_ files: [String]) -> [String] {
        let ups = files.filter { ArchiveName(path: $0).kind == .updates }
        if !started {
            let start = options.start ?? Int64(Date().timeIntervalSince1970)
            let folder = CollectorFolder(files: files, start: start, wantRIB: true)
            started = true
            var out: [String] = []
            if let rib = folder.rib { out.append(rib) }
            let ribTime = folder.rib.flatMap { ArchiveName(path: $0).time }
            // Without a RIB: the updates from the start on (the state grows as they come).
            out += folder.updates.filter { (ArchiveName(path: $0).time ?? 0) >= (ribTime ?? start - 300) }
            return out
        }
        var out: [String] = []
        for f in ups where !fed.contains(f) {
            guard let t = ArchiveName(path: f).time else { continue }
            if let until = fedUntil, t <= until {
                fed.insert(f)
                logger.warning("follow \(name): \(f) appeared after newer files were fed: skipped (its routes would go back in time)",
                               metadata: ["follow.file": "\(f)"])
                continue
            }
            out.append(f)
        }
        return out
    }

    /// The files whose size and modification time have not changed for `settle` seconds.
    func settled(_ files: [String]) -> [String] {
        let now = Date().timeIntervalSince1970
        var ready: [String] = []
        for f in files where !fed.contains(f) {
            var st = stat()
            guard stat(f, &st) == 0 else { continue }
            let size = Int64(st.st_size), mtime = Int64(st.st_mtim.tv_sec)
            if let s = seen[f], s.size == size, s.mtime == mtime {
                if now - s.at >= options.settle || now - Double(mtime) >= options.settle { ready.append(f) }
            } else {
                seen[f] = (size, mtime, now)
                if now - Double(mtime) >= options.settle { ready.append(f) }
            }
        }
        // Until every file of the first look has settled, wait: the start needs the whole folder.
        if !started && ready.count < files.filter({ !fed.contains($0) }).count { return [] }
        return choose(ready)
    }

    /// Mirror: on the first look the last RIB at or before the start (searching back a day)
    /// and the updates from it; later the next updates files, while the mirror has them.
    func fetchNew(_ layout: ArchiveLayout, cache: String) throws -> [String] {
        let fetcher = Fetcher(cache: cache, jobs: 2)
        fetcher.report = { [logger, name] in logger.warning("follow \(name): \($0)") }
        func get(_ f: ArchiveLayout.File) throws -> String? {
            let r = runBlocking { await fetcher.fetch([f]) }
            if !r.failed.isEmpty { throw ReplayError("\(f.url): download failed") }
            return r.missing.isEmpty ? fetcher.localPath(f) : nil
        }
        var out: [String] = []
        let now = Int64(Date().timeIntervalSince1970)
        if !started {
            let start = options.start ?? now
            let ribStep = layout.interval(.rib)
            var t = start - ((start % ribStep) + ribStep) % ribStep
            while t > start - 86_400 {
                if let path = try get(layout.file(.rib, t)) {
                    out.append(path)
                    fedUntil = t - layout.interval(.updates)
                    break
                }
                t -= ribStep
            }
            if out.isEmpty {
                let step = layout.interval(.updates)
                fedUntil = start - ((start % step) + step) % step - step
            }
            started = true
        }
        let step = layout.interval(.updates)
        var next = (fedUntil ?? now) + step
        // Up to a day of files per look, and never past the current period (it cannot be published yet).
        while next + step <= now + step, out.count < 288 {
            guard let path = try get(layout.file(.updates, next)) else { break }
            out.append(path)
            next += step
        }
        return out
    }

    func feed(_ file: String, _ submit: @Sendable ([BGPElement]) -> Void) {
        fed.insert(file)
        let name = ArchiveName(path: file)
        var issues = 0
        let stream = FileSequenceStream(files: [file]) { [logger] in
            issues += 1
            if issues <= 5 { logger.warning("follow: \($0)", metadata: ["follow.file": "\(file)"]) }
        }
        var n = 0
        var batch: [BGPElement] = []
        while let b = stream.nextBatch() {
            batch += b
            n += b.count
            if batch.count >= 4096 {
                submit(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { submit(batch) }
        if name.kind == .updates, let t = name.time { fedUntil = max(fedUntil ?? t, t) }
        let interval: Int64 = file.hasSuffix(".bz2") ? 900 : 300
        cond.withLock {
            status.files += 1
            status.elements += n
            status.lastFile = file
            if let t = name.time { status.dataTime = max(status.dataTime ?? 0, name.kind == .updates ? t + interval : t) }
        }
        logger.info("follow: fed \(file): \(n) elements\(issues > 0 ? ", \(issues) problems" : "")", metadata: ["follow.file": "\(file)"])
    }
}

/// Runs an async call from a plain thread (the follower's), waiting for its result.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}

final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
