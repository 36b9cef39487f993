public import BGPWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one target got from a `Prober.probe` call.
public struct ProbeResult: Equatable, Sendable {
    public var target: IPAddress
    /// Echo requests handed to the kernel.
    public var sent: Int
    /// Distinct probes answered (duplicates count once).
    public var answered: Int
    /// Round-trip times in seconds of the answered probes, in probe order.
    public var rtts: [Double]

    public init(target: IPAddress, sent: Int = 0, answered: Int = 0, rtts: [Double] = []) {
        self.target = target
        self.sent = sent
        self.answered = answered
        self.rtts = rtts
    }
}

/// Totals of the last `probe` call.
public struct ProbeStats: Equatable, Sendable {
    public var sent = 0
    public var sendErrors = 0
    public var answered = 0
    /// Replies with our identifier and run that matched no probe (wrong source, duplicate).
    public var unmatched = 0
    /// Matched replies whose receive time came from the kernel (SO_TIMESTAMPNS).
    public var kernelTimestamps = 0
    /// Probes sent as link-layer frames (`Sender.packet`); the rest went through the raw socket.
    public var frames = 0
    /// Seconds from the first send to the last send.
    public var sendSeconds = 0.0
    public var totalSeconds = 0.0
    public init() {}
}

/// How IPv4 probes leave: through the raw socket (the kernel routes each one), or as
/// link-layer frames to the next hop (`PacketPath`: faster, opt-in).
public enum Sender: String, Sendable {
    case socket, packet
}

public enum ProbeError: Error, CustomStringConvertible {
    case socket(String, Int32)
    case badRate(Double)

    public var description: String {
        switch self {
        case let .socket(what, e): return "\(what): \(String(cString: strerror(e)))"
        case let .badRate(r): return "bad probe rate \(r)"
        }
    }
}

/// Which kind of ICMP socket a `Prober` uses.
public enum SocketKind: String, Sendable {
    /// SOCK_RAW: needs CAP_NET_RAW; the socket sees all ICMP traffic and filters by identifier.
    case raw
    /// Linux's unprivileged "ping" socket (SOCK_DGRAM + IPPROTO_ICMP/ICMPV6): no capability,
    /// but the process's group must be within `net.ipv4.ping_group_range` (per network
    /// namespace, IPv6 included; default "1 0" = nobody). The kernel assigns the identifier.
    case datagram
    /// Raw when permitted, else (EPERM/EACCES) datagram. `Prober.socketKind` tells which.
    case auto
}

/// One ICMP echo sender/receiver pair (IPv4 and IPv6) over raw or ping sockets. The caller's
/// thread sends at `rate` packets/s (token bucket); one receive thread polls both sockets and
/// matches replies by identifier, run (sequence) and probe id. No thread per probe.
/// Only the addresses passed to `probe` are ever sent to.
public final class Prober {
    /// Echo identifier of IPv4 probes. With datagram sockets it is the one the kernel assigned
    /// to the IPv4 socket (the `identifier` argument is then ignored).
    public let identifier: UInt16
    /// Echo identifier of IPv6 probes: `identifier` for raw sockets; for datagram sockets the
    /// kernel assigns one per socket, and the IPv6 socket gets its own.
    public let identifierV6: UInt16
    /// The kind actually in use: `.raw` or `.datagram`, never `.auto`.
    public let socketKind: SocketKind
    /// Packets per second, all targets together.
    public var rate: Double
    /// Seconds to wait for replies after the last send.
    public var timeout: Double
    public private(set) var lastStats = ProbeStats()

    let fd4: Int32
    let fd6: Int32  // -1 when IPv6 is unavailable
    /// The IPv4 raw socket takes our own IP header (IP_HDRINCL).
    let headerIncluded: Bool
    /// IPv4 probes as link-layer frames where the next hop is known (`Sender.packet`).
    let packetPath: PacketPath?
    public var sender: Sender { packetPath == nil ? .socket : .packet }
    private var run: UInt16

    public var hasIPv6: Bool { fd6 >= 0 }

