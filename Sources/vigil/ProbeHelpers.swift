import ArgumentParser
import BGPWire
import Foundation
import MRT
import Probing
import Signals

/// A progress or log line on standard error, stamped with the time (`vigil collect`, `vigil probe`).
func logLine(_ s: String) {
    printError("\(UTCTime.format(Int64(Date().timeIntervalSince1970)))  \(s)")
}

/// A prober for a plan, with what to do when the sockets are refused.
func makeProber(_ plan: ProbePlan, kind: SocketKind, sender: Sender, hint: String) throws -> Prober {
    do { return try Prober(rate: plan.rate, timeout: plan.timeout, kind: kind, sender: sender) } catch {
        throw ValidationError("\(error) (raw ICMP sockets need root or CAP_NET_RAW; \(hint))")
    }
}

/// Says which targets are not probed and why; nothing left to probe is an error, not a run that measures zeros.
func checkTargets(_ table: BlockTable) throws {
    for u in table.unprobed {
        let t = table.plan.targets[u.target]
        logLine("target \(t.prefix) (\(t.entity)) is not probed: \(u.why)")
    }
    guard !table.blocks.isEmpty else {
        throw ValidationError("nothing to probe: every target lies on the never-probe list (or inside another target)")
    }
}

