import Dispatch
import Foundation
public import Signals

/// Writes a replay's bins on a thread of their own, so the routing engine never waits on the
/// database: the two overlap on two cores. Bins that queue up while a write runs go together in
/// the next one (one transaction of whole bins: a page several bins touch is written once). At
/// most `depth` bins wait; past that the engine waits (memory stays bounded however slow the
/// disk). A write that fails is reported by the next call.
public final class BackgroundWriter: @unchecked Sendable {
    let store: any SeriesStore
    let step: Int64
    let queue = DispatchQueue(label: "vigil.store.writer")
    let slots: DispatchSemaphore
    let lock = NSLock()
    var pending: [SeriesRow] = []
    var pendingBins = 0
    var draining = false
    var failure: (any Error)?

    public init(store: any SeriesStore, step: Int64, depth: Int = 8) {
        self.store = store
        self.step = step
        slots = DispatchSemaphore(value: max(1, depth))
    }

    /// Queues whole bins for writing, in order; throws the error of an earlier write, if any.
    public func submit(_ rows: [SeriesRow]) throws {
        try check()
        guard !rows.isEmpty else { return }
        slots.wait()
        let start = lock.withLock {
            pending += rows
            pendingBins += 1
            defer { draining = true }
            return !draining
        }
        if start { queue.async { [self] in drain() } }
    }

    /// Writes what is pending, and what came meanwhile, until nothing is.
    func drain() {
        while true {
            let (rows, bins) = lock.withLock { () -> ([SeriesRow], Int) in
                defer { pending = []; pendingBins = 0 }
                if pending.isEmpty { draining = false }
                return (pending, pendingBins)
            }
            guard !rows.isEmpty else { return }
            if lock.withLock({ failure == nil }) {
                do { try blockingWait { [store, step] in try await store.write(rows, step: step) } } catch { lock.withLock { failure = error } }
            }
            for _ in 0..<bins { slots.signal() }
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
