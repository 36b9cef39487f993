import CoreMetrics
import NIOConcurrencyHelpers
public import Prometheus
import Signals

/// The process's metrics in Prometheus' text format (swift-metrics over swift-prometheus),
/// on the metrics port at `/metrics`. A registry of its own rather than the global
/// bootstrap, so every running observatory (and every test) counts only itself.
public final class ServeMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    let elements: CoreMetrics.Counter
    let queue: CoreMetrics.Gauge
    let queuePeak: CoreMetrics.Gauge
    let queueLimit: CoreMetrics.Gauge
    let readPauses: CoreMetrics.Counter
    let eventsOpen: CoreMetrics.Gauge
    let sessionsUp: CoreMetrics.Gauge
    let routes: CoreMetrics.Gauge
    let prefixes: CoreMetrics.Gauge
    let probesSent: CoreMetrics.Counter
    let probesAnswered: CoreMetrics.Counter
    let storeWrite: CoreMetrics.Timer
    /// What was counted so far, to add only the growth (counters from running totals).
    let last = NIOLockedValueBox([String: Int]())

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
        elements = CoreMetrics.Counter(label: "vigil_elements_total", factory: factory)
        queue = CoreMetrics.Gauge(label: "vigil_pipeline_queue_depth", factory: factory)
        queuePeak = CoreMetrics.Gauge(label: "vigil_pipeline_queue_peak", factory: factory)
        queueLimit = CoreMetrics.Gauge(label: "vigil_pipeline_queue_limit", factory: factory)
        readPauses = CoreMetrics.Counter(label: "vigil_pipeline_read_pauses_total", factory: factory)
        eventsOpen = CoreMetrics.Gauge(label: "vigil_events_open", factory: factory)
        sessionsUp = CoreMetrics.Gauge(label: "vigil_sessions_up", factory: factory)
        routes = CoreMetrics.Gauge(label: "vigil_routes", factory: factory)
        prefixes = CoreMetrics.Gauge(label: "vigil_prefixes", factory: factory)
        probesSent = CoreMetrics.Counter(label: "vigil_probes_sent_total", factory: factory)
        probesAnswered = CoreMetrics.Counter(label: "vigil_probes_answered_total", factory: factory)
        storeWrite = CoreMetrics.Timer(label: "vigil_store_write_seconds", factory: factory)
    }

    /// Adds the growth of a running total to a counter.
    func grow(_ key: String, to total: Int, _ counter: () -> CoreMetrics.Counter) {
        let delta = last.withLockedValue { d -> Int in
            let prev = d[key] ?? 0
            d[key] = max(prev, total)
            return total - prev
        }
        if delta > 0 { counter().increment(by: delta) }
    }

    public func recordStoreWrite(seconds: Double) {
        storeWrite.recordNanoseconds(Int64(seconds * 1e9))
    }

    public struct Reading: Sendable {
        public var elements = 0, queued = 0, peakQueued = 0, queueLimit = 0, readPauses = 0, eventsOpen = 0, sessionsUp = 0, routes = 0, prefixes = 0
        public var probesSent = 0, probesAnswered = 0
        public var sources: [(name: String, messages: Int, up: Bool)] = []
        public var busMissed: [(name: String, missed: Int)] = []
        public init() {}
    }

    public func update(_ r: Reading) {
        grow("elements", to: r.elements) { elements }
        queue.record(r.queued)
        queuePeak.record(r.peakQueued)
        queueLimit.record(r.queueLimit)
        grow("read_pauses", to: r.readPauses) { readPauses }
        eventsOpen.record(r.eventsOpen)
        sessionsUp.record(r.sessionsUp)
        routes.record(r.routes)
        prefixes.record(r.prefixes)
        grow("probes_sent", to: r.probesSent) { probesSent }
        grow("probes_answered", to: r.probesAnswered) { probesAnswered }
        for s in r.sources {
            grow("source \(s.name)", to: s.messages) { CoreMetrics.Counter(label: "vigil_source_received_total", dimensions: [("source", s.name)], factory: factory) }
            CoreMetrics.Gauge(label: "vigil_source_up", dimensions: [("source", s.name)], factory: factory).record(s.up ? 1 : 0)
        }
        for b in r.busMissed {
            // Registered at zero too, so a dashboard sees the subscriber before it ever drops.
            let c = CoreMetrics.Counter(label: "vigil_bus_dropped_total", dimensions: [("subscriber", b.name)], factory: factory)
            grow("bus \(b.name)", to: b.missed) { c }
        }
    }

    /// The text exposition format.
    public func text() -> String { registry.emitToString() }
}
