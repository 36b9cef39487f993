// `vigil-bench web-db DB [DAYS=30]`: the database of the dashboard benchmark (scripts/bench-web.sh):
// AS64500 over DAYS of 5-minute bins whose every signal changes every bin (the worst case for
// the runs layout and the most points to draw), probing rounds every 5 minutes (blocks up,
// RTT, loss), and an outage on three of the days with its event.
import BGPWire
import Foundation
import Probing
import Signals
import Store

func webDB(path: String, days: Int) throws {
    let entity = "AS64500"
    let start: Int64 = 1_700_000_000 / 86_400 * 86_400
    let bins = days * 288
    var rng = SystemRandomNumberGenerator()
    let outages = [(days / 4, 14), (days / 2, 3), (days * 3 / 4, 20)].map { (start + Int64($0.0) * 86_400 + Int64($0.1) * 3600) }
    func dark(_ t: Int64) -> Bool { outages.contains { t >= $0 && t < $0 + 2 * 3600 } }
    var rows: [SeriesRow] = [], rounds: [ProbeRow] = []
    rows.reserveCapacity(bins)
    for b in 0..<bins {
        let t = start + Int64(b) * 300
        let down = dark(t)
        let daily = sin(Double(b % 288) / 288 * 2 * .pi)
        rows.append(SeriesRow(entity: entity, bin: t, routedV4: down ? 0 : 400 + Double(Int.random(in: -3...3, using: &rng)),
                              visiblePrefixes: down ? 0 : 120 + Int.random(in: -2...2, using: &rng),
                              meanVisibility: down ? 0 : 0.97 + Double.random(in: -0.02...0.02, using: &rng),
                              announcements: Int(20 + 10 * daily) + Int.random(in: 0...15, using: &rng), withdrawals: Int.random(in: 0...12, using: &rng),
                              fullFeedPeers4: 40))
        let up = down ? 0 : 90 + Int.random(in: -4...4, using: &rng)
        rounds.append(ProbeRow(entity: entity, time: t + 30, blocks: 100, judged: 100, up: up, down: 100 - up, uncertain: 0, sent: 400,
                               answered: down ? 0 : 380 + Int.random(in: -10...10, using: &rng),
                               rttMedian: 40 + 8 * daily + Double.random(in: 0...5, using: &rng), rttP95: 90 + Double.random(in: 0...30, using: &rng)))
    }
    let events = outages.map { t in
        Event(entity: entity, kind: .outage, cause: .bgpWithdrawal, start: t, end: t + 7200, scope: 1, severity: 24, level: "critical",
              precededByInstability: false, evidence: Event.Evidence(signal: "routed_space", baseline: 400, before: 400, worst: 0, commonUpstream: 64501))
    }
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    try blockingWait { [rows, rounds, events] in
        let store = try await Stores.open(path)
        for r in rows { try await store.write([r], step: 300) }
        try await store.writeProbes(rounds)
        try await store.writeEvents(events)
    }
    print("web-db: \(path): \(entity), \(days) days, \(bins) bins, \(rounds.count) probing rounds, \(events.count) outages")
}
