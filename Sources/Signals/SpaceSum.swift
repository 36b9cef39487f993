import BGPWire

/// An entity's space, each address counted once: prefixes arrive in address order,
/// shorter first, so a more-specific inside one already counted adds nothing.
struct SpaceSum {
    var v4 = 0.0, v6 = 0.0
    var end4: UInt64 = 0, end6: UInt64 = 0

    @inline(__always)
    mutating func add(_ p: Prefix) {
        switch p.address {
        case let .v4(a):
            let start = UInt64(a), end = start + (UInt64(1) << UInt64(32 - Int(p.length)))
            if end > end4 {
                v4 += Double(end - max(start, end4)) / 256
                end4 = end
            }
        case let .v6(h, _):
            // In /64 units (what the high word holds), reported in /48s.
            let len = min(Int(p.length), 64)
            let size: UInt64 = len == 0 ? UInt64.max : UInt64(1) << UInt64(64 - len)
            let end = h &+ size
            if end > end6 || len == 0 {
                v6 += Double(end &- max(h, end6)) / 65536
                end6 = end
            }
        }
    }
}
