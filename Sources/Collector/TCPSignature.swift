public import BGPWire
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Per-peer TCP protections set on sockets: MD5 signatures (RFC 2385, `TCP_MD5SIG`: segments
/// from the peer's address without the right signature are dropped by the kernel, before any
/// byte reaches Vigil) and GTSM (RFC 5082, `IP_MINTTL` 255: packets from further than one
/// hop away are dropped).
enum TCPSignature {
    /// `struct tcp_md5sig`, carried to the event loop that sets it.
    struct Option: @unchecked Sendable { var value = tcp_md5sig() }

    /// The option for `peer` on a socket of the given family (an IPv4 peer on an IPv6
    /// socket is keyed by its mapped address, as the kernel sees it there).
    static func option(peer: IPAddress, key: [UInt8], v6Socket: Bool) -> Option {
        var o = Option()
        withUnsafeMutableBytes(of: &o.value.tcpm_addr) { a in
            switch peer {
            case let .v4(x) where !v6Socket:
                a.storeBytes(of: sa_family_t(AF_INET), toByteOffset: 0, as: sa_family_t.self)
                a.storeBytes(of: x.bigEndian, toByteOffset: 4, as: UInt32.self)
            case let .v4(x):
                a.storeBytes(of: sa_family_t(AF_INET6), toByteOffset: 0, as: sa_family_t.self)
                a.storeBytes(of: UInt16(0xFFFF), toByteOffset: 18, as: UInt16.self)
                a.storeBytes(of: x.bigEndian, toByteOffset: 20, as: UInt32.self)
            case let .v6(hi, lo):
                a.storeBytes(of: sa_family_t(AF_INET6), toByteOffset: 0, as: sa_family_t.self)
                a.storeBytes(of: hi.bigEndian, toByteOffset: 8, as: UInt64.self)
                a.storeBytes(of: lo.bigEndian, toByteOffset: 16, as: UInt64.self)
            }
        }
        let n = min(key.count, Int(TCP_MD5SIG_MAXKEYLEN))
        o.value.tcpm_keylen = UInt16(n)
        withUnsafeMutableBytes(of: &o.value.tcpm_key) { k in for i in 0..<n { k[i] = key[i] } }
        return o
    }

    /// Sets the peer's MD5 key on a listening or not yet connected socket.
    static func setMD5(_ channel: any Channel, peer: IPAddress, key: [UInt8], v6Socket: Bool) -> EventLoopFuture<Void> {
        guard let p = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        return p.unsafeSetSocketOption(level: SocketOptionLevel(IPPROTO_TCP), name: SocketOptionName(TCP_MD5SIG),
                                       value: option(peer: peer, key: key, v6Socket: v6Socket))
    }

    /// GTSM on a connected socket: only packets sent with TTL (hop limit) 255 are accepted.
    static func setMinimumTTL(_ channel: any Channel, v6Socket: Bool) -> EventLoopFuture<Void> {
        let option = v6Socket ? ChannelOptions.Types.SocketOption(level: SocketOptionLevel(IPPROTO_IPV6), name: SocketOptionName(IPV6_MINHOPCOUNT))
                              : ChannelOptions.Types.SocketOption(level: SocketOptionLevel(IPPROTO_IP), name: SocketOptionName(IP_MINTTL))
        return channel.setOption(option, value: 255)
    }
}