    /// SO_TIMESTAMPNS / SCM_TIMESTAMPNS (asm-generic and x86: 35); not imported by Glibc.
    static let soTimestampNS: Int32 = 35

    /// `identifier` defaults to one derived from the process id (raw sockets only).
    /// `kind` picks raw sockets (CAP_NET_RAW), Linux ping sockets, or the first that works.
    /// `sender: .packet` sends IPv4 probes as link-layer frames (see `PacketPath`; raw sockets only).
    public init(identifier: UInt16? = nil, rate: Double = 10_000, timeout: Double = 3,
                kind: SocketKind = .raw, sender: Sender = .socket) throws(ProbeError) {
        guard rate > 0, rate.isFinite else { throw .badRate(rate) }
        let s = try Prober.openSockets(kind, identifier: identifier ?? UInt16(truncatingIfNeeded: getpid()))
        self.identifier = s.id4
        self.identifierV6 = s.id6
        self.socketKind = s.kind
        self.headerIncluded = s.headerIncluded
        if sender == .packet {
            guard s.kind == .raw, let path = PacketPath() else {
                let e = errno
                close(s.fd4)
                if s.fd6 >= 0 { close(s.fd6) }
                throw .socket("the packet sender needs raw sockets and socket(AF_PACKET) (CAP_NET_RAW)", s.kind == .raw ? e : EPERM)
            }
            packetPath = path
        } else {
            packetPath = nil
        }
        self.rate = rate
        self.timeout = timeout
        self.run = UInt16.random(in: 0...UInt16.max)
        fd4 = s.fd4
        fd6 = s.fd6
        for fd in [fd4, fd6] where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var on: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, Prober.soTimestampNS, &on, socklen_t(MemoryLayout<Int32>.size))
            var size: Int32 = 8 << 20
            if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
            size = 4 << 20
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    deinit {
        close(fd4)
        if fd6 >= 0 { close(fd6) }
    }

    /// Sends `count` echo requests to each target (round-robin over the list), waits up to
    /// `timeout` after the last send (less once everything is answered), and returns one
    /// result per target, in order. IPv6 targets are skipped (sent 0) if IPv6 is unavailable.
    public func probe(_ targets: [IPAddress], count: Int = 1) -> [ProbeResult] {
        let count = max(0, count)
        run &+= 1
        let total = targets.count * count
        guard total > 0, total <= Int(UInt32.max) else {
            lastStats = ProbeStats()
            return targets.map { ProbeResult(target: $0) }
        }
        let state = ReceiveState(targets: targets, count: count, identifier4: identifier, identifier6: identifierV6,
                                 datagram: socketKind == .datagram, run: run, fd4: fd4, fd6: fd6)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { state.receiveLoop(); done.signal() }
        thread.name = "vigil-probe-rx"
        thread.start()

        let started = Prober.monotonic()
        var sentFlags = [Bool](repeating: false, count: total)
        var stats = ProbeStats()
        let burst = max(1.0, min(rate / 100, 256))
        var tokens = 1.0
        var last = started
        let batch = SendBatch()
        batch.headerIncluded = headerIncluded
        func flush() {
            batch.flush { probeID, ok in
                if ok {
                    sentFlags[probeID] = true
                    stats.sent += 1
                } else {
                    stats.sendErrors += 1
                }
            }
        }
        for k in 0..<count {
            for (t, target) in targets.enumerated() {
                let probeID = k * targets.count + t
                // Token bucket: wait (bounded: rate > 0 refills) for one token; what is
                // gathered leaves before any wait, so no probe sits stamped in the batch.
                while tokens < 1 {
                    let now = Prober.monotonic()
                    tokens = min(burst, tokens + (now - last) * rate)
                    last = now
                    if tokens < 1 {
                        flush()
                        Prober.sleep(seconds: (1 - tokens) / rate)
                    }
                }
                tokens -= 1
                let v6 = target.isIPv6
                var fd = v6 ? fd6 : fd4
                guard fd >= 0 else {
                    stats.sendErrors += 1
                    continue
                }
                var hop: PacketPath.Hop?
                if let path = packetPath, case let .v4(a) = target, let h = path.hop(for: a) {
                    hop = h
                    fd = path.fd
                    stats.frames += 1
                }
                if batch.count > 0 && (batch.fd != fd || batch.isFull) { flush() }
                // Ping sockets overwrite the identifier anyway; writing theirs keeps packets self-describing.
                let echo = ICMP.Echo(v6: v6, isReply: false, identifier: v6 ? identifierV6 : identifier, sequence: run,
                                     probeID: UInt32(probeID), sentNanos: Prober.realtimeNanos())
                batch.add(echo, to: target, fd: fd, probeID: probeID, hop: hop)
            }
        }
        flush()
        let lastSend = Prober.monotonic()
        stats.sendSeconds = lastSend - started
        state.finishSending(sent: stats.sent, deadline: lastSend + max(0, timeout))
        done.wait()

        var results = targets.map { ProbeResult(target: $0) }
        for probeID in 0..<total where sentFlags[probeID] {
            let t = probeID % targets.count
            results[t].sent += 1
            let rtt = state.rtts[probeID]
            if rtt >= 0 {
                results[t].answered += 1
                results[t].rtts.append(rtt)
            }
        }
        stats.answered = results.reduce(0) { $0 + $1.answered }
        stats.unmatched = state.unmatched
        stats.kernelTimestamps = state.kernelTimestamps
        stats.totalSeconds = Prober.monotonic() - started
        lastStats = stats
        return results
    }

    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// CLOCK_REALTIME in ns: the clock SO_TIMESTAMPNS stamps packets with.
    static func realtimeNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        _ = nanosleep(&ts, nil)
    }
}

