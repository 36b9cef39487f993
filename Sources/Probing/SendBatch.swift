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

    /// IPv4 header (IP_HDRINCL or a link-layer frame), then the echo request.
    static let slot = 20 + ICMP.echoSize
    let packets = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * slot, alignment: 8)
    /// The raw IPv4 socket takes our own header: the kernel neither builds one nor picks an id.
    var headerIncluded = false
    var ipID: UInt16 = 0
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

    /// Adds one request for `fd` (the caller flushes first when `fd` differs from the batch's);
    /// with `hop`, `fd` is the link-layer socket and the frame goes to the hop's MAC.
    func add(_ echo: ICMP.Echo, to target: IPAddress, fd: Int32, probeID: Int, hop: PacketPath.Hop? = nil) {
        precondition(count < Self.capacity && (count == 0 || fd == self.fd))
        self.fd = fd
        let i = count
        let start = packets.baseAddress! + i * Self.slot
        var n = 0
        if case let .v4(destination) = target, headerIncluded || hop != nil {
            writeIPv4Header(UnsafeMutableRawBufferPointer(start: start, count: 20), destination: destination, source: hop?.source)
            n = 20
        }
        n += ICMP.write(echo, into: UnsafeMutableRawBufferPointer(start: start + n, count: ICMP.echoSize))
        let name = names.baseAddress! + i * MemoryLayout<sockaddr_in6>.stride
        let nameLength: Int
        if let hop {
            name.storeBytes(of: hop.link.0, toByteOffset: 0, as: UInt64.self)
            name.storeBytes(of: hop.link.1, toByteOffset: 8, as: UInt64.self)
            name.storeBytes(of: hop.link.2, toByteOffset: 16, as: UInt32.self)
            nameLength = 20
        } else {
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

    /// Version 4, no options, DF, TTL 64, ICMP, our own id. For the raw socket the source and
    /// checksum stay 0 (the kernel fills both); a frame carries them itself.
    func writeIPv4Header(_ h: UnsafeMutableRawBufferPointer, destination: UInt32, source: UInt32?) {
        ipID = ipID == UInt16.max ? 1 : ipID + 1  // non-zero: the kernel keeps it
        h.storeBytes(of: 0x45, toByteOffset: 0, as: UInt8.self)
        h.storeBytes(of: 0, toByteOffset: 1, as: UInt8.self)
        ICMP.putBE(UInt16(20 + ICMP.echoSize), h, 2)
        ICMP.putBE(ipID, h, 4)
        ICMP.putBE(UInt16(0x4000), h, 6)
        h.storeBytes(of: 64, toByteOffset: 8, as: UInt8.self)
        h.storeBytes(of: 1, toByteOffset: 9, as: UInt8.self)
        ICMP.putBE(UInt16(0), h, 10)
        ICMP.putBE(source ?? 0, h, 12)
        ICMP.putBE(destination, h, 16)
        if source != nil { ICMP.putBE(ICMP.checksum(UnsafeRawBufferPointer(h)), h, 10) }
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
