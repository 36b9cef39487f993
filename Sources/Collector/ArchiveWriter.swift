import BGPWire
public import MRT
#if canImport(Glibc)
import Glibc
#endif

/// Archives a live feed the way RIS and RouteViews publish theirs: BGP4MP_ET
/// updates files rotated every `updatesInterval` seconds
/// (`updates.YYYYMMDD.HHMM.gz`) under a per-collector directory.
///
/// A file appears under its final name only when complete: records go to a
/// hidden `.name.tmp`, which is flushed, fsynced and renamed at rotation. After
/// a crash, `recover()` keeps every complete record of a leftover temporary file
/// (the MRT reader stops at the first torn record), so nothing archived is lost
/// or duplicated.
public final class ArchiveWriter {
    public let directory: String
    public let updatesInterval: Int64
    public let gzip: Bool
    var current: (start: Int64, writer: MRTWriter, tmp: String, final: String)?
    public private(set) var completed: [String] = []

    /// `[archive] retention`: published files whose period ended longer ago are removed.
    public var retention: Int64?
    /// `[archive] max_size`: past it the oldest published files are removed.
    public var maxBytes: Int64?
    /// Told of each file removed, and why (for the log).
    public var onRemove: (String, String) -> Void = { _, _ in }

    /// zlib level: 1 by default, since a live collector compresses on its receive path
    /// (the files are ordinary gzip whatever the level).
    public var gzipLevel: Int32 = 1

