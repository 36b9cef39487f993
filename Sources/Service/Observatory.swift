import BGPWire
import MRT
import Collector
public import Config
import Entities
import Foundation
public import Logging
import MRT
public import NIOConcurrencyHelpers
import Probing
import Routing
public import Replay
import ServiceLifecycle
import Signals
import Store
import Web

/// One running observatory (`vigil serve`; `vigil collect` is the same with the collector's
/// defaults): every configured source through one pipeline into the store, what happens
/// published on the event bus, its consumers, health and metrics, started and stopped in order.
///
/// Start: the archive is recovered and the store's unfinished events ended before anything
/// runs; then the services of one swift-service-lifecycle group. Stop (SIGTERM, SIGINT, the
/// run's time limit) goes in reverse: the HTTP endpoint, the monitor, the pipeline (its last
/// bin closed, open events ended as "observation stopped" — before any session closes, so
/// the collector's own leaving is never an outage), the sources (archives get their last
/// messages), the consumers (they drain the bus), and last the archive's files completed.
public final class Observatory: @unchecked Sendable {
    /// `vigil serve`, `vigil collect`, or `vigil probe` (a prober alone, `rounds` of it or until stopped).
    public enum Mode: Sendable, Equatable { case serve, collect, probe(rounds: Int?) }

    public let cfg: CollectConfig
    public let mode: Mode
    public let logger: Logger
    public let bus = EventBus()
    public let metrics = ServeMetrics()
    let started = wallClock().0
    let archive: SharedArchive?
    let store: any SeriesStore
    public let pipeline: LivePipeline
    var elementSources: [any ElementSource] = []
    var probeSource: ProbeSource?
    var trackers: [SourceHealthTracker] = []
    /// Whether the store has every source's health yet (the first look writes them all).
    var healthRecorded = false
    let health = NIOLockedValueBox([SourceHealth]())
    /// The watch list as it stands (SIGHUP replaces it), for the web API.
    let watching = NIOLockedValueBox([String]())
    /// The metrics port once bound (0 until then).
    public let httpPort = NIOLockedValueBox(0)
    /// Where the configuration came from (SIGHUP reads it again).
    let configPath: String?
    /// The user to become once the sources are open (`[process] user`).
    let account: Privileges.Account?
    /// RIR delegations from the store: which country an AS is registered in (alerts group by it).
    let entityMap: EntityMap

    public init(_ cfg: CollectConfig, mode: Mode, configPath: String? = nil, logger: Logger) async throws {
        self.cfg = cfg
        self.mode = mode
        self.configPath = configPath
        self.logger = logger
        account = try cfg.user.map(Privileges.account)
        // The archive: first put back whatever a crash left half-written.
        if let dir = cfg.archiveDirectory {
            archive = try Self.openArchive(cfg, "\(dir)/\(cfg.name)", logger: logger)
        } else {
            archive = nil
        }
        store = try await Stores.open(cfg.database, vantage: cfg.vantage)
        try await Self.endUnfinishedEvents(store, bin: cfg.bin, logger: logger)
        let map = try await store.loadEntityMap()
        entityMap = map

        let live = !cfg.listen.isEmpty || !cfg.bmpListen.isEmpty || cfg.peers.contains(where: \.active) || !cfg.risLive.isEmpty || cfg.probe != nil
        if !cfg.listen.isEmpty || cfg.peers.contains(where: \.active) { elementSources.append(BGPSource(cfg, archive: archive, logger: logger, holdConnections: account != nil)) }
        if !cfg.bmpListen.isEmpty { elementSources.append(BMPSource(cfg, archive: archive, logger: logger, holdConnections: account != nil)) }
        for f in cfg.follows { elementSources.append(try FollowerSource(f, logger: logger)) }
        for r in cfg.risLive {
            // Each collector heard gets an archive of its own beside the collector's, in the same layout.
            var open: (@Sendable (String) throws -> SharedArchive)?
            if r.archive, let dir = cfg.archiveDirectory {
                open = { [cfg, logger] collector in try Self.openArchive(cfg, "\(dir)/\(collector)", logger: logger) }
            }
            elementSources.append(try RISLiveSource(r, archive: open, logger: logger))
        }
        if let plan = cfg.probe {
            if case let .probe(rounds) = mode {
                probeSource = ProbeSource(cfg, plan: plan, rounds: rounds, socketHint: "try --socket datagram", logger: logger)
            } else {
                probeSource = ProbeSource(cfg, plan: plan, logger: logger)
            }
        }

        var options = LivePipeline.Options()
        options.binSeconds = cfg.bin
        options.watch = cfg.watch
        watching.withLockedValue { $0 = cfg.watch.map(\.description) }
        options.fullFeed = FullFeedPolicy(minIPv4: cfg.fullFeedV4, minIPv6: cfg.fullFeedV6)
        options.live.warmup = cfg.liveWarmup
        options.live.window = cfg.liveWindow
        options.live.minimumOutage = cfg.liveMinimumOutage
        options.keepAttributes = archive != nil
        options.dataPlane.downShare = cfg.probeDownShare
        options.dataPlane.rttFactor = cfg.probeRTTFactor
        options.dataPlane.minimumHistory = cfg.probeBaselineRounds
        // Followers alone: bins close on the archives' time (they are published minutes late).
        // Beside live sources the wall clock rules, and followed records count into the bin they arrive in.
        // `[detect] clock = "data"` replays a recorded stream through the live path as `vigil replay` would judge it.
        options.clock = cfg.clock.flatMap(LivePipeline.Clock.init(rawValue:)) ?? (live ? .wall : .data)
        options.routing = !elementSources.isEmpty
        options.maxQueued = cfg.queueLimit
        options.topEntities = cfg.topEntities
        if options.clock == .data { logger.info(live ? "[detect] clock = \"data\": bins close on the time the data carries" : "only archive followers: bins close on the time of the data") }
        pipeline = LivePipeline(options: options, store: store, lookup: map.isEmpty ? nil : CountryLookup(map))
        pipeline.logger = logger
        let bus = bus, metrics = metrics
        pipeline.publish = { bus.publish($0) }
        pipeline.onStoreWrite = { metrics.recordStoreWrite(seconds: $0) }
        let now = Int64(wallClock().0)
        trackers = allSources.map { SourceHealthTracker(source: $0.name, limits: $0.limits, now: now) }
        health.withLockedValue { $0 = trackers.map(\.health) }
    }

