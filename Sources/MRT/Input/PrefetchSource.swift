import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Runs a slow source (a decompressor) on its own thread, a few blocks ahead
/// of the reader, so that decompression and parsing overlap on two cores.
public final class PrefetchSource: ByteSource {
    /// What the producer thread owns; it outlives the source until the thread ends.
    final class Shared: @unchecked Sendable {
        var inner: any ByteSource
        let blocks: [UnsafeMutableRawBufferPointer]
        var lengths: [Int]
        var errors: [(any Error)?]
        let empty: DispatchSemaphore
        let full = DispatchSemaphore(value: 0)
        // Written by the reader, read by the producer after each wait.
        var cancelled = false

        init(_ inner: any ByteSource, blocks n: Int, size: Int) {
            self.inner = inner
            blocks = (0..<n).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16) }
            lengths = Array(repeating: 0, count: n)
            errors = Array(repeating: nil, count: n)
            empty = DispatchSemaphore(value: n)
        }

        deinit { for b in blocks { b.deallocate() } }

        func produce() {
            var w = 0
            while true {
                empty.wait()
                if cancelled { return }
                do {
                    lengths[w] = try inner.read(into: blocks[w])
                } catch {
                    lengths[w] = 0
                    errors[w] = error
                }
                let done = lengths[w] == 0
                full.signal()
                if done { return }
                w = (w + 1) % blocks.count
            }
        }
    }

    let shared: Shared
    var current = -1
    var offset = 0
    var finished = false

    public init(_ inner: any ByteSource, blocks: Int = 4, blockSize: Int = 1 << 20) {
        shared = Shared(inner, blocks: blocks, size: blockSize)
        let s = shared
        DetachedThread.start { s.produce() }
    }

    deinit {
        shared.cancelled = true
        shared.empty.signal()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished { return 0 }
        if current < 0 || offset == shared.lengths[current] {
            if current >= 0 { shared.empty.signal() }
            current = (current + 1) % shared.blocks.count
            offset = 0
            shared.full.wait()
            if let e = shared.errors[current] {
                finished = true
                throw e
            }
            if shared.lengths[current] == 0 {
                finished = true
                return 0
            }
        }
        let n = min(buffer.count, shared.lengths[current] - offset)
        buffer.baseAddress!.copyMemory(from: shared.blocks[current].baseAddress! + offset, byteCount: n)
        offset += n
        return n
    }
}

/// A plain OS thread: the producer blocks on I/O and semaphores, which must not tie up Dispatch's pool.
public enum DetachedThread {
    public static func start(_ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            b.body()
            return nil
        }, box)
        if rc != 0 {
            // No thread: run inline later is impossible here, so fail loudly.
            fatalError("pthread_create failed: \(rc)")
        }
        pthread_detach(tid)
    }
}
