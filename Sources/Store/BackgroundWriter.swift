import Dispatch
import Foundation
public import Signals

/// Writes a replay's bins on a thread of their own, so the routing engine never waits on the
/// database: the two overlap on two cores. At most `depth` bins wait; past that the engine waits
/// (memory stays bounded however slow the disk). A write that fails is reported by the next call.
public final class BackgroundWriter: @unchecked Sendable {
    let store: any SeriesStore
    let step: Int64
    let queue = DispatchQueue(label: "vigil.store.writer")
    let slots: DispatchSemaphore
    let lock = NSLock()
    var failure: (any Error)?

    public init(store: any SeriesStore, step: Int64, depth: Int = 4) {
        self.store = store
        self.step = step
        slots = DispatchSemaphore(value: max(1, depth))
    }

    /// Queues whole bins for writing, in order; throws the error of an earlier write, if any.
    public func submit(_ rows: [SeriesRow]) throws {
        try check()
        guard !rows.isEmpty else { return }
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard lock.withLock({ failure == nil }) else { return }
            do { try store.write(rows, step: step) } catch { lock.withLock { failure = error } }
        }
    }

    /// Waits for every queued bin to be written.
    public func finish() throws {
        queue.sync {}
        try check()
    }

    func check() throws {
        if let e = lock.withLock({ failure }) { throw e }
    }
}