    /// An archive in `directory` as `[archive]` says (period, gzip, retention, quota), with what a crash left half-written put back first.
    static func openArchive(_ cfg: CollectConfig, _ directory: String, logger: Logger) throws -> SharedArchive {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let writer = try ArchiveWriter(directory: directory, updatesInterval: cfg.updatesInterval, gzip: cfg.gzip)
        writer.gzipLevel = cfg.gzipLevel
        writer.retention = cfg.archiveRetention
        writer.maxBytes = cfg.archiveMaxBytes
        writer.onRemove = { [logger] file, why in logger.notice("archive: removed \(file): \(why)") }
        for r in try writer.recover() { logger.notice("archive: recovered \(r.records) complete records into \(r.file)") }
        return SharedArchive(writer) { [logger] in logger.error("\($0)") }
    }

    var allSources: [any Source] { elementSources + (probeSource.map { [$0] } ?? []) }

    /// Events a run that did not stop cleanly (killed, crashed) left open: Vigil stopped
    /// observing them after the last bin it stored, so they end there, not as recoveries.
    /// Only this vantage point's: another observatory writing into the same database is still running.
    static func endUnfinishedEvents(_ store: any SeriesStore, bin: Int64, logger: Logger) async throws {
        var ended: [Event] = []
        for e in try await store.events(entity: nil, vantage: store.vantage, from: nil, until: nil) where e.end == nil {
            let lastBin = try await store.series(entity: e.entity, vantage: store.vantage, from: e.start, until: nil).last.map { $0.bin + bin } ?? e.start
            ended.append(e.stoppedObserving(at: lastBin))
            logger.notice("\(e.entity) \(e.kind.rawValue) since \(UTCTime.format(e.start)) was left open by a run that did not stop: observation stopped at \(UTCTime.format(max(lastBin, e.start)))")
        }
        try await store.writeEvents(ended)
    }

