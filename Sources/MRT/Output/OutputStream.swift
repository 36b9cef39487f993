#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered output straight to a file descriptor with write(2): the dump
/// paths produce hundreds of MB/s, which `print` cannot carry.
public final class FDOutput {
    let fd: Int32
    public var buffer: [UInt8] = []
    let flushAt: Int
    public private(set) var failed = false

    public init(fd: Int32 = 1, flushAt: Int = 1 << 18) {
        self.fd = fd
        self.flushAt = flushAt
        buffer.reserveCapacity(flushAt + 65536)
    }

    deinit { flush() }

    @inline(__always)
    public func flushIfNeeded() { if buffer.count >= flushAt { flush() } }

    public func flush() {
        var done = 0
        buffer.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    public func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        flushIfNeeded()
    }
}

/// Writes a line to standard error at once (reports must not wait behind buffered output).
public func printError(_ s: String) {
    var line = Array(s.utf8)
    line.append(10)
    line.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress!, $0.count) }
}
