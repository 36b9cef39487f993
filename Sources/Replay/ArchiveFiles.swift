#if canImport(Glibc)
import Glibc
#endif

/// Expands the paths a user names into archive files: a directory stands for
/// the files inside it (recursively), in name order, which for RIS and
/// RouteViews layouts is time order.
public func archiveFiles(_ paths: [String]) throws -> [String] {
    var out: [String] = []
    for p in paths {
        var st = stat()
        guard stat(p, &st) == 0 else { throw ReplayError("\(p): no such file or directory") }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            out += try listFiles(p).sorted { baseName($0) == baseName($1) ? $0 < $1 : baseName($0) < baseName($1) }
        } else {
            out.append(p)
        }
    }
    return out
}

func baseName(_ p: String) -> Substring { p.split(separator: "/").last ?? Substring(p) }

func listFiles(_ dir: String) throws -> [String] {
    guard let d = opendir(dir) else { throw ReplayError("\(dir): cannot read directory") }
    defer { closedir(d) }
    var out: [String] = []
    while let ent = readdir(d) {
        let name = withUnsafePointer(to: ent.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        if name.hasPrefix(".") { continue }
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