    /// Runs until SIGTERM or SIGINT (or `seconds`); SIGHUP reloads the watch list, SIGUSR1 writes a RIB snapshot.
    /// `handleSignals`: false when embedded (tests), which stop it with `stop()`.
    public func run(seconds: Double?, handleSignals: Bool = true) async throws {
        let printer = try EventPrinter(path: cfg.eventsFile)
        let printed = bus.subscribe("events", capacity: 4096)
        let logged = bus.subscribe("log", capacity: 1024)
        let listen = cfg.metricsOff ? nil : cfg.metricsListen ?? (mode == .serve ? CollectConfig.defaultMetricsListen : nil)
        // Alerts link to the dashboard this process serves unless `[alerts] link` names another address.
        let alerting = cfg.alerts.channels.isEmpty ? nil
            : AlertConsumer(store: store, config: cfg.alerts, vantage: cfg.vantage,
                            link: cfg.alerts.link ?? listen.map { "http://\($0.host.contains(":") ? "[\($0.host)]" : $0.host):\($0.port)" }, logger: logger)
        let alerted = alerting.map { _ in bus.subscribe("alerts", capacity: 4096) }
        alerting?.groupBy(entityMap)
        pipeline.start()
        // The sources start here, in order, before the group runs: a port in use or sockets refused
        // end the run before anything else does, and with `[process] user` the privileges go only
        // once every socket that needs them is open.
        var started: [any Source] = []
        do {
            for s in elementSources {
                try s.start(into: pipeline)
                started.append(s)
            }
            if let p = probeSource {
                try p.start(into: pipeline)
                started.append(p)
            }
            if let a = account {
                try dropPrivileges(to: a)
                // Only now: every connection is read by the unprivileged process.
                for s in elementSources { s.acceptConnections() }
            }
        } catch {
            await Self.onThread { [pipeline] in pipeline.stop() }
            for s in started.reversed() { s.stop() }
            bus.finish()
            archive?.rotate()
            throw error
        }

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        func add(_ s: any ServiceLifecycle.Service, ending: Bool = false) {
            services.append(.init(service: s, successTerminationBehavior: ending ? .gracefullyShutdownGroup : .ignore,
                                  failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        add(RunService("archive") { [archive] in
            try? await gracefulShutdown()
            archive?.rotate()
        })
        // Consumers read until the bus finishes (the pipeline stopped), then wait for their turn to stop.
        add(RunService("events") {
            await printer.run(printed)
            try? await gracefulShutdown()
        })
        add(RunService("log") { [self] in
            await logMessages(logged)
            try? await gracefulShutdown()
        })
        if let alerting, let alerted {
            add(RunService("alerts") {
                await alerting.run(alerted)
                try? await gracefulShutdown()
            })
            // What is not delivered when Vigil stops stays in the outbox for the next start.
            add(RunService("alert-delivery") {
                await cancelWhenGracefulShutdown { await alerting.deliverer.run() }
            })
        }
        for s in elementSources {
            add(RunService(s.name) {
                try? await gracefulShutdown()
                s.stop()
            })
        }
        if let p = probeSource {
            // With a number of rounds (`vigil probe --rounds`) the run ends when they are done.
            add(RunService(p.name) {
                if p.rounds != nil {
                    while !p.isFinished && !Task.isShuttingDownGracefully { try? await Task.sleep(for: .milliseconds(100)) }
                } else {
                    try? await gracefulShutdown()
                }
                p.stop()
            }, ending: p.rounds != nil)
        }
        add(RunService("pipeline") { [pipeline, bus, logger] in
            try? await gracefulShutdown()
            logger.info("stopping")
            // Before any source closes: sessions closing because Vigil stops say nothing about the Internet.
            await Self.onThread { pipeline.stop() }
            bus.finish()
        })
        add(RunService("monitor") { [self] in
            try? await cancelWhenGracefulShutdown { [self] in
                var nextRIB = archive.map { _ in Self.nextRIBTime(after: Int64(wallClock().0), interval: self.cfg.ribInterval) }
                var nextRetention = Int64(wallClock().0) + 60
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    let now = Int64(wallClock().0)
                    await look(now: now)
                    if now >= nextRetention {
                        // Hourly: old bins become hours a little at a time, never all at once.
                        nextRetention = now + 3600
                        await retain(now: now)
                    }
                    if let t = nextRIB, now >= t {
                        snapshot()
                        nextRIB = Self.nextRIBTime(after: now, interval: self.cfg.ribInterval)
                    }
                }
            }
            let now = Int64(wallClock().0)
            await look(now: now)
            // The store says this vantage point stopped observing: its silence is a gap, not an outage.
            await recordHealth(trackers.map { SourceHealth(source: $0.source, state: .down, since: now, lastData: $0.health.lastData,
                                                           dataTime: $0.health.dataTime, detail: "observatory stopped") })
        })
        if let l = listen {
            let api = WebAPI(store: store, live: { [self] in HTTPEndpoint.statusJSON(report()) }, streams: { [bus] in WebStream.frames(bus) },
                             watched: { [watching] in watching.withLockedValue { $0 } })
            add(HTTPEndpoint.application(host: l.host, port: l.port, metrics: metrics, status: { [self] in report() }, api: api, logger: logger,
                                         bound: { [httpPort] p in httpPort.withLockedValue { $0 = p } }))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))

        running.withLockedValue { $0 = group }
        if let seconds {
            Swift.Task {
                try? await Swift.Task.sleep(for: .seconds(seconds))
                await group.triggerGracefulShutdown()
            }
        }
        if handleSignals {
            // Signals through a pipe, read on a thread of their own (see SignalPipe).
            let signals = SignalPipe([SIGINT, SIGTERM, SIGHUP, SIGUSR1])
            DetachedThread.start { [self] in
                while true {
                    let sig = signals.next(timeout: nil)
                    if sig == SIGHUP { reload(); continue }
                    if sig == SIGUSR1 { snapshot(); continue }
                    break
                }
                Swift.Task { await group.triggerGracefulShutdown() }
            }
        }
        logger.info("\(mode.noun) \(cfg.name) running (pid \(getpid())): \(allSources.map(\.name).joined(separator: ", "))")
        try await group.run()
        writeStatus()
    }

    let running = NIOLockedValueBox<ServiceGroup?>(nil)

    /// Stops it as SIGTERM would (in order, archives completed).
    public func stop() async {
        await running.withLockedValue { $0 }?.triggerGracefulShutdown()
    }

    static func nextRIBTime(after now: Int64, interval: Int64) -> Int64 { (now / interval + 1) * interval }

    /// Blocking work (joining the pipeline thread) off the cooperative pool.
    static func onThread(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DetachedThread.start {
                body()
                c.resume()
            }
        }
    }

