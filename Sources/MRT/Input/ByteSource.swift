#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Somewhere bytes come from, read in large blocks: a file, stdin, or a
/// decompressor in front of one.
public protocol ByteSource {
    /// Fills up to `buffer.count` bytes; 0 means the end of input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// An input error that is not about the bytes' meaning: open, read, decompress.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A file descriptor read with read(2): no Foundation, no per-call allocation.
public final class FileSource: ByteSource {
    let fd: Int32
    let owned: Bool
    public let name: String
    /// Bytes read so far (of the file as stored, before decompression): for progress bars.
    public private(set) var position = 0
    /// Size of the file, when it is a regular file.
    public private(set) var size: Int? = nil

    public init(path: String) throws {
        if path == "-" {
            fd = 0
            owned = false
            name = "[stdin]"
            return
        }
        let f = open(path, O_RDONLY)
        guard f >= 0 else { throw InputError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        if fstat(f, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(f)
            throw InputError("\(path): is a directory")
        }
        fd = f
        owned = true
        name = path
        if (st.st_mode & S_IFMT) == S_IFREG { size = Int(st.st_size) }
    }

    deinit { if owned { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            #else
            let n = Darwin.read(fd, buffer.baseAddress, buffer.count)
            #endif
            if n >= 0 {
                position += n
                return n
            }
            if errno == EINTR { continue }
            throw InputError("\(name): read failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Bytes already in memory (tests, fuzzing).
public struct MemorySource: ByteSource {
    let bytes: [UInt8]
    var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        if n > 0 {
            bytes.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
            }
        }
        offset += n
        return n
    }
}

/// How an input is compressed, told from its first bytes rather than its name:
/// archives are often renamed, and stdin has no name at all.
public enum Compression: String, Sendable {
    case none, gzip, bzip2

    public static func detect(_ head: UnsafeRawBufferPointer) -> Compression {
        if head.count >= 2, head[0] == 0x1F, head[1] == 0x8B { return .gzip }
        if head.count >= 3, head[0] == 0x42, head[1] == 0x5A, head[2] == 0x68 { return .bzip2 }
        return .none
    }
}
