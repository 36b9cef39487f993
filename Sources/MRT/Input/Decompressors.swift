import CCompression

/// Streams gzip through zlib, including files made of several gzip members
/// (concatenated archives): at the end of one member it starts the next,
/// so no data after the first member is silently lost.
public final class GzipSource: ByteSource {
    var inner: any ByteSource
    /// On the heap: zlib keeps a pointer back to the stream and checks it on every call.
    let streamPtr: UnsafeMutablePointer<z_stream> = {
        let p = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        p.initialize(to: z_stream())
        return p
    }()
    var input: UnsafeMutableRawBufferPointer
    var inputEnd = false
    var finished = false
    var midMember = false
    var pendingError: InputError?
    let name: String

    public init(_ inner: any ByteSource, name: String, prefix: [UInt8] = [], blockSize: Int = 1 << 20) throws {
        self.inner = inner
        self.name = name
        input = .allocate(byteCount: max(blockSize, prefix.count), alignment: 16)
        guard vigil_inflate_init(streamPtr) == Z_OK else { throw InputError("\(name): zlib init failed") }
        if !prefix.isEmpty {
            prefix.withUnsafeBytes { input.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: prefix.count) }
            streamPtr.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            streamPtr.pointee.avail_in = UInt32(prefix.count)
        }
    }

    deinit {
        inflateEnd(streamPtr); streamPtr.deallocate()
        input.deallocate()
    }

    func refill() throws {
        let n = try inner.read(into: input)
        if n == 0 { inputEnd = true }
        streamPtr.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        streamPtr.pointee.avail_in = UInt32(n)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished {
            if let e = pendingError { pendingError = nil; throw e }
            return 0
        }
        if buffer.count == 0 { return 0 }
        streamPtr.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        streamPtr.pointee.avail_out = UInt32(buffer.count)
        while streamPtr.pointee.avail_out > 0 {
            if streamPtr.pointee.avail_in == 0 && !inputEnd { try refill() }
            if streamPtr.pointee.avail_in == 0 && inputEnd {
                if midMember { pendingError = InputError("\(name): gzip stream truncated (unexpected end of file)") }
                finished = true
                break
            }
            let rc = inflate(streamPtr, Z_NO_FLUSH)
            midMember = true
            if rc == Z_STREAM_END {
                // Another member may follow: reset and go on while input remains.
                midMember = false
                if streamPtr.pointee.avail_in == 0 && !inputEnd { try refill() }
                if streamPtr.pointee.avail_in == 0 { finished = true; break }
                inflateReset(streamPtr)
                continue
            }
            if rc == Z_BUF_ERROR { continue }
            if rc != Z_OK {
                let msg = streamPtr.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                finished = true
                pendingError = InputError("\(name): gzip data corrupt after \(streamPtr.pointee.total_in) compressed bytes of this member: \(msg)")
                break
            }
        }
        let produced = buffer.count - Int(streamPtr.pointee.avail_out)
        if produced == 0, let e = pendingError { pendingError = nil; throw e }
        return produced
    }
}

/// Streams bzip2 through libbz2, re-initialising at each stream end so that
/// concatenated bzip2 files are read whole.
public final class Bzip2Source: ByteSource {
    var inner: any ByteSource
    /// On the heap: libbz2 keeps a pointer back to the stream and checks it on every call.
    let streamPtr: UnsafeMutablePointer<bz_stream> = {
        let p = UnsafeMutablePointer<bz_stream>.allocate(capacity: 1)
        p.initialize(to: bz_stream())
        return p
    }()
    var input: UnsafeMutableRawBufferPointer
    var inputEnd = false
    var finished = false
    var inStream = true
    var midStream = false
    var pendingError: InputError?
    let name: String

    public init(_ inner: any ByteSource, name: String, prefix: [UInt8] = [], blockSize: Int = 1 << 20) throws {
        self.inner = inner
        self.name = name
        input = .allocate(byteCount: max(blockSize, prefix.count), alignment: 16)
        guard BZ2_bzDecompressInit(streamPtr, 0, 0) == BZ_OK else { throw InputError("\(name): bzip2 init failed") }
        if !prefix.isEmpty {
            prefix.withUnsafeBytes { input.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: prefix.count) }
            streamPtr.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: CChar.self)
            streamPtr.pointee.avail_in = UInt32(prefix.count)
        }
    }

    deinit {
        if inStream { BZ2_bzDecompressEnd(streamPtr) }
        streamPtr.deallocate()
        input.deallocate()
    }

    func refill() throws {
        let n = try inner.read(into: input)
        if n == 0 { inputEnd = true }
        streamPtr.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: CChar.self)
        streamPtr.pointee.avail_in = UInt32(n)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished {
            if let e = pendingError { pendingError = nil; throw e }
            return 0
        }
        if buffer.count == 0 { return 0 }
        streamPtr.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
        streamPtr.pointee.avail_out = UInt32(buffer.count)
        while streamPtr.pointee.avail_out > 0 {
            if streamPtr.pointee.avail_in == 0 && !inputEnd { try refill() }
            if streamPtr.pointee.avail_in == 0 && inputEnd {
                if inStream && midStream { pendingError = InputError("\(name): bzip2 stream truncated (unexpected end of file)") }
                finished = true
                break
            }
            if !inStream {
                guard BZ2_bzDecompressInit(streamPtr, 0, 0) == BZ_OK else { throw InputError("\(name): bzip2 init failed") }
                inStream = true
            }
            let rc = BZ2_bzDecompress(streamPtr)
            midStream = true
            if rc == BZ_STREAM_END {
                // Concatenated streams: start again while input remains.
                BZ2_bzDecompressEnd(streamPtr)
                inStream = false
                midStream = false
                continue
            }
            if rc != BZ_OK {
                finished = true
                pendingError = InputError("\(name): bzip2 data corrupt (libbz2 error \(rc))")
                break
            }
        }
        let produced = buffer.count - Int(streamPtr.pointee.avail_out)
        if produced == 0, let e = pendingError { pendingError = nil; throw e }
        return produced
    }
}

/// Opens a path ("-" for stdin) and puts the right decompressor in front of it.
public func openInput(_ path: String) throws -> any ByteSource {
    try openInput(file: FileSource(path: path))
}

public func openInput(file: FileSource) throws -> any ByteSource {
    var head = [UInt8](repeating: 0, count: 3)
    var got = 0
    while got < 3 {
        let n = try head.withUnsafeMutableBytes { try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) }
        if n == 0 { break }
        got += n
    }
    head.removeLast(3 - got)
    let kind = head.withUnsafeBytes { Compression.detect($0) }
    switch kind {
    // Decompression runs a few blocks ahead on its own thread.
    case .gzip: return PrefetchSource(try GzipSource(file, name: file.name, prefix: head))
    case .bzip2: return PrefetchSource(try Bzip2Source(file, name: file.name, prefix: head))
    case .none: return PrefixedSource(head: head, rest: file)
    }
}

/// Gives back the bytes read for detection before the rest of the source.
struct PrefixedSource: ByteSource {
    var head: [UInt8]
    var rest: any ByteSource
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if !head.isEmpty {
            let n = min(head.count, buffer.count)
            head.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            head.removeFirst(n)
            return n
        }
        return try rest.read(into: buffer)
    }
}

/// Reads a whole (small) input, decompressing as needed: for text files such as RIR statistics.
public func readWholeInput(_ path: String) throws -> [UInt8] {
    var src = try openInput(path)
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
        if n == 0 { return out }
        out += buf[0..<n]
    }
}
