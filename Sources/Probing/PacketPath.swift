import BGPWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sending IPv4 probes as link-layer frames (an AF_PACKET socket), as zmap does:
/// the kernel's per-packet route lookup, IP header building and neighbour output
/// are skipped, which is most of what a sweep costs on the sending side. The
/// next hop comes from the main routing table (`/proc/net/route`) and the ARP
/// cache (`/proc/net/arp`), the source address from the kernel (a UDP socket
/// connected to the target). Opt-in (`sender = "packet"`): frames bypass
/// netfilter's OUTPUT hooks and policy routing (`ip rule`); the interface's
/// qdisc (tc) still applies. Whatever it cannot resolve — no route in the main
/// table, a next hop not yet in the ARP cache, an on-link target, a local
/// address — goes through the raw socket as usual (which also makes the kernel
/// resolve the neighbour for the next time).
final class PacketPath {
    /// A next hop: the frame's `struct sockaddr_ll` (20 bytes, kept as plain words so a
    /// hop copies without reference counting) and our source address toward it.
    struct Hop: Equatable {
        var link: (UInt64, UInt64, UInt32)
        var source: UInt32

        init(ifindex: Int32, mac: [UInt8], source: UInt32) {
            // { u16 family; be16 protocol; i32 ifindex; u16 hatype; u8 pkttype; u8 halen; u8 addr[8]; }
            var b = [UInt8](repeating: 0, count: 24)
            b.withUnsafeMutableBytes { p in
                p.storeBytes(of: UInt16(AF_PACKET), toByteOffset: 0, as: UInt16.self)
                p.storeBytes(of: UInt16(0x0800).bigEndian, toByteOffset: 2, as: UInt16.self)
                p.storeBytes(of: ifindex, toByteOffset: 4, as: Int32.self)
                p[11] = 6
                for (k, m) in mac.prefix(6).enumerated() { p[12 + k] = m }
            }
            link = b.withUnsafeBytes { ($0.load(as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self), $0.load(fromByteOffset: 16, as: UInt32.self)) }
            self.source = source
        }

        static func == (a: Hop, b: Hop) -> Bool {
            a.link.0 == b.link.0 && a.link.1 == b.link.1 && a.link.2 == b.link.2 && a.source == b.source
        }
    }
    struct Route: Equatable {
        var destination: UInt32
        var mask: UInt32
        var gateway: UInt32
        var interface: String
        var metric: Int
    }

    let fd: Int32
    var routes: [Route] = []
    var arp: [String: [UInt8]] = [:]  // "iface ip" → MAC
    /// Resolved next hops by /24 (nil: use the raw socket), dropped on every table refresh.
    var cache: [UInt32: Hop?] = [:]
    var refreshedAt = 0.0
    var lastKey: UInt32 = .max
    var lastHop: Hop?

    init?() {
        fd = socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue), 0)  // protocol 0: sends only, receives nothing
        guard fd >= 0 else { return nil }
        var size: Int32 = 4 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        refresh()
    }

    deinit { close(fd) }

    /// The frame's next hop for `destination` (host order), or nil for the raw socket.
    func hop(for destination: UInt32) -> Hop? {
        let key = destination >> 8
        // A sweep asks for the same /24 256 times in a row: skip the hash.
        if key == lastKey, let h = lastHop { return h }
        if let cached = cache[key] {
            lastKey = key
            lastHop = cached
            if cached != nil { return cached }
            // Unresolved: look again after a refresh (at most every 100 ms: the raw probe
            // sent meanwhile makes the kernel resolve the neighbour).
            let now = Prober.monotonic()
            guard now - refreshedAt >= 0.1 else { return nil }
            refresh()
        }
        let h = resolve(destination)
        cache[key] = h
        lastKey = key
        lastHop = h
        return h
    }

    func refresh() {
        refreshedAt = Prober.monotonic()
        cache.removeAll(keepingCapacity: true)
        lastKey = .max
        lastHop = nil
        routes = PacketPath.parseRoutes((try? String(contentsOfFile: "/proc/net/route", encoding: .utf8)) ?? "")
        arp = PacketPath.parseARP((try? String(contentsOfFile: "/proc/net/arp", encoding: .utf8)) ?? "")
    }

    func resolve(_ destination: UInt32) -> Hop? {
        guard let r = PacketPath.longestMatch(routes, destination) else { return nil }
        // Only a gateway route lets a whole /24 share one next hop; the /24 must not hold a more specific route.
        guard r.gateway != 0, r.mask.nonzeroBitCount <= 24,
              !routes.contains(where: { $0.mask.nonzeroBitCount > 24 && $0.destination >> 8 == destination >> 8 }) else { return nil }
        guard let mac = arp["\(r.interface) \(r.gateway)"] else { return nil }
        let index = if_nametoindex(r.interface)
        guard index > 0, let source = PacketPath.source(toward: destination), source != destination else { return nil }
        return Hop(ifindex: Int32(index), mac: mac, source: source)
    }

    /// The address the kernel would send from (connect on a UDP socket sends nothing).
    static func source(toward destination: UInt32) -> UInt32? {
        let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard s >= 0 else { return nil }
        defer { close(s) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = UInt16(9).bigEndian
        sa.sin_addr.s_addr = destination.bigEndian
        let ok = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { return nil }
        var out = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let got = withUnsafeMutablePointer(to: &out) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        return got == 0 ? UInt32(bigEndian: out.sin_addr.s_addr) : nil
    }

    /// `/proc/net/route`: the main table, addresses as hex of the in-memory (network order) value.
    static func parseRoutes(_ text: String) -> [Route] {
        var out: [Route] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard f.count >= 8, let dest = UInt32(f[1], radix: 16), let gw = UInt32(f[2], radix: 16), let flags = Int(f[3], radix: 16),
                  let metric = Int(f[6]), let mask = UInt32(f[7], radix: 16), flags & 1 != 0 else { continue }
            // The file prints the network-order word as a host (little-endian) integer.
            out.append(Route(destination: dest.byteSwapped, mask: mask.byteSwapped, gateway: flags & 2 != 0 ? gw.byteSwapped : 0,
                             interface: String(f[0]), metric: metric))
        }
        return out
    }

    /// `/proc/net/arp`: complete entries (flag 0x2) as "iface ip" → MAC.
    static func parseARP(_ text: String) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 6, let flags = Int(f[2].dropFirst(2), radix: 16), flags & 2 != 0,
                  case let .v4(ip)? = IPAddress(f[0]) else { continue }
            let mac = f[3].split(separator: ":").compactMap { UInt8($0, radix: 16) }
            guard mac.count == 6, mac != [0, 0, 0, 0, 0, 0] else { continue }
            out["\(f[5]) \(ip)"] = mac
        }
        return out
    }

    static func longestMatch(_ routes: [Route], _ destination: UInt32) -> Route? {
        routes.filter { destination & $0.mask == $0.destination & $0.mask }
            .max { ($0.mask.nonzeroBitCount, -$0.metric) < ($1.mask.nonzeroBitCount, -$1.metric) }
    }
}