    /// A bus consumer: feed and source health in the log; events are the printer's.
    func logMessages(_ s: EventBus.Subscription) async {
        for await m in s.messages {
            switch m {
            case let .feed(f):
                if let end = f.end {
                    logger.notice("feed: peer \(f.peer) is back (out since \(UTCTime.format(f.start)), back at \(UTCTime.format(end)))")
                } else {
                    logger.notice("feed: \(f.sentence)")
                }
            case let .source(h):
                let level: Logger.Level = h.state == .up || h.state == .starting ? .info : .warning
                logger.log(level: level, "source \(h.source): \(h.state.rawValue) (\(h.detail))")
            case let .missed(n):
                logger.warning("log consumer fell behind: \(n) bus messages missed")
            case .event, .binClosed:
                break
            }
        }
    }

    /// Feed health into the store (shared by several vantage points: each says how its own sources are).
    func recordHealth(_ list: [SourceHealth]) async {
        do { try await store.writeSourceHealth(list) } catch { logger.error("store: source health: \(error)") }
    }

    /// The store's retention pass (`[store] raw_retention`, `hourly_retention`), off the pipeline's thread.
    func retain(now: Int64) async {
        do {
            let r = try await store.applyRetention(now: now, raw: cfg.rawRetention, keep: cfg.hourlyRetention)
            if r.rawRuns > 0 || r.dropped > 0 {
                logger.info("store: \(r.rawRuns) runs of old bins rolled up into \(r.hourlyRuns) hourly runs, \(r.dropped) expired runs dropped")
            }
        } catch {
            logger.error("store: retention: \(error)")
        }
    }

    /// Once a second: each source's health (changes published), the metrics, the archive's clock, the status file.
    func look(now: Int64) async {
        var changes: [SourceHealth] = []
        let sources = allSources
        var reading = ServeMetrics.Reading()
        for (i, s) in sources.enumerated() {
            let r = s.reading()
            if let c = trackers[i].observe(now: now, connected: r.connected, count: r.count, dataTime: r.dataTime, detail: r.detail, trouble: r.trouble) {
                changes.append(c)
            }
            reading.sources.append((s.name, r.count, trackers[i].health.state == .up || trackers[i].health.state == .lagging))
        }
        health.withLockedValue { $0 = trackers.map(\.health) }
        for c in changes { bus.publish(.source(c)) }
        // Every source at the first look, then what changed: each vantage point's feed health in the store.
        if !healthRecorded {
            healthRecorded = true
            changes = trackers.map(\.health)
        }
        if !changes.isEmpty { await recordHealth(changes) }
        archive?.flush(now: now)
        for s in elementSources { s.flush(now: now) }
        // One report a second serves the metrics and the status file alike.
        let r = report()
        reading.elements = r.elements
        reading.queued = r.queued
        reading.peakQueued = r.peakQueued ?? 0
        reading.readPauses = r.readPauses ?? 0
        reading.queueLimit = pipeline.options.maxQueued
        reading.eventsOpen = r.openEvents.count
        reading.routes = r.routes
        reading.prefixes = r.prefixes
        reading.sessionsUp = r.peers.filter { $0.state == "Established" }.count
        if let c = probeSource?.counts.withLockedValue({ $0 }) {
            reading.probesSent = c.sent
            reading.probesAnswered = c.answered
        }
        reading.busMissed = bus.missedBySubscriber
        metrics.update(reading)
        writeStatus(r)
    }

