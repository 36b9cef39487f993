import BGPWire
#if canImport(Glibc)
import Glibc
#endif

/// Opening the prober's sockets: raw (CAP_NET_RAW) or the unprivileged ping socket.
extension Prober {
    struct Sockets {
        var kind: SocketKind
        var fd4: Int32
        var fd6: Int32
        var id4: UInt16
        var id6: UInt16
        var headerIncluded = false
    }

    static func openSockets(_ kind: SocketKind, identifier: UInt16) throws(ProbeError) -> Sockets {
        switch kind {
        case .raw:
            return try openRaw(identifier: identifier)
        case .datagram:
            return try openDatagram(rawErrno: nil)
        case .auto:
            do throws(ProbeError) {
                return try openRaw(identifier: identifier)
            } catch {
                // Only a missing privilege is worth a fallback; anything else would fail the same way.
                guard case let .socket(_, e) = error, e == EPERM || e == EACCES else { throw error }
                return try openDatagram(rawErrno: e)
            }
        }
    }

    static func openRaw(identifier: UInt16) throws(ProbeError) -> Sockets {
        let fd4 = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_ICMP))
        guard fd4 >= 0 else { throw .socket("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) (raw ICMP needs CAP_NET_RAW; without it use kind .datagram or .auto with net.ipv4.ping_group_range)", errno) }
        let fd6 = socket(AF_INET6, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_ICMPV6))
        attachEchoReplyFilter(fd4, v6: false, identifier: identifier)
        if fd6 >= 0 { attachEchoReplyFilter(fd6, v6: true, identifier: identifier) }
        // Our own IPv4 header: the kernel then neither builds one nor picks an IP id per packet
        // (together ~10% of a fast sweep's CPU, measured with perf).
        var on: Int32 = 1
        let hdrincl = setsockopt(fd4, Int32(IPPROTO_IP), IP_HDRINCL, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
        return Sockets(kind: .raw, fd4: fd4, fd6: fd6, id4: identifier, id6: identifier, headerIncluded: hdrincl)
    }

    static func openDatagram(rawErrno: Int32?) throws(ProbeError) -> Sockets {
        let fd4 = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), Int32(IPPROTO_ICMP))
        guard fd4 >= 0 else {
            let e = errno
            var what = "socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP): "
            if let rawErrno {
                what = "raw ICMP socket refused (\(String(cString: strerror(rawErrno))); it needs CAP_NET_RAW), then " + what
            }
            if e == EACCES {
                let gid = getegid()
                what += "unprivileged ping sockets need the process's group (gid \(gid)) within "
                    + "net.ipv4.ping_group_range (now \"\(pingGroupRange() ?? "?")\"): run "
                    + "`sysctl -w net.ipv4.ping_group_range=\"\(gid) \(gid)\"` (in this network namespace), "
                    + "or give the process CAP_NET_RAW and use raw sockets"
            } else if e == EPROTONOSUPPORT || e == EAFNOSUPPORT || e == ESOCKTNOSUPPORT {
                what += "this kernel offers no ICMP ping sockets; give the process CAP_NET_RAW and use raw sockets"
            } else {
                what.removeLast(2)
            }
            throw .socket(what, e)
        }
        guard let id4 = bindPing(fd4, v6: false) else {
            let e = errno
            close(fd4)
            throw .socket("bind/getsockname of the IPv4 ping socket", e)
        }
        // IPv6 stays optional, as with raw sockets (e.g. IPv6 disabled).
        var fd6 = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), Int32(IPPROTO_ICMPV6))
        var id6 = id4
        if fd6 >= 0 {
            if let id = bindPing(fd6, v6: true) {
                id6 = id
            } else {
                close(fd6)
                fd6 = -1
            }
        }
        return Sockets(kind: .datagram, fd4: fd4, fd6: fd6, id4: id4, id6: id6)
    }

    /// Binds a ping socket to port 0, which makes the kernel pick a free echo identifier
    /// (its "port"), and reads that identifier back. It would otherwise be picked on the first
    /// send, too late for the receive thread's matching. nil (errno set) on failure.
    static func bindPing(_ fd: Int32, v6: Bool) -> UInt16? {
        var bound: Int32
        if v6 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            bound = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            bound = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard bound == 0 else { return nil }
        var name = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &name) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard r == 0 else { return nil }
        // sockaddr_in and sockaddr_in6 both hold the port at bytes 2-3, big-endian.
        let id = withUnsafeBytes(of: &name) { ICMP.getBE16($0, 2) }
        return id
    }

    /// The namespace's ping_group_range as "lo hi", for error messages.
    static func pingGroupRange() -> String? {
        let fd = Glibc.open("/proc/sys/net/ipv4/ping_group_range", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n], as: UTF8.self).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// A raw ICMP socket is handed every ICMP packet the host receives — other
    /// probers' replies included (a zmap or fping running beside us sends
    /// hundreds of thousands a second) — and under such a flood our own replies
    /// can overflow the socket buffer. A classic BPF filter (as ping's) lets the
    /// kernel queue only echo replies carrying our identifier. A failure to attach
    /// is not fatal: matching in user space stays exact, only slower under floods.
    static func attachEchoReplyFilter(_ fd: Int32, v6: Bool, identifier: UInt16) {
        // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }
        typealias Insn = (code: UInt16, jt: UInt8, jf: UInt8, k: UInt32)
        let id = UInt32(identifier)
        let program: [Insn] = v6
            ? [(0x30, 0, 0, 0),          // ldb [0]: ICMPv6 type (raw IPv6 sockets start at the ICMPv6 header)
               (0x15, 0, 3, 129),        // echo reply, else drop
               (0x28, 0, 0, 4),          // ldh [4]: identifier
               (0x15, 0, 1, id),
               (0x06, 0, 0, 0xFFFF),     // accept
               (0x06, 0, 0, 0)]          // drop
            : [(0xB1, 0, 0, 0),          // ldxb 4*([0]&0xf): IPv4 header length
               (0x50, 0, 0, 0),          // ldb [x+0]: ICMP type
               (0x15, 0, 3, 0),          // echo reply, else drop
               (0x48, 0, 0, 4),          // ldh [x+4]: identifier
               (0x15, 0, 1, id),
               (0x06, 0, 0, 0xFFFF),
               (0x06, 0, 0, 0)]
        var raw = [UInt8](repeating: 0, count: program.count * 8)
        for (i, insn) in program.enumerated() {
            raw.withUnsafeMutableBytes { b in
                b.storeBytes(of: insn.code, toByteOffset: i * 8, as: UInt16.self)
                b.storeBytes(of: insn.jt, toByteOffset: i * 8 + 2, as: UInt8.self)
                b.storeBytes(of: insn.jf, toByteOffset: i * 8 + 3, as: UInt8.self)
                b.storeBytes(of: insn.k, toByteOffset: i * 8 + 4, as: UInt32.self)
            }
        }
        raw.withUnsafeMutableBytes { insns in
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (pointer at offset 8 on 64-bit)
            var fprog = [UInt8](repeating: 0, count: 16)
            fprog.withUnsafeMutableBytes { f in
                f.storeBytes(of: UInt16(program.count), toByteOffset: 0, as: UInt16.self)
                f.storeBytes(of: UInt(bitPattern: insns.baseAddress), toByteOffset: 8, as: UInt.self)
                _ = setsockopt(fd, SOL_SOCKET, soAttachFilter, f.baseAddress, socklen_t(f.count))
            }
        }
    }

    /// SO_ATTACH_FILTER (asm-generic: 26); not imported by Glibc.
    static let soAttachFilter: Int32 = 26
}
