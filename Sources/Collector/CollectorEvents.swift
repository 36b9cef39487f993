public import BGPWire
public import MRT
public import Routing
import NIOConcurrencyHelpers
import Dispatch
import NIOCore
public import Logging

/// A peer as the collector knows it (BGP peers and BMP-monitored peers alike):
/// the routing state's peer identity, address and AS.
public typealias PeerInfo = PeerKey

/// What a collector front end (BGP listener, active peer, BMP station) reports.
/// Callbacks come from event-loop threads: keep them short and thread-safe.
public struct CollectorEvents: Sendable {
    public var onEstablished: @Sendable (PeerInfo, SessionMachine.Negotiated) -> Void = { _, _ in }
    public var onDown: @Sendable (PeerInfo, String) -> Void = { _, _ in }
    /// A validated UPDATE, the options to read it by, and when it was received (seconds, microseconds).
    public var onUpdate: @Sendable (PeerInfo, UpdateDecision, SessionOptions, UInt32, UInt32) -> Void = { _, _, _, _, _ in }
    /// Flow control, asked after each read: false when the pipeline is full. The connection then
    /// stops reading (NIO autoRead off; TCP pushes back on the peer) until `resume` is called.
    public var admit: @Sendable (_ resume: @escaping @Sendable () -> Void) -> Bool = { _ in true }
    /// Where sessions and the BMP station log (metadata `bgp.peer.address`, `bgp.peer.as`, `bmp.router`).
    public var logger = Logger(label: "vigil.collector")
    public init() {}
}

/// An `ArchiveWriter` shared by every session. Records are written (compressed, flushed,
/// fsynced at rotation) on one serial queue of their own, in the order they were handed
/// over, so no event loop waits for the disk; past `maxPendingBytes` not yet written, the
/// caller waits for the queue to drain (a disk slower than the feeds pushes back on them).
public final class SharedArchive: @unchecked Sendable {
    public let writer: ArchiveWriter
    let queue = DispatchQueue(label: "vigil.archive")
    let pending = NIOLockedValueBox(0)
    let onError: @Sendable (String) -> Void
    public var maxPendingBytes = 64 << 20

    public init(_ writer: ArchiveWriter, onError: @escaping @Sendable (String) -> Void = { _ in }) {
        self.writer = writer
        self.onError = onError
    }

    public func append(_ bytes: [UInt8], timestamp: UInt32) {
        let n = bytes.count
        let over = pending.withLockedValue { p -> Bool in
            p += n
            return p > maxPendingBytes
        }
        queue.async { [self] in
            do { try writer.append(bytes: bytes, timestamp: timestamp) } catch { onError("archive: \(error)") }
            pending.withLockedValue { $0 -= n }
        }
        if over { queue.sync {} }
    }

    /// A BGP4MP_ET STATE_CHANGE record for a peer (FSM state numbers of RFC 6396 §4.4.1).
    public func stateChange(_ peering: BGP4MPPeering, old: UInt16, new: UInt16, at t: (UInt32, UInt32)) {
        append(MRTRecord(timestamp: t.0, microseconds: t.1, body: .stateChange(StateChange(peering: peering, oldState: old, newState: new))).encode(),
               timestamp: t.0)
    }

    /// Called every second or so: completes a file whose period is over, flushes the current one.
    public func flush(now: Int64) {
        queue.async { [self] in
            do {
                try writer.rotateIfDue(now: now)
                try writer.flush()
            } catch { onError("archive: \(error)") }
        }
    }

    /// Completes the current file (and the period's files) now, once every record handed over is in it.
    public func rotate() {
        queue.sync {
            do { try writer.rotate() } catch { onError("archive: \(error)") }
        }
    }

    /// Applies retention and quota on the writer's queue (after a RIB snapshot).
    public func prune() {
        queue.async { [self] in _ = writer.prune(now: Int64(time(nil))) }
    }

    /// Bytes handed over and not yet written.
    public var pendingBytes: Int { pending.withLockedValue { $0 } }
}

#if canImport(Glibc)
import Glibc
#endif

/// Pauses a connection's reading while the pipeline is full (the BGP session and BMP router
/// handlers both use it, on their event loop).
struct ReadThrottle {
    private(set) var paused = false

    /// After a read: asks the pipeline; when it is full, turns reading off until it calls back.
    mutating func check(_ events: CollectorEvents, _ channel: any Channel, onResume: @escaping () -> Void) {
        guard !paused else { return }
        let loop = channel.eventLoop
        let resumed = NIOLoopBound(onResume, eventLoop: loop)
        let admitted = events.admit {
            loop.execute {
                resumed.value()
                channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            }
        }
        if !admitted {
            paused = true
            channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
    }

    mutating func resumed() { paused = false }
}

/// Wall-clock time as (seconds, microseconds), what MRT's _ET records carry.
public func wallClock() -> (UInt32, UInt32) {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return (UInt32(ts.tv_sec), UInt32(ts.tv_nsec / 1000))
}