    /// Every peer: BGP sessions, and the peers BMP routers report (one row each, named by the router).
    func peers() -> [SessionRegistry.Entry] {
        var peers = elementSources.compactMap { $0 as? BGPSource }.first?.registry.snapshot() ?? []
        for router in elementSources.compactMap({ $0 as? BMPSource }).first?.routers() ?? [] {
            for bp in router.peers {
                var e = SessionRegistry.Entry(address: bp.peer.address.description)
                e.asn = bp.peer.asn
                e.state = bp.isUp ? "Established" : "Idle"
                e.updates = bp.routeMonitoring
                e.via = "bmp \(router.address)"
                peers.append(e)
            }
        }
        return peers
    }

    public func report() -> StatusReport {
        let p = pipeline.snapshot()
        var peers = peers()
        for i in peers.indices { peers[i].routes = p.peerRoutes[peers[i].address] ?? 0 }
        return StatusReport(collector: cfg.name, pid: getpid(), started: started, updated: wallClock().0, elements: p.elements,
                            routes: p.routes, prefixes: p.prefixes, queued: p.queued, peakQueued: p.peakQueued, readPauses: p.readPauses, archive: archive.map { $0.writer.directory },
                            peers: peers, openEvents: p.openEvents, probes: cfg.probe == nil ? nil : p.probes, refusedPaths: p.refusedPaths,
                            sources: health.withLockedValue { $0 },
                            busMissed: Dictionary(bus.missedBySubscriber.map { ($0.name, $0.missed) }, uniquingKeysWith: +))
    }

    func writeStatus(_ report: StatusReport? = nil) {
        guard let path = cfg.statusFile, let data = try? JSONEncoder().encode(report ?? self.report()) else { return }
        let tmp = path + ".tmp"
        if FileManager.default.createFile(atPath: tmp, contents: data) { rename(tmp, path) }
    }

    /// A bview of what every peer holds now, written on the pipeline thread (so it is
    /// consistent with the updates archived before it), named by its minute.
    func snapshot() {
        guard let archive else { return }
        let t = wallClock().0
        let cfg = self.cfg
        pipeline.perform { [logger] engine in
            do {
                var n = 0
                let file = try archive.writer.writeSnapshot(at: Int64(t) - Int64(t) % 60) { w in
                    n = try RIBSnapshot.write(engine.state, collectorID: cfg.routerID, view: cfg.name, at: t, into: w)
                }
                logger.info("archive: RIB snapshot \(file): \(n) prefixes")
                archive.prune()
            } catch {
                logger.error("archive: RIB snapshot failed: \(error)")
            }
        }
    }

    /// SIGHUP: the configuration read again; what can change while running (the watch list) changes.
    func reload() {
        guard let path = configPath else { return }
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let new = try CollectConfig(toml: text, file: path)
            pipeline.setWatch(new.watch)
            watching.withLockedValue { $0 = new.watch.map(\.description) }
            logger.notice("reloaded \(path): watching \(new.watch.isEmpty ? "every origin AS and country" : new.watch.map(\.description).joined(separator: ", "))")
            let ignored = [new.listen != cfg.listen ? "collector.listen" : nil, new.bmpListen != cfg.bmpListen ? "bmp.listen" : nil,
                           new.follows != cfg.follows ? "follow" : nil, new.risLive != cfg.risLive ? "ris_live" : nil, new.bin != cfg.bin ? "detect.bin" : nil,
                           new.alerts != cfg.alerts ? "alerts, channels and rules" : nil].compactMap { $0 }
            if !ignored.isEmpty { logger.warning("reload: \(ignored.joined(separator: ", ")) changed: they take effect on restart") }
        } catch {
            logger.error("reload: \(error): keeping the running configuration")
        }
    }
}

/// A service of the group that runs a closure (sources, consumers, the pipeline's stop).
struct RunService: ServiceLifecycle.Service, CustomStringConvertible {
    let description: String
    let body: @Sendable () async throws -> Void
    init(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        description = name
        self.body = body
    }
    func run() async throws { try await body() }
}

extension LivePipeline: ElementSink, ProbeRoundSink {}

extension Observatory.Mode {
    var noun: String {
        switch self {
        case .serve: "observatory"
        case .collect: "collector"
        case .probe: "prober"
        }
    }
}