    public init(directory: String, updatesInterval: Int64 = 300, gzip: Bool = true) throws {
        self.directory = directory
        self.updatesInterval = updatesInterval
        self.gzip = gzip
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw InputError("\(directory): cannot create: \(String(cString: strerror(errno)))")
        }
    }

    /// The RIS-style name of the file for the period starting at `t`.
    public func name(kind: String, start t: Int64) -> String {
        "\(kind).\(UTCTime.archiveStamp(t))" + (gzip ? ".gz" : "")
    }

    /// Archives one record, rotating first when its time is past the current file's period.
    public func append(_ record: MRTRecord) throws {
        try append(bytes: record.encode(), timestamp: record.timestamp)
    }

    /// Archives an already-encoded record.
    ///
    /// Files only move forward: a published file is never opened again. A record stamped in
    /// an earlier period than the open file's (a router's clock, two sessions racing for the
    /// lock) goes into the open file with its own timestamp, as RIS files also hold; one
    /// stamped in a period whose file is already published (the process restarted inside
    /// it, or the feed was quiet across a rotation) starts the next period's file.
    public func append(bytes: [UInt8], timestamp: UInt32) throws {
        let t = Int64(timestamp)
        var start = t - t % updatesInterval
        if let c = current, start > c.start { try rotate() }
        if current == nil {
            while access("\(directory)/\(name(kind: "updates", start: start))", F_OK) == 0 { start += updatesInterval }
            let final = "\(directory)/\(name(kind: "updates", start: start))"
            let tmp = "\(directory)/.\(name(kind: "updates", start: start)).tmp"
            current = (start, try MRTWriter(path: tmp, gzip: gzip, level: gzipLevel), tmp, final)
        }
        try current!.writer.write(bytes: bytes)
    }

    /// Hands the current file's records to the kernel: after a crash of the process
    /// (not of the machine) the file is readable up to here.
    public func flush() throws {
        try current?.writer.flush()
    }

    /// Completes the current file once its period is over, even if the feed went quiet.
    public func rotateIfDue(now t: Int64) throws {
        if let c = current, t - t % updatesInterval != c.start { try rotate() }
    }

    /// Writes a RIB snapshot (`bview.…`) the same way: a hidden temporary file,
    /// fsynced and renamed into place only when complete. It touches nothing the updates
    /// file uses, so it may run beside the archive's writer queue; the retention pass after
    /// it goes through that queue (`SharedArchive.prune`).
    public func writeSnapshot(at t: Int64, _ body: (MRTWriter) throws -> Void) throws -> String {
        let name = name(kind: "bview", start: t)
        let final = "\(directory)/\(name)", tmp = "\(directory)/.\(name).tmp"
        let w = try MRTWriter(path: tmp, gzip: gzip, level: gzipLevel)
        do { try body(w) } catch {
            try? w.close()
            unlink(tmp)
            throw error
        }
        try w.close()
        guard rename(tmp, final) == 0 else { throw InputError("\(final): rename failed: \(String(cString: strerror(errno)))") }
        fsyncDirectory()
        return final
    }

    /// Completes the current file: flush, fsync, rename into place.
    public func rotate() throws {
        guard let c = current else { return }
        current = nil
        try c.writer.close()
        guard rename(c.tmp, c.final) == 0 else { throw InputError("\(c.final): rename failed: \(String(cString: strerror(errno)))") }
        fsyncDirectory()
        completed.append(c.final)
        prune(now: Int64(time(nil)))
    }

    /// Removes published files (`updates.*`, `bview.*` with their stamp; nothing else, never a
    /// temporary file) whose period ended more than `retention` ago, then the oldest while the
    /// folder holds more than `maxBytes`. The newest RIB dump and the newest updates file stay,
    /// whatever the limits: without them the archive could not be replayed from now.
    @discardableResult
    public func prune(now: Int64) -> [String] {
        guard retention != nil || maxBytes != nil, let d = opendir(directory) else { return [] }
        var files: [(name: String, start: Int64, size: Int64, rib: Bool)] = []
        while let ent = readdir(d) {
            let n = withUnsafePointer(to: ent.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            guard n.hasPrefix("updates.") || n.hasPrefix("bview."), let t = UTCTime.archiveStamp(in: n) else { continue }
            var st = stat()
            guard stat("\(directory)/\(n)", &st) == 0 else { continue }
            files.append((n, t, Int64(st.st_size), n.hasPrefix("bview.")))
        }
        closedir(d)
        files.sort { ($0.start, $0.name) < ($1.start, $1.name) }
        let keep = Set([files.last(where: \.rib)?.name, files.last(where: { !$0.rib })?.name].compactMap { $0 })
        var total = files.reduce(0) { $0 + $1.size }
        var removed: [String] = []
        for f in files where !keep.contains(f.name) {
            let old = retention.map { f.start + (f.rib ? 0 : updatesInterval) <= now - $0 } ?? false
            let over = maxBytes.map { total > $0 } ?? false
            // Oldest first: once a file is neither too old nor needed for the quota, no later one is.
            guard old || over else { break }
            guard unlink("\(directory)/\(f.name)") == 0 else { continue }
            total -= f.size
            removed.append(f.name)
            onRemove(f.name, old ? "its period ended more than \(retention!) s ago (archive.retention)"
                                 : "the archive holds more than \(maxBytes!) bytes (archive.max_size)")
        }
        if !removed.isEmpty { fsyncDirectory() }
        return removed
    }

    func fsyncDirectory() {
        let fd = open(directory, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// The complete records of an archive file (none if it does not exist), as bytes.
    func records(of path: String) throws -> [[UInt8]] {
        guard access(path, F_OK) == 0 else { return [] }
        var out: [[UInt8]] = []
        let r = try MRTReader(path: path)
        while let raw = try r.next() {
            var w = ByteWriter(capacity: Int(raw.header.length) + 16)
            w.u32(raw.header.timestamp); w.u16(raw.header.type.rawValue); w.u16(raw.header.subtype)
            if let us = raw.header.microseconds { w.u32(raw.header.length + 4); w.u32(us) } else { w.u32(raw.header.length) }
            w.append(raw.body)
            out.append(w.bytes)
        }
        return out
    }

    /// After a crash: each leftover temporary file is cut to its complete records
    /// and put in place (merged with a final file of the same period, if one exists).
    /// Returns the files recovered and the records kept.
    @discardableResult
    public func recover() throws -> [(file: String, records: Int)] {
        var out: [(String, Int)] = []
        guard let d = opendir(directory) else { return [] }
        var names: [String] = []
        while let ent = readdir(d) {
            let n = withUnsafePointer(to: ent.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if n.hasPrefix("."), n.hasSuffix(".tmp") { names.append(n) }
        }
        closedir(d)
        for n in names.sorted() {
            // A snapshot cut short is worth nothing (the next one replaces it).
            if n.hasPrefix(".bview.") { unlink("\(directory)/\(n)"); continue }
            let tmp = "\(directory)/\(n)"
            let final = "\(directory)/\(n.dropFirst().dropLast(4))"
            // Whatever the final file already holds comes first, then the complete records of the temporary one.
            let records = try records(of: final) + records(of: tmp)
            let rebuilt = "\(tmp).recovered"
            let w = try MRTWriter(path: rebuilt, gzip: gzip)
            for r in records { try w.write(bytes: r) }
            try w.close()
            guard rename(rebuilt, final) == 0 else { throw InputError("\(final): rename failed") }
            unlink(tmp)
            fsyncDirectory()
            out.append((final, records.count))
        }
        return out
    }
}