/// State owned by the receive thread; the sender only hands it the final count and deadline.
private final class ReceiveState: @unchecked Sendable {
    let targets: [IPAddress]
    let count: Int
    let identifier4: UInt16
    let identifier6: UInt16
    /// Ping sockets: IPv4 replies come without the IP header, the source in msg_name.
    let datagram: Bool
    let run: UInt16
    let fd4: Int32
    let fd6: Int32
    /// Seconds per probe; -1 unanswered. Written only by the receive thread; read after it ends.
    var rtts: [Double]
    var unmatched = 0
    var kernelTimestamps = 0
    private var answered = 0

    private let lock = NSLock()
    private var sendingDone = false
    private var sentTotal = 0
    private var deadline = Double.infinity

    init(targets: [IPAddress], count: Int, identifier4: UInt16, identifier6: UInt16, datagram: Bool,
         run: UInt16, fd4: Int32, fd6: Int32) {
        self.targets = targets
        self.count = count
        self.identifier4 = identifier4
        self.identifier6 = identifier6
        self.datagram = datagram
        self.run = run
        self.fd4 = fd4
        self.fd6 = fd6
        rtts = [Double](repeating: -1, count: targets.count * count)
    }

    func finishSending(sent: Int, deadline: Double) {
        lock.lock()
        sendingDone = true
        sentTotal = sent
        self.deadline = deadline
        lock.unlock()
    }

    private func shouldStop(now: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return sendingDone && (answered >= sentTotal || now >= deadline)
    }

    func receiveLoop() {
        var fds = [pollfd(fd: fd4, events: Int16(POLLIN), revents: 0)]
        if fd6 >= 0 { fds.append(pollfd(fd: fd6, events: Int16(POLLIN), revents: 0)) }
        // Ends: once sending is done the deadline is finite, and each pass polls ≤ 10 ms
        // and drains at most a bounded number of packets.
        while !shouldStop(now: Prober.monotonic()) {
            for i in fds.indices { fds[i].revents = 0 }
            let r = poll(&fds, nfds_t(fds.count), 10)
            if r <= 0 { continue }
            for i in fds.indices where fds[i].revents & Int16(POLLIN) != 0 {
                drain(fd: fds[i].fd, v6: fds[i].fd == fd6)
            }
            // Let replies gather for a moment rather than wake per packet: on one core the
            // sender and this thread would otherwise switch for every reply (measured: the
            // largest cost of a fast scan). RTTs come from kernel receive stamps, so waiting
            // here does not lengthen them; the socket buffer holds far more than 1 ms of replies.
            if isSending { Prober.sleep(seconds: 0.001) }
        }
    }

