import Signals
public import Probing
import BGPWire
import Foundation

extension LivePipeline {
    /// Thread-safe: hands one probing round to the pipeline thread, where each
    /// entity's down blocks are looked up in the live routing state (routed or
    /// withdrawn) and the data-plane detector diagnoses them. Rows, block states
    /// and events go to the store; a BGP outage the probes confirm is annotated.
    /// Block records are written here, on the caller's thread: a census of millions of
    /// blocks must not hold up the BGP elements queued for the pipeline.
    public func submitProbes(rows: [ProbeRow], verdicts: [BlockVerdict], blocks: [BlockRecord]) {
        if !blocks.isEmpty { storing { try await $0.writeBlocks(blocks) } }
        guard !rows.isEmpty else { return }
        perform { [self] engine in
            var changed: [Event] = []
            let now = Date().timeIntervalSince1970
            // Judge the control plane first, so a withdrawal that just arrived is an open
            // BGP outage the probes confirm rather than a second event.
            tick(now)
            for row in rows {
                let down = verdicts.filter { $0.entity == row.entity && $0.state == .down }.map(\.block)
                var routes: [Prefix: DataPlaneDetector.Route?]? = options.routing ? [:] : nil
                for b in down where routes != nil {
                    routes![b] = engine.state.route(covering: b).map { DataPlaneDetector.Route(prefix: $0.prefix, peers: $0.peers, origin: $0.origin) }
                }
                let bgpOpen = (live.openEvents + detector.openEvents).contains { $0.entity == row.entity && $0.kind == .outage }
                let (changes, confirmation) = dataPlane.observe(row, down: down, routes: routes, bgpOutageOpen: bgpOpen)
                for c in changes {
                    changed.append(c.event)
                    publish(.event(c, latency: nil))
                }
                if let note = confirmation, let e = live.annotate(entity: row.entity, note: note) ?? detector.annotate(entity: row.entity, note: note) {
                    changed.append(e)
                    publish(.event(.updated(e), latency: nil))
                }
            }
            storing { [changed] in
                try await $0.writeProbes(rows)
                try await $0.writeEvents(changed)
            }
            cond.lock()
            status.openEvents = openEvents
            status.lastTick = max(status.lastTick, now)
            if !rows.isEmpty { status.probes = rows }
            cond.unlock()
        }
    }
}
