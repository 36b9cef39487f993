public import BGPWire
#if canImport(Glibc)
import Glibc
#endif

/// A reader of MaxMind DB files (GeoLite2/GeoIP2 Country or City, and any other
/// database in that format), for IP address → country.
///
/// Layout: a binary search tree of `node_count` nodes with two records each,
/// 16 zero bytes, a data section, then the metadata map after the marker
/// "\xAB\xCD\xEFMaxMind.com". The file is mapped, not read: lookups touch a few pages.
public final class MMDB: @unchecked Sendable {
    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    let base: UnsafeRawPointer
    let size: Int
    public let nodeCount: Int
    public let recordSize: Int
    public let ipVersion: Int
    public let databaseType: String
    let treeSize: Int
    let dataStart: Int
    var ipv4Start = 0

    public init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FormatError(description: "\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { throw FormatError(description: "\(path): empty or unreadable") }
        size = Int(st.st_size)
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw FormatError(description: "\(path): cannot map the file")
        }
        let mapped = UnsafeRawPointer(m)
        base = mapped
        // The metadata marker is within the last 128 KiB.
        let marker: [UInt8] = [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
        var at = -1
        var i = size - marker.count
        let total = size
        while i >= max(0, total - 131_072) {
            if (0..<marker.count).allSatisfy({ mapped.load(fromByteOffset: i + $0, as: UInt8.self) == marker[$0] }) { at = i + marker.count; break }
            i -= 1
        }
        guard at >= 0 else {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
            throw FormatError(description: "\(path): not a MaxMind DB file (no metadata marker)")
        }
        var meta: [String: Value] = [:]
        var cursor = at
        var decoder = Decoder(base: base, size: size, sectionStart: at)
        if case let .map(mm)? = try? decoder.decode(&cursor) { meta = mm }
        guard case let .uint(nodes)? = meta["node_count"], case let .uint(rs)? = meta["record_size"],
              case let .uint(ipv)? = meta["ip_version"], [24, 28, 32].contains(rs) else {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
            throw FormatError(description: "\(path): metadata lacks node_count, record_size or ip_version")
        }
        // Each node takes at least 6 bytes: a larger count is corrupt (and would overflow the tree size).
        guard nodes <= UInt64(size / 6), ipv == 4 || ipv == 6 else {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
            throw FormatError(description: "\(path): node_count \(nodes) or ip_version \(ipv) does not fit the file")
        }
        nodeCount = Int(nodes)
        recordSize = Int(rs)
        ipVersion = Int(ipv)
        if case let .string(t)? = meta["database_type"] { databaseType = t } else { databaseType = "?" }
        treeSize = nodeCount * recordSize / 4
        dataStart = treeSize + 16
        guard dataStart <= size else {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
            throw FormatError(description: "\(path): search tree larger than the file")
        }
        if ipVersion == 6 {
            // IPv4 addresses live under ::/96: follow 96 zero bits once.
            var node = 0
            for _ in 0..<96 where node < nodeCount { node = record(node, right: false) }
            ipv4Start = node
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

    @inline(__always)
    func byte(_ i: Int) -> Int { Int(base.load(fromByteOffset: i, as: UInt8.self)) }

    func record(_ node: Int, right: Bool) -> Int {
        let o = node * recordSize / 4
        switch recordSize {
        case 24:
            let r = o + (right ? 3 : 0)
            return byte(r) << 16 | byte(r + 1) << 8 | byte(r + 2)
        case 28:
            if right { return (byte(o + 3) & 0x0F) << 24 | byte(o + 4) << 16 | byte(o + 5) << 8 | byte(o + 6) }
            return (byte(o + 3) >> 4) << 24 | byte(o) << 16 | byte(o + 1) << 8 | byte(o + 2)
        default:
            let r = o + (right ? 4 : 0)
            return byte(r) << 24 | byte(r + 1) << 16 | byte(r + 2) << 8 | byte(r + 3)
        }
    }

    /// The data record for an address, or nil when the database has none.
    public func lookup(_ address: IPAddress) -> [String: Value]? {
        var node: Int
        let bits: Int
        switch address {
        case .v4:
            node = ipVersion == 6 ? ipv4Start : 0
            bits = 32
        case .v6:
            guard ipVersion == 6 else { return nil }
            node = 0
            bits = 128
        }
        for i in 0..<bits {
            guard node < nodeCount else { break }
            let bit: Bool
            switch address {
            case let .v4(a): bit = (a >> UInt32(31 - i)) & 1 == 1
            case let .v6(h, l): bit = i < 64 ? (h >> UInt64(63 - i)) & 1 == 1 : (l >> UInt64(127 - i)) & 1 == 1
            }
            node = record(node, right: bit)
        }
        guard node > nodeCount else { return nil }
        let offset = node - nodeCount - 16
        var cursor = dataStart + offset
        guard cursor < size else { return nil }
        var decoder = Decoder(base: base, size: size, sectionStart: dataStart)
        if case let .map(m)? = try? decoder.decode(&cursor) { return m }
        return nil
    }

    /// ISO country code of an address: where it is used (`country`), else where it is registered.
    public func country(_ address: IPAddress) -> String? {
        guard let r = lookup(address) else { return nil }
        for key in ["country", "registered_country"] {
            if case let .map(c)? = r[key], case let .string(code)? = c["iso_code"] { return code }
        }
        return nil
    }

    /// A decoded data-section value.
    public indirect enum Value: Equatable, Sendable {
        case string(String), double(Double), bytes([UInt8]), uint(UInt64), int(Int32), bool(Bool)
        case map([String: Value]), array([Value])
    }

    /// The data-section decoder (MaxMind DB spec §"Data Section").
    struct Decoder {
        let base: UnsafeRawPointer
        let size: Int
        let sectionStart: Int
        var depth = 0

        func byte(_ i: Int) throws -> Int {
            guard i >= 0 && i < size else { throw FormatError(description: "data offset \(i) outside the file") }
            return Int(base.load(fromByteOffset: i, as: UInt8.self))
        }

        func uint(_ at: Int, _ n: Int) throws -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<n { v = v << 8 | UInt64(try byte(at + i)) }
            return v
        }

        mutating func decode(_ at: inout Int) throws -> Value {
            depth += 1
            defer { depth -= 1 }
            guard depth < 64 else { throw FormatError(description: "data nested too deep") }
            let ctrl = try byte(at)
            at += 1
            var type = ctrl >> 5
            if type == 1 {
                // Pointer: 1-4 more bytes, then decode what it points at (not following chains).
                let ss = (ctrl >> 3) & 3, vvv = ctrl & 7
                var p: Int
                switch ss {
                case 0: p = vvv << 8 | (try byte(at)); at += 1
                case 1: p = (vvv << 16 | Int(try uint(at, 2))) + 2048; at += 2
                case 2: p = (vvv << 24 | Int(try uint(at, 3))) + 526_336; at += 3
                default: p = Int(try uint(at, 4)); at += 4
                }
                var target = sectionStart + p
                return try decode(&target)
            }
            if type == 0 {
                type = 7 + (try byte(at))
                at += 1
            }
            var n = ctrl & 0x1F
            if n == 29 { n = 29 + (try byte(at)); at += 1 } else if n == 30 { n = 285 + Int(try uint(at, 2)); at += 2 } else if n == 31 {
                n = 65821 + Int(try uint(at, 3)); at += 3
            }
            switch type {
            case 2:
                guard at + n <= size else { throw FormatError(description: "string runs past the end") }
                let s = String(decoding: UnsafeRawBufferPointer(start: base + at, count: n), as: UTF8.self)
                at += n
                return .string(s)
            case 3:
                let v = Double(bitPattern: try uint(at, 8)); at += 8
                return .double(v)
            case 4:
                guard at + n <= size else { throw FormatError(description: "bytes run past the end") }
                let b = Array(UnsafeRawBufferPointer(start: base + at, count: n)); at += n
                return .bytes(b)
            case 5, 6, 9, 10:
                let v = try uint(at, min(n, 8)); at += n
                return .uint(v)
            case 8:
                let v = Int32(truncatingIfNeeded: try uint(at, n)); at += n
                return .int(v)
            case 7:
                var m: [String: Value] = [:]
                for _ in 0..<n {
                    guard case let .string(k) = try decode(&at) else { throw FormatError(description: "map key is not a string") }
                    m[k] = try decode(&at)
                }
                return .map(m)
            case 11:
                var a: [Value] = []
                for _ in 0..<n { a.append(try decode(&at)) }
                return .array(a)
            case 14:
                return .bool(n != 0)
            case 15:
                let v = Float(bitPattern: UInt32(try uint(at, 4))); at += 4
                return .double(Double(v))
            default:
                throw FormatError(description: "unknown data type \(type)")
            }
        }
    }
}
