public import BGPWire

/// ICMP echo request/reply for IPv4 (types 8/0, RFC 792) and IPv6 (128/129, RFC 4443).
///
/// Vigil's echo payload is 16 bytes: a magic ("VGL1"), a probe id and the send time in
/// nanoseconds (CLOCK_REALTIME), all big-endian, so a reply names its probe and its RTT
/// even when replies come back out of order.
public enum ICMP {
    public static let magic: UInt32 = 0x5647_4C31  // "VGL1"
    public static let headerSize = 8
    public static let payloadSize = 16
    /// Bytes of one echo message (header + payload), without any IP header.
    public static let echoSize = headerSize + payloadSize

    public static let echoRequestV4: UInt8 = 8
    public static let echoReplyV4: UInt8 = 0
    public static let echoRequestV6: UInt8 = 128
    public static let echoReplyV6: UInt8 = 129

    /// An echo message as Vigil writes it.
    public struct Echo: Equatable, Sendable {
        public var v6: Bool
        public var isReply: Bool
        public var identifier: UInt16
        public var sequence: UInt16
        public var probeID: UInt32
        public var sentNanos: UInt64

        public init(v6: Bool, isReply: Bool, identifier: UInt16, sequence: UInt16, probeID: UInt32, sentNanos: UInt64) {
            self.v6 = v6
            self.isReply = isReply
            self.identifier = identifier
            self.sequence = sequence
            self.probeID = probeID
            self.sentNanos = sentNanos
        }

        public var type: UInt8 {
            v6 ? (isReply ? ICMP.echoReplyV6 : ICMP.echoRequestV6) : (isReply ? ICMP.echoReplyV4 : ICMP.echoRequestV4)
        }
    }

    /// The Internet checksum (RFC 1071) of `bytes`: one's complement of the one's complement
    /// sum of 16-bit big-endian words, an odd last byte padded with zero. No allocation.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var sum: UInt64 = 0
        let n = bytes.count
        var i = 0
        while i + 1 < n {
            sum &+= UInt64(bytes[i]) << 8 | UInt64(bytes[i + 1])
            i += 2
        }
        if i < n { sum &+= UInt64(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(truncatingIfNeeded: sum)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt16 { bytes.withUnsafeBytes { checksum($0) } }

    /// Writes `echo` (header + Vigil payload) at the start of `buf` and returns the bytes
    /// written (`echoSize`), or 0 if `buf` is too small. For IPv4 the checksum is filled in;
    /// for IPv6 it is left 0: the kernel computes it (it needs the pseudo-header).
    @discardableResult
    public static func write(_ echo: Echo, into buf: UnsafeMutableRawBufferPointer) -> Int {
        guard buf.count >= echoSize else { return 0 }
        buf[0] = echo.type
        buf[1] = 0
        buf[2] = 0
        buf[3] = 0
        putBE(echo.identifier, buf, 4)
        putBE(echo.sequence, buf, 6)
        putBE(magic, buf, 8)
        putBE(echo.probeID, buf, 12)
        putBE(echo.sentNanos, buf, 16)
        if !echo.v6 {
            let c = checksum(UnsafeRawBufferPointer(rebasing: buf[0..<echoSize]))
            putBE(c, buf, 2)
        }
        return echoSize
    }

    public static func bytes(_ echo: Echo) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: echoSize)
        out.withUnsafeMutableBytes { _ = write(echo, into: $0) }
        return out
    }

    /// Parses an ICMP message (no IP header) as a Vigil echo. Returns nil for anything
    /// else: other types, codes, foreign payloads, short input, or (IPv4, when asked) a bad checksum.
    public static func parse(icmp b: UnsafeRawBufferPointer, v6: Bool, verifyChecksum: Bool = true) -> Echo? {
        guard b.count >= echoSize else { return nil }
        let type = b[0]
        let isReply: Bool
        if v6 {
            guard type == echoReplyV6 || type == echoRequestV6 else { return nil }
            isReply = type == echoReplyV6
        } else {
            guard type == echoReplyV4 || type == echoRequestV4 else { return nil }
            isReply = type == echoReplyV4
            if verifyChecksum && checksum(b) != 0 { return nil }
        }
        guard b[1] == 0, getBE32(b, 8) == magic else { return nil }
        return Echo(v6: v6, isReply: isReply, identifier: getBE16(b, 4), sequence: getBE16(b, 6),
                    probeID: getBE32(b, 12), sentNanos: getBE64(b, 16))
    }

    public static func parse(icmp bytes: [UInt8], v6: Bool, verifyChecksum: Bool = true) -> Echo? {
        bytes.withUnsafeBytes { parse(icmp: $0, v6: v6, verifyChecksum: verifyChecksum) }
    }

    /// Parses what a raw IPv4 ICMP socket returns: the IPv4 header (any IHL, options
    /// skipped) then the ICMP message. Returns the packet's source and the echo.
    public static func parse(ipv4Packet b: UnsafeRawBufferPointer) -> (source: IPAddress, echo: Echo)? {
        guard b.count >= 20, b[0] >> 4 == 4 else { return nil }
        let ihl = Int(b[0] & 0x0F) * 4
        guard ihl >= 20, b.count >= ihl, b[9] == 1 else { return nil }
        // Only first fragments carry the ICMP header (the kernel reassembles anyway).
        guard getBE16(b, 6) & 0x1FFF == 0 else { return nil }
        let src = IPAddress.v4(getBE32(b, 12))
        guard let echo = parse(icmp: UnsafeRawBufferPointer(rebasing: b[ihl...]), v6: false) else { return nil }
        return (src, echo)
    }

    public static func parse(ipv4Packet bytes: [UInt8]) -> (source: IPAddress, echo: Echo)? {
        bytes.withUnsafeBytes { parse(ipv4Packet: $0) }
    }

    // MARK: big-endian helpers (bounds are checked by the callers above)

    @inline(__always) static func getBE16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(b[o]) << 8 | UInt16(b[o + 1])
    }
    @inline(__always) static func getBE32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(getBE16(b, o)) << 16 | UInt32(getBE16(b, o + 2))
    }
    @inline(__always) static func getBE64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        UInt64(getBE32(b, o)) << 32 | UInt64(getBE32(b, o + 4))
    }
    @inline(__always) static func putBE<T: FixedWidthInteger>(_ v: T, _ b: UnsafeMutableRawBufferPointer, _ o: Int) {
        let size = MemoryLayout<T>.size
        for k in 0..<size { b[o + k] = UInt8(truncatingIfNeeded: v >> ((size - 1 - k) * 8)) }
    }
}
