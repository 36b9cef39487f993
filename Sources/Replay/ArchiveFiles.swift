import BGPWire
#if canImport(Glibc)
import Glibc
#endif

/// Expands the paths a user names into archive files: a directory stands for
/// the files inside it (recursively), in time order by the stamp in their names
/// (`updates.20141222.1615.gz`; see `ArchiveName`), so months in subfolders and
/// RouteViews' RIBS/ and UPDATES/ interleave rightly. Names without a stamp
/// come first, in name order.
public func archiveFiles(_ paths: [String]) throws -> [String] {
    var out: [String] = []
    for p in paths {
        if isDirectory(p) {
            let files = try listFiles(p).map { (path: $0, name: ArchiveName(path: $0)) }
            out += files.sorted { a, b in
                let ta = a.name.time ?? Int64.min, tb = b.name.time ?? Int64.min
                if ta != tb { return ta < tb }
                return baseName(a.path) == baseName(b.path) ? a.path < b.path : baseName(a.path) < baseName(b.path)
            }.map(\.path)
        } else {
            var st = stat()
            guard stat(p, &st) == 0 else { throw ReplayError("\(p): no such file or directory") }
            out.append(p)
        }
    }
    return out
}

public func isDirectory(_ p: String) -> Bool {
    var st = stat()
    return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

/// What an archive's name says, as RIS and RouteViews name them: a RIB dump
/// (`bview.YYYYMMDD.HHMM.gz`, `rib.YYYYMMDD.HHMM.bz2`, or anything in a `RIBS/`
/// folder) or updates, and the time of its first record (nil without a stamp).
public struct ArchiveName: Sendable {
    public var kind: ArchiveLayout.Kind
    public var time: Int64?

    public init(path: String) {
        let parts = path.split(separator: "/")
        let name = parts.last ?? Substring(path)
        let inRIBS = parts.count >= 2 && parts[parts.count - 2] == "RIBS"
        kind = inRIBS || name.hasPrefix("bview.") || name.hasPrefix("rib.") ? .rib : .updates
        time = UTCTime.archiveStamp(in: name)
    }
}

/// A collector's folder as RIS and RouteViews publish it, RIB dumps beside the
/// updates: the RIB to start from and the updates to replay, in time order.
public struct CollectorFolder: Sendable {
    /// The RIB dump to start from: the last at or before `start`, else the first one.
    public var rib: String?
    public var updates: [String]
    /// RIB dumps in the folder that are not replayed (the updates carry the state on).
    public var unusedRIBs: [String]
    /// When no RIB is at or before the start: the updates files older than the
    /// first RIB, left out (replaying them on top of it would be wrong).
    public var beforeRIB: [String]

    /// `start`: the first time to replay (--from), or nil for the first updates file's time.
    /// `wantRIB`: false when a RIB is given on the command line.
    public init(files: [String], start: Int64?, wantRIB: Bool) {
        var ribs: [(path: String, time: Int64?)] = []
        var ups: [(path: String, time: Int64?)] = []
        for f in files {
            let n = ArchiveName(path: f)
            if n.kind == .rib { ribs.append((f, n.time)) } else { ups.append((f, n.time)) }
        }
        updates = ups.map(\.path)
        beforeRIB = []
        rib = nil
        unusedRIBs = ribs.map(\.path)
        guard wantRIB, !ribs.isEmpty else { return }
        let from = start ?? ups.compactMap(\.time).min() ?? Int64.min
        let atOrBefore = ribs.lastIndex { ($0.time ?? Int64.min) <= from }
        let chosen = atOrBefore ?? 0
        rib = ribs[chosen].path
        unusedRIBs.remove(at: chosen)
        // Updates older than the RIB are before the start too, unless no RIB was at or before it.
        if let t = ribs[chosen].time {
            if atOrBefore == nil { beforeRIB = ups.filter { ($0.time ?? t) < t }.map(\.path) }
            updates = ups.filter { ($0.time ?? t) >= t }.map(\.path)
        }
    }
}

func baseName(_ p: String) -> Substring { p.split(separator: "/").last ?? Substring(p) }

/// Files kept beside archives (a README, checksums, bgpdump's text output) are not read as MRT
/// when a directory is given; named on their own they are, and rejected as usual.
func notAnArchive(_ name: String) -> Bool {
    let lower = name.lowercased()
    return lower.hasPrefix("readme") || lower.hasPrefix("license") || lower.hasPrefix("copying")
        || [".md", ".txt", ".json", ".html", ".csv", ".log", ".sha256", ".sha1", ".md5", ".asc", ".sig"].contains { lower.hasSuffix($0) }
}

func listFiles(_ dir: String) throws -> [String] {
    guard let d = opendir(dir) else { throw ReplayError("\(dir): cannot read directory") }
    defer { closedir(d) }
    var out: [String] = []
    while let ent = readdir(d) {
        let name = withUnsafePointer(to: ent.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        if name.hasPrefix(".") || notAnArchive(name) { continue }
        let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
        var st = stat()
        guard stat(path, &st) == 0 else { continue }
        if (st.st_mode & S_IFMT) == S_IFDIR { out += try listFiles(path) } else if (st.st_mode & S_IFMT) == S_IFREG { out.append(path) }
    }
    return out
}

public struct ReplayError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
