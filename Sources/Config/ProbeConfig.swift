import BGPWire
import Probing
import Entities
import TOMLKit

extension CollectConfig {
    /// `[probe]` and its `[[probe.target]]` list (format in README.md, "Active probing").
    mutating func parseProbe(_ p: TOMLTable, fail: (String, String) -> Problem, checkKeys: (TOMLTable, String, String) throws -> Void,
                             int: (TOMLTable, String, String, ClosedRange<Int>) throws -> Int?,
                             string: (TOMLTable, String, String) throws -> String?,
                             duration: (TOMLTable, String, String, Int64) throws -> Int64?) throws {
        var plan = ProbePlan()
        func number(_ k: String, _ range: ClosedRange<Double>) throws -> Double? {
            guard let v = p[k] else { return nil }
            guard let d = v.double ?? v.int.map(Double.init) else { throw fail("probe.\(k)", "must be a number") }
            guard range.contains(d) else { throw fail("probe.\(k)", "\(d) is out of range \(range.lowerBound)...\(range.upperBound)") }
            return d
        }
        func prefixes(_ v: any TOMLValueConvertible, _ path: String) throws -> [Prefix] {
            let items: [any TOMLValueConvertible]
            if let s = v.string { items = [s] } else if let a = v.array { items = Array(a) } else {
                throw fail(path, "must be a prefix or a list of prefixes")
            }
            return try items.map { item in
                guard let s = item.string, let pr = Prefix(s) else { throw fail(path, "'\(item.string ?? "\(item)")' is not a prefix like 192.0.2.0/24") }
                return pr
            }
        }
        if let v = try number("rate", 1...10_000_000) { plan.rate = v }
        if let v = try number("max_rate", 1...10_000_000) { plan.maxRate = v }
        guard plan.rate <= plan.maxRate else {
            throw fail("probe.rate", "\(Int(plan.rate)) probes/s is above probe.max_rate (\(Int(plan.maxRate)), the ceiling; raise it if you mean it)")
        }
        if let v = try duration(p, "round", "probe", 1) { plan.round = Double(v) }
        if let v = try number("timeout", 0.01...60) { plan.timeout = v }
        if let v = try int(p, "max_probes", "probe", 1...255) { plan.maxProbesPerBlock = v }
        if let v = try duration(p, "census_interval", "probe", 60) { plan.censusInterval = Double(v) }
        if let v = try int(p, "max_blocks", "probe", 1...100_000_000) { plan.maxBlocks = v }
        if let v = try string(p, "socket", "probe") {
            guard ["raw", "datagram", "auto"].contains(v) else { throw fail("probe.socket", "must be \"raw\", \"datagram\" or \"auto\"") }
            probeSocket = v
        }
        if let v = try string(p, "sender", "probe") {
            guard ["socket", "packet"].contains(v) else { throw fail("probe.sender", "must be \"socket\" or \"packet\"") }
            probeSender = v
        }
        if let v = p["never"] { plan.never = try prefixes(v, "probe.never") }
        if let v = try number("down_share", 0.01...1) { probeDownShare = v }
        if let v = try number("rtt_factor", 1.1...1000) { probeRTTFactor = v }
        if let v = try int(p, "baseline_rounds", "probe", 1...100_000) { probeBaselineRounds = v }
        if let v = p["target"] {
            guard let arr = v.array else { throw fail("probe.target", "must be a list of tables ([[probe.target]])") }
            for (i, item) in arr.enumerated() {
                let path = "probe.target.\(i + 1)"
                guard let tt = item.table else { throw fail(path, "must be a table ([[probe.target]])") }
                try checkKeys(tt, "probe.target", path)
                guard let s = try string(tt, "prefix", path) else { throw fail(path, "needs 'prefix'") }
                guard let prefix = Prefix(s) else { throw fail("\(path).prefix", "'\(s)' is not a prefix like 192.0.2.0/24") }
                let entity = try string(tt, "entity", path)
                if let e = entity, Entity(e) == nil { throw fail("\(path).entity", "'\(e)' is not a country code, ASn or prefix") }
                var hosts: [IPAddress] = []
                if let hv = tt["hosts"] {
                    guard let ha = hv.array else { throw fail("\(path).hosts", "must be a list of addresses") }
                    hosts = try ha.map { h in
                        guard let hs = h.string, let a = IPAddress(hs) else { throw fail("\(path).hosts", "'\(h.string ?? "\(h)")' is not an IP address") }
                        guard prefix.contains(Prefix(address: a, length: UInt8(a.bitWidth))) else {
                            throw fail("\(path).hosts", "\(a) is outside \(prefix)")
                        }
                        return a
                    }
                }
                if prefix.isIPv6 && hosts.isEmpty {
                    throw fail("\(path).hosts", "an IPv6 target needs its known addresses ('hosts'): a /48 cannot be swept")
                }
                plan.targets.append(ProbePlan.Target(prefix: prefix, entity: entity.flatMap { Entity($0)?.description }, why: try string(tt, "why", path), hosts: hosts))
            }
        }
        guard !plan.targets.isEmpty else { throw fail("probe", "no [[probe.target]]: probing stays off until targets are configured") }
        do { _ = try plan.blocks() } catch { throw fail("probe.target", error.description) }
        probe = plan
    }
}
