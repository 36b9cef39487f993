import Foundation
import BGPWire
import MRT

/// Writes small MRT worlds with the MRT writer: a RIB dump of several peers,
/// then updates, so every signal value can be worked out by hand.
struct World {
    static let peers: [(IPAddress, UInt32)] = (1...4).map { (.v4(0x0A00_0000 | UInt32($0)), 65000 + UInt32($0)) }
    static let nk = ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"].map { Prefix($0)! }
    static let nk22 = Prefix("175.45.176.0/22")!

    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-world-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    static func attrs(_ path: [UInt32]) -> [PathAttribute] {
        [.origin(.igp), .asPath(ASPath(sequence: path)), .nextHop(0x0A00_0001)]
    }

    /// RIB at `time`: `routes[prefix] = set of peer indexes holding it` (path peerAS 4837 131279).
    /// North Korea's prefixes come from AS131279, the rest from AS64999.
    func writeRIB(_ name: String, time: UInt32, routes: [(Prefix, [Int])]) throws -> String {
        let w = try MRTWriter(path: path(name), gzip: true)
        let table = PeerIndexTable(collectorID: 1, peers: World.peers.map { .init(bgpID: 1, address: $0.0, asn: $0.1) })
        try w.write(MRTRecord(timestamp: time, body: .peerIndexTable(table)))
        for (seq, (p, holders)) in routes.enumerated() {
            let origin: UInt32 = World.nk22.contains(p) ? 131279 : 64999
            let entries = holders.map { i in
                RIBRecord.Entry(peerIndex: UInt16(i), originated: time - 100, attributes: World.attrs([World.peers[i].1, 4837, origin]))
            }
            try w.write(MRTRecord(timestamp: time, body: .rib(RIBRecord(family: .ipv4Unicast, sequence: UInt32(seq), prefix: p, entries: entries))))
        }
        try w.close()
        return path(name)
    }

    enum Event {
        case announce(peer: Int, [Prefix], path: [UInt32])
        case withdraw(peer: Int, [Prefix])
        case down(peer: Int)
    }

    func writeUpdates(_ name: String, _ events: [(UInt32, Event)]) throws -> String {
        let w = try MRTWriter(path: path(name))
        for (t, e) in events {
            switch e {
            case let .announce(i, ps, p):
                let u = Update(attributes: World.attrs(p), nlri: ps.map { NLRI($0) })
                try w.write(message(t, i, .update(u)))
            case let .withdraw(i, ps):
                try w.write(message(t, i, .update(Update(withdrawn: ps.map { NLRI($0) }))))
            case let .down(i):
                let peering = BGP4MPPeering(peerAS: World.peers[i].1, localAS: 12654, peerAddress: World.peers[i].0, localAddress: .v4(0x0A00_00FE))
                try w.write(MRTRecord(timestamp: t, body: .stateChange(StateChange(peering: peering, oldState: 6, newState: 1))))
            }
        }
        try w.close()
        return path(name)
    }

    func message(_ t: UInt32, _ i: Int, _ m: BGPMessage) -> MRTRecord {
        let peering = BGP4MPPeering(peerAS: World.peers[i].1, localAS: 12654, peerAddress: World.peers[i].0, localAddress: .v4(0x0A00_00FE))
        return MRTRecord(timestamp: t, body: .message(BGP4MPMessage(peering: peering, message: m)))
    }
}
