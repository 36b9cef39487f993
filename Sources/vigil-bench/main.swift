// Writes a synthetic full-table RIB dump (TABLE_DUMP_V2) with the MRT writer, for
// the state-memory benchmark (scripts/bench-replay.sh):
//   vigil-bench rib OUT.gz [PREFIXES] [PEERS]
// Every peer carries every prefix; paths are peerAS, a tier-1 (chosen per peer and
// origin), a transit (per origin), the origin: realistic sharing of paths.
// `vigil-bench probe-blocks [N]` measures memory per probed block (ProbeBlocks.swift);
// `vigil-bench store-year DB` the store after a year of every AS (StoreYear.swift), and
// `vigil-bench store-year-pg URL` the same in PostgreSQL (StoreYearPostgres.swift);
// `vigil-bench web-db DB [DAYS]` the dashboard benchmark's database (WebDB.swift);
// `vigil-bench ris-live FILE [REPEAT] [RATE…]` RIS Live's rate and lag through Vigil (RISLiveRate.swift).
import BGPWire
import MRT
#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
if args.count >= 3, args[1] == "store-year" {
    try storeYear(path: args[2], entities: args.count > 3 ? Int(args[3])! : 75_000, days: args.count > 4 ? Int(args[4])! : 365)
    exit(0)
}
if args.count >= 3, args[1] == "store-year-pg" {
    try storeYearPostgres(url: args[2], entities: args.count > 3 ? Int(args[3])! : 75_000, days: args.count > 4 ? Int(args[4])! : 365)
    exit(0)
}
if args.count >= 3, args[1] == "web-db" {
    try webDB(path: args[2], days: args.count > 3 ? Int(args[3])! : 30)
    exit(0)
}
if args.count >= 3, args[1] == "ris-live" {
    try risLiveRate(file: args[2], repeats: args.count > 3 ? Int(args[3])! : 10, rates: args.dropFirst(4).compactMap { Int($0) })
    exit(0)
}
if args.count >= 2, args[1] == "probe-blocks" {
    try probeBlocks(args.count > 2 ? Int(args[2])! : 5_000_000)
    exit(0)
}
guard args.count >= 3, args[1] == "rib" else {
    print("usage: vigil-bench rib OUT.gz [PREFIXES=1000000] [PEERS=20] | vigil-bench probe-blocks [BLOCKS=5000000]"
          + " | vigil-bench store-year DB [ENTITIES=75000] [DAYS=365] | vigil-bench store-year-pg URL [ENTITIES=75000] [DAYS=365]"
          + " | vigil-bench web-db DB [DAYS=30] | vigil-bench ris-live UPDATES_FILE [REPEAT=10] [RATE…]")
    exit(2)
}
let out = args[2]
let prefixes = args.count > 3 ? Int(args[3])! : 1_000_000
let peerCount = args.count > 4 ? Int(args[4])! : 20
let t0: UInt32 = 1_419_206_400
let peers = (0..<peerCount).map { (i: Int) -> PeerIndexTable.Peer in
    let n = UInt32(i)
    return PeerIndexTable.Peer(bgpID: n + 1, address: IPAddress.v4(0x0A00_0000 | (n + 1)), asn: 64_600 + n)
}
let tier1: [UInt32] = [174, 209, 701, 1239, 1299, 2828, 2914, 3257, 3320, 3356, 3491, 5511, 6453, 6461, 6762, 6830, 7018, 12956, 4637, 4837]
let w = try MRTWriter(path: out, gzip: true, level: 1)
try w.write(MRTRecord(timestamp: t0, body: .peerIndexTable(PeerIndexTable(collectorID: 1, viewName: Array("bench".utf8), peers: peers))))
var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
func next(_ r: inout UInt64) -> UInt64 {
    r ^= r << 13; r ^= r >> 7; r ^= r << 17
    return r
}
for i in 0..<prefixes {
    // 1.0.0.0/24 upwards, skipping nothing: a dense synthetic address plan.
    let p = Prefix(address: .v4(0x0100_0000 &+ UInt32(i) << 8), length: 24)
    let origin = 1000 + UInt32(next(&rng) % 60_000)
    let transit = 20_000 + origin % 500
    var entries: [RIBRecord.Entry] = []
    entries.reserveCapacity(peerCount)
    for (j, peer) in peers.enumerated() {
        let t1 = tier1[Int((origin &+ UInt32(j) &* 7) % UInt32(tier1.count))]
        let attrs: [PathAttribute] = [.origin(.igp), .asPath(ASPath(sequence: [peer.asn, t1, transit, origin])), .nextHop(0x0A00_0001 + UInt32(j))]
        entries.append(RIBRecord.Entry(peerIndex: UInt16(j), originated: t0 - 3600, attributes: attrs))
    }
    try w.write(MRTRecord(timestamp: t0, body: .rib(RIBRecord(family: .ipv4Unicast, sequence: UInt32(i), prefix: p, entries: entries))))
}
try w.close()
print("wrote \(prefixes) prefixes × \(peerCount) peers = \(prefixes * peerCount) routes to \(out)")
