import BGPWire
#if canImport(Glibc)
import Glibc
#endif

/// Echo requests gathered and handed to the kernel with one `sendmmsg` call
/// (up to `capacity`), instead of one `sendto` each: at 100k+ probes/s the
/// syscall per packet is a cost worth removing. All buffers are allocated once.
/// A batch holds one address family (one socket); the caller flushes before
/// switching, before waiting for the rate limit, and at the end — so at low
/// rates every probe still leaves the moment it is stamped.
final class SendBatch {
    static let capacity = 32
    /// struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; } (Glibc does not import it).
    struct MMsgHdr {
        var hdr = msghdr()
        var len: UInt32 = 0
    }
    typealias SendMMsg = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32) -> Int32
    /// Looked up at run time: `sendmmsg` is a GNU extension the Glibc module does not import.
    static let sendmmsg: SendMMsg? = dlsym(nil, "sendmmsg").map { unsafeBitCast($0, to: SendMMsg.self) }

    /// IPv4 header, when the raw socket has IP_HDRINCL, then the echo request.
    static let slot = 20 + ICMP.echoSize
    let packets = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * slot, alignment: 8)
    /// IPv4 requests carry our own header (IP_HDRINCL): the kernel skips building one.
    var headerIncluded = false
    var ipID: UInt16 = 1
    let names = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * MemoryLayout<sockaddr_in6>.stride, alignment: 8)
    let iovecs = UnsafeMutablePointer<iovec>.allocate(capacity: capacity)
    let headers = UnsafeMutablePointer<MMsgHdr>.allocate(capacity: capacity)
    var probeIDs = [Int](repeating: 0, count: capacity)
    private(set) var count = 0
    private(set) var fd: Int32 = -1

    init() {
        headers.initialize(repeating: MMsgHdr(), count: Self.capacity)
        iovecs.initialize(repeating: iovec(), count: Self.capacity)
    }

    deinit {
        packets.deallocate()
        names.deallocate()
        iovecs.deallocate()
        headers.deallocate()
    }

    var isFull: Bool { count == Self.capacity }

    /// Adds one request for `fd` (the caller flushes first when `fd` differs from the batch's).
    func add(_ echo: ICMP.Echo, to target: IPAddress, fd: Int32, probeID: Int) {
        precondition(count < Self.capacity && (count == 0 || fd == self.fd))
        self.fd = fd
        let i = count
        var packet = UnsafeMutableRawBufferPointer(rebasing: packets[(i * Self.slot)..<((i + 1) * Self.slot)])
        var n = 0
        if headerIncluded, case let .v4(dst) = target {
            // version 4, IHL 5, total length, id (ours, non-zero: the kernel then keeps it), DF,
            // TTL 64, ICMP; checksum and source 0: the kernel fills both.
            let h = packet
            h.storeBytes(of: 0x45, toByteOffset: 0, as: UInt8.self)
            h.storeBytes(of: 0, toByteOffset: 1, as: UInt8.self)
            ICMP.putBE(UInt16(20 + ICMP.echoSize), h, 2)
            ipID = ipID == UInt16.max ? 1 : ipID + 1
            ICMP.putBE(ipID, h, 4)
            ICMP.putBE(UInt16(0x4000), h, 6)
            h.storeBytes(of: 64, toByteOffset: 8, as: UInt8.self)
            h.storeBytes(of: 1, toByteOffset: 9, as: UInt8.self)
            ICMP.putBE(UInt16(0), h, 10)
            ICMP.putBE(UInt32(0), h, 12)
            ICMP.putBE(dst, h, 16)
            n = 20
            packet = UnsafeMutableRawBufferPointer(rebasing: packet[20...])
        }
        n += ICMP.write(echo, into: packet)
        let start = packets.baseAddress! + i * Self.slot
        let stride = MemoryLayout<sockaddr_in6>.stride
        let name = names.baseAddress! + i * stride
        let nameLength: Int
        switch target {
        case let .v4(a):
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_addr.s_addr = a.bigEndian
            name.storeBytes(of: sa, as: sockaddr_in.self)
            nameLength = MemoryLayout<sockaddr_in>.size
        case let .v6(hi, lo):
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &sa.sin6_addr) { p in
                ICMP.putBE(hi, p, 0)
                ICMP.putBE(lo, p, 8)
            }
            name.storeBytes(of: sa, as: sockaddr_in6.self)
            nameLength = MemoryLayout<sockaddr_in6>.size
        }
        iovecs[i] = iovec(iov_base: start, iov_len: n)
        headers[i].hdr.msg_name = name
        headers[i].hdr.msg_namelen = socklen_t(nameLength)
        headers[i].hdr.msg_iov = iovecs + i
        headers[i].hdr.msg_iovlen = 1
        headers[i].len = 0
        probeIDs[i] = probeID
        count += 1
    }

    /// Sends what is gathered; `result(probeID, sent)` for each. A full socket buffer is
    /// waited out (bounded: 20 polls of 5 ms per stall); any other error fails that one probe.
    func flush(_ result: (Int, Bool) -> Void) {
        var next = 0
        var stalls = 0
        while next < count {
            let r: Int32
            if let mmsg = Self.sendmmsg {
                r = mmsg(fd, UnsafeMutableRawPointer(headers + next), UInt32(count - next), 0)
            } else {
                r = sendmsg(fd, &headers[next].hdr, 0) >= 0 ? 1 : -1
            }
            if r > 0 {
                for k in next..<(next + Int(r)) { result(probeIDs[k], true) }
                next += Int(r)
                stalls = 0
                continue
            }
            let e = errno
            if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == EINTR) && stalls < 20 {
                stalls += 1
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, 5)
                continue
            }
            // This message cannot go (no route, unreachable, stalled too long): count it and go on.
            result(probeIDs[next], false)
            next += 1
            stalls = 0
        }
        count = 0
    }
}
