#if canImport(Glibc)
import Glibc
#endif

/// Signals as bytes on a pipe: the handler only writes one byte (async-signal-safe),
/// and a thread reads them. A dispatch signal source (what swift-service-lifecycle's
/// UnixSignals uses) is not used because on Linux it needs the signal blocked in every
/// thread, including those the runtime started before `run()`; a handler works whatever
/// thread the kernel picks. The service group is then shut down from here.
public final class SignalPipe: @unchecked Sendable {
    nonisolated(unsafe) static var writeFD: Int32 = -1
    let readFD: Int32

    public init(_ signals: [Int32]) {
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        readFD = fds[0]
        SignalPipe.writeFD = fds[1]
        // A parent may have started us with these signals blocked (Foundation's Process does):
        // unblock them here, so the kernel has a thread to deliver them to.
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in signals {
            var sa = sigaction()
            sa.__sigaction_handler.sa_handler = { sig in
                var b = UInt8(truncatingIfNeeded: sig)
                _ = write(SignalPipe.writeFD, &b, 1)
            }
            sigemptyset(&sa.sa_mask)
            sa.sa_flags = SA_RESTART
            sigaction(s, &sa, nil)
        }
    }

    /// The next signal, or nil once `timeout` seconds pass (nil: wait for ever).
    public func next(timeout: Double?) -> Int32? {
        var p = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        while true {
            let ms = timeout.map { Int32(min(max(0, $0) * 1000, Double(Int32.max))) } ?? -1
            let rc = poll(&p, 1, ms)
            if rc < 0 && errno == EINTR { continue }
            guard rc > 0 else { return nil }
            var b: UInt8 = 0
            if read(readFD, &b, 1) == 1 { return Int32(b) }
        }
    }

    /// Wakes `next` with a signal number as if it had arrived (the run's time limit).
    public func inject(_ sig: Int32) {
        var b = UInt8(truncatingIfNeeded: sig)
        _ = write(SignalPipe.writeFD, &b, 1)
    }
}
