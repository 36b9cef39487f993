import BGPWire
import Foundation
import Probing

/// `vigil-bench probe-blocks N`: memory per probed block. Builds a plan of N /24
/// blocks (consecutive /8s from 1.0.0.0), fills every block's state as a census
/// would (ever-responsive bitmap, availability, belief), and reports the growth
/// of the resident set per block.
func probeBlocks(_ n: Int) throws {
    let before = residentBytes()
    var plan = ProbePlan()
    plan.maxBlocks = n
    var left = n
    var first: UInt32 = 1
    while left > 0 {
        let len = left >= 65_536 ? 8 : 24 - Int(log2(Double(left)).rounded(.down))
        let p = Prefix(address: .v4(first << 24), length: UInt8(len))
        plan.targets.append(ProbePlan.Target(prefix: p, entity: "AS\(first)"))
        left -= 1 << (24 - len)
        first += 1
    }
    let started = Date()
    var table = try BlockTable(plan: plan)
    for i in table.blocks.indices {
        for s in stride(from: i % 7, to: 256, by: 7) { table.blocks[i].responsive[s] = true }
        table.blocks[i].availability = 0.9
        table.blocks[i].belief = 0.99
        table.blocks[i].censusAt = 1
    }
    let after = residentBytes()
    let judged = table.blocks.reduce(0) { $0 + ($1.judged ? 1 : 0) }
    let perBlock = Double(after - before) / Double(table.blocks.count)
    print("""
        {"blocks":\(table.blocks.count),"judged":\(judged),"record_bytes":\(MemoryLayout<BlockTable.Block>.stride),\
        "rss_growth_bytes":\(after - before),"bytes_per_block":\(String(format: "%.1f", perBlock)),\
        "five_million_blocks_gb":\(String(format: "%.2f", perBlock * 5e6 / 1e9)),"seconds":\(String(format: "%.2f", Date().timeIntervalSince(started)))}
        """)
}

func residentBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
}
