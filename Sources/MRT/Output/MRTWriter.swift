import CCompression
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes MRT records to a file, plain or gzip-compressed (what RIS and
/// RouteViews publish, and what `vigil dump` and bgpdump read back).
public final class MRTWriter {
    let fd: Int32
    let path: String
    /// On the heap: zlib keeps a pointer back to the stream and checks it on every call.
    var zs: UnsafeMutablePointer<z_stream>? = nil
    var pending: [UInt8] = []
    var out: UnsafeMutableRawBufferPointer
    var closed = false

    public init(path: String, gzip: Bool = false, level: Int32 = 6) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw InputError("\(path): cannot create: \(String(cString: strerror(errno)))") }
        out = .allocate(byteCount: 1 << 16, alignment: 16)
        if gzip {
            let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            s.initialize(to: z_stream())
            guard vigil_deflate_init_gzip(s, level) == Z_OK else {
                s.deallocate()
                throw InputError("\(path): zlib deflate init failed")
            }
            zs = s
        }
        pending.reserveCapacity(1 << 16)
    }

    deinit {
        if !closed { try? close() }
        out.deallocate()
    }

    public func write(_ record: MRTRecord) throws {
        try write(bytes: record.encode())
    }

    /// Appends already-encoded record bytes.
    public func write(bytes: [UInt8]) throws {
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 16 { try drain(finish: false) }
    }

    func writeAll(_ p: UnsafeRawPointer, _ n: Int) throws {
        var done = 0
        while done < n {
            let w = Glibc.write(fd, p + done, n - done)
            if w < 0 {
                if errno == EINTR { continue }
                throw InputError("\(path): write failed: \(String(cString: strerror(errno)))")
            }
            done += w
        }
    }

    /// Hands everything written so far to the kernel (a gzip sync point), so a
    /// process killed now leaves a file readable up to here.
    public func flush() throws {
        guard !closed else { return }
        try drain(finish: false, sync: true)
    }

    func drain(finish: Bool, sync: Bool = false) throws {
        if zs == nil {
            try pending.withUnsafeBytes { try writeAll($0.baseAddress!, $0.count) }
            pending.removeAll(keepingCapacity: true)
            return
        }
        let zs = self.zs!
        try pending.withUnsafeMutableBytes { src in
            zs.pointee.next_in = src.baseAddress?.assumingMemoryBound(to: Bytef.self)
            zs.pointee.avail_in = UInt32(src.count)
            while true {
                zs.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                zs.pointee.avail_out = UInt32(out.count)
                let rc = deflate(zs, finish ? Z_FINISH : sync ? Z_SYNC_FLUSH : Z_NO_FLUSH)
                let produced = out.count - Int(zs.pointee.avail_out)
                if produced > 0 { try writeAll(out.baseAddress!, produced) }
                // A sync flush is complete when deflate left output space unused.
                if finish ? rc == Z_STREAM_END : zs.pointee.avail_in == 0 && (!sync || zs.pointee.avail_out > 0) { break }
                if rc != Z_OK && rc != Z_BUF_ERROR { throw InputError("\(path): deflate failed (\(rc))") }
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Flushes, finishes the gzip member, fsyncs and closes: after this returns the file is complete on disk.
    public func close() throws {
        guard !closed else { return }
        closed = true
        defer {
            if let zs { deflateEnd(zs); zs.deallocate() }
            Glibc.close(fd)
        }
        try drain(finish: true)
        fsync(fd)
    }
}