    private var isSending: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !sendingDone
    }

    /// Reads what is queued (bounded: 256 batches a call) and matches it.
    private func drain(fd: Int32, v6: Bool) {
        let batch = receiveBatch
        for _ in 0..<256 {
            let got = batch.receive(fd)
            if got <= 0 { return }  // EAGAIN (drained) or error
            for k in 0..<got {
                handle(batch.packet(k), name: batch.name(k), control: batch.control(k), v6: v6)
            }
        }
    }

    let receiveBatch = ReceiveBatch()

    private func handle(_ bytes: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer, control: UnsafeRawBufferPointer, v6: Bool) {
        let kernelNanos = ReceiveState.timestamp(control: control)
        let receivedNanos = kernelNanos ?? Prober.realtimeNanos()
        let family = name.count >= 2 ? name.loadUnaligned(fromByteOffset: 0, as: sa_family_t.self) : 0
        let source: IPAddress
        let echo: ICMP.Echo
        if v6 {
            guard let e = ICMP.parse(icmp: bytes, v6: true), family == sa_family_t(AF_INET6), name.count >= 24 else { return }
            // sockaddr_in6: family(2) port(2) flowinfo(4) addr(16)
            source = .v6(ICMP.getBE64(name, 8), ICMP.getBE64(name, 16))
            echo = e
        } else if datagram {
            guard let e = ICMP.parse(icmp: bytes, v6: false), family == sa_family_t(AF_INET), name.count >= 8 else { return }
            // sockaddr_in: family(2) port(2) addr(4)
            source = .v4(ICMP.getBE32(name, 4))
            echo = e
        } else {
            guard let (s, e) = ICMP.parse(ipv4Packet: bytes) else { return }
            source = s
            echo = e
        }
        // Each ping socket has its own kernel-assigned identifier, hence one per family.
        guard echo.isReply, echo.identifier == (v6 ? identifier6 : identifier4), echo.sequence == run else { return }
        let probeID = Int(echo.probeID)
        guard probeID < rtts.count, targets[probeID % targets.count] == source, rtts[probeID] < 0 else {
            unmatched += 1
            return
        }
        let rtt = receivedNanos >= echo.sentNanos ? Double(receivedNanos - echo.sentNanos) / 1e9 : 0
        rtts[probeID] = rtt
        if kernelNanos != nil { kernelTimestamps += 1 }
        lock.lock()
        answered += 1
        lock.unlock()
    }

    /// The SCM_TIMESTAMPNS value among the control messages, in ns (CLOCK_REALTIME).
    static func timestamp(control c: UnsafeRawBufferPointer) -> UInt64? {
        // struct cmsghdr { size_t len; int level; int type; } then data, aligned to size_t.
        let header = 16
        var off = 0
        for _ in 0..<16 {
            guard off + header <= c.count else { return nil }
            let len = Int(c.loadUnaligned(fromByteOffset: off, as: UInt64.self))
            let level = c.loadUnaligned(fromByteOffset: off + 8, as: Int32.self)
            let type = c.loadUnaligned(fromByteOffset: off + 12, as: Int32.self)
            guard len >= header, off + len <= c.count else { return nil }
            if level == SOL_SOCKET, type == Prober.soTimestampNS, len >= header + 16 {
                let sec = c.loadUnaligned(fromByteOffset: off + header, as: Int64.self)
                let nsec = c.loadUnaligned(fromByteOffset: off + header + 8, as: Int64.self)
                guard sec >= 0, nsec >= 0 else { return nil }
                return UInt64(sec) &* 1_000_000_000 &+ UInt64(nsec)
            }
            off += (len + 7) & ~7
        }
        return nil
    }
}
