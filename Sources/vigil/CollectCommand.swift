import ArgumentParser
import BGPWire
import Collector
import Config
import Entities
import Foundation
import MRT
import Probing
import Replay
import Routing
import Signals
import Store

struct CollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Run a live BGP collector: peer with routers, archive in MRT, detect outages as they happen.",
        discussion: """
            Peers with routers (passive and active BGP sessions, IPv4 and IPv6 transport; \
            BMP feeds), archives what they send as RIPE RIS does (updates.YYYYMMDD.HHMM.gz every \
            5 minutes, bview.YYYYMMDD.HHMM.gz every 8 hours, under ARCHIVE/NAME/), and feeds the \
            same signals and detector as `vigil replay`, live: an outage of a watched entity \
            opens within seconds of the last peer withdrawing its routes. Everything is set in \
            one TOML file (README.md, "Live collector"). Stop with Ctrl-C (SIGINT) or SIGTERM: \
            the current archive files are completed.

            Examples:
              vigil collect --config vigil.toml
              vigil collect --config vigil.toml --status
            """
    )

    @Option(help: "Configuration file (TOML).")
    var config: String = "vigil.toml"

    @Flag(help: "Print the running collector's status (from its status file) and exit.")
    var status = false

    @Flag(help: "Check the configuration and exit.")
    var check = false

    @Option(help: "Stop after this many seconds (for tests and benchmarks).")
    var runFor: Double?

    func run() throws {
        let text: String
        do { text = try String(contentsOfFile: config, encoding: .utf8) } catch {
            throw ValidationError("\(config): cannot read: \(error.localizedDescription)")
        }
        let cfg: CollectConfig
        do { cfg = try CollectConfig(toml: text, file: config) } catch let p as CollectConfig.Problem {
            printError("vigil: \(p.description)")
            throw ExitCode(2)
        }
        if check {
            let probing = cfg.probe.map { ", probing \($0.targets.count) targets" } ?? ""
            print("\(config): OK: \(cfg.peers.count) peers, listening on \(cfg.listen.count) addresses, BMP on \(cfg.bmpListen.count)\(probing)")
            return
        }
        if status {
            guard let path = cfg.statusFile else { throw ValidationError("\(config): store.status_file is not set") }
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): no status (is the collector running?)") }
            let s = try JSONDecoder().decode(CollectorStatus.self, from: data)
            print(s.table())
            return
        }
        try Collecting(cfg).run(seconds: runFor)
    }
}

/// What the status file holds (JSON), and how `--status` shows it.
struct CollectorStatus: Codable {
    var collector: String
    var pid: Int32
    var started: UInt32
    var updated: UInt32
    var elements: Int
    var routes: Int
    var prefixes: Int
    var queued: Int
    var archive: String?
    var peers: [SessionRegistry.Entry]
    var openEvents: [Event]
    /// The last probing round per entity (absent when not probing).
    var probes: [ProbeRow]?
    /// ADD-PATH paths refused beyond the bound per (peer, prefix) (absent in older status files).
    var refusedPaths: Int?

    func table() -> String {
        var out = "collector \(collector) (pid \(pid)), up since \(UTCTime.format(Int64(started))), status at \(UTCTime.format(Int64(updated)))\n"
        out += "elements \(elements), routes \(routes), prefixes \(prefixes), queued \(queued)\n"
        if let a = archive { out += "archive \(a)\n" }
        if let r = refusedPaths, r > 0 { out += "ADD-PATH paths refused \(r) (over \(PeerTable.maxPathsPerPrefix) for one prefix from one peer)\n" }
        let head = ["peer", "AS", "via", "state", "since", "routes", "updates", "last message", "last error"]
        var rows = [head]
        for p in peers {
            rows.append([p.address, "\(p.asn)", p.via, p.state, p.since == 0 ? "-" : UTCTime.format(Int64(p.since)), "\(p.routes)", "\(p.updates)",
                         p.lastMessage == 0 ? "-" : UTCTime.format(Int64(p.lastMessage)), p.lastError ?? ""])
        }
        let widths = head.indices.map { i in rows.map { $0[i].count }.max()! }
        for r in rows {
            out += r.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
        }
        if let probes, !probes.isEmpty {
            out += "probing, last round at \(UTCTime.format(probes[0].time)):\n"
            for r in probes { out += "  \(r.entity): \(ProbeCommand.summary(r))\n" }
        }
        if !openEvents.isEmpty {
            out += "open events:\n"
            for e in openEvents { out += "  \(e.entity) \(e.kind.rawValue) (\(e.cause.rawValue)) since \(UTCTime.format(e.start))\n" }
        }
        return out
    }
}

/// One running collector: the front ends, the archive, the live pipeline, the status file.
final class Collecting: @unchecked Sendable {
    let cfg: CollectConfig
    let started = wallClock().0

    init(_ cfg: CollectConfig) { self.cfg = cfg }

    func log(_ s: String) { logLine(s) }

    func run(seconds: Double?) throws {
        // The archive: first put back whatever a crash left half-written.
        var archive: SharedArchive?
        if let dir = cfg.archiveDirectory {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let writer = try ArchiveWriter(directory: "\(dir)/\(cfg.name)", updatesInterval: cfg.updatesInterval, gzip: cfg.gzip)
            writer.gzipLevel = cfg.gzipLevel
            for r in try writer.recover() { log("archive: recovered \(r.records) complete records into \(r.file)") }
            archive = SharedArchive(writer) { [self] in log($0) }
        }
        let store: any SeriesStore = try cfg.database.map { try SQLiteStore(path: $0) } ?? MemoryStore()
        try endUnfinishedEvents(store)
        let map = try store.loadEntityMap()
        var options = LivePipeline.Options()
        options.binSeconds = cfg.bin
        options.watch = cfg.watch
        options.fullFeed = FullFeedPolicy(minIPv4: cfg.fullFeedV4, minIPv6: cfg.fullFeedV6)
        options.live.warmup = cfg.liveWarmup
        options.live.window = cfg.liveWindow
        options.live.minimumOutage = cfg.liveMinimumOutage
        options.keepAttributes = archive != nil
        options.dataPlane.downShare = cfg.probeDownShare
        options.dataPlane.rttFactor = cfg.probeRTTFactor
        options.dataPlane.minimumHistory = cfg.probeBaselineRounds
        let pipeline = LivePipeline(options: options, store: store, lookup: map.isEmpty ? nil : CountryLookup(map))
        let sink = try EventSink(path: cfg.eventsFile)
        pipeline.onEvent = { change, latency in sink.report(change, latency: latency) }
        pipeline.onError = { [self] in log($0) }
        pipeline.start()
        let probing = try startProbing(pipeline)

        var events = CollectorEvents()
        events.onLog = { [self] in log($0) }
        events.onEstablished = { [self] peer, n in
            log("\(peer): established (hold \(n.holdTime) s, families \(n.families.map(\.description).joined(separator: " ")))")
            let t = wallClock()
            pipeline.submit([BGPElement(kind: .state, timestamp: t.0, microseconds: t.1, peerAddress: peer.address, peerAS: peer.asn,
                                        oldState: 5, newState: 6)])
        }
        events.onDown = { peer, _ in
            let t = wallClock()
            pipeline.submit([BGPElement(kind: .state, timestamp: t.0, microseconds: t.1, peerAddress: peer.address, peerAS: peer.asn,
                                        oldState: 6, newState: 1)])
        }
        events.onUpdate = { peer, decision, options, t, us in
            switch decision {
            case let .accept(u), let .attributeDiscard(u, _):
                pipeline.submit(ElementExtractor.elements(of: u, peerAddress: peer.address, peerAS: peer.asn, fourOctetAS: options.fourOctetAS,
                                                          timestamp: t, microseconds: us))
            case let .treatAsWithdraw(withdrawn, _):
                pipeline.submit(withdrawn.map {
                    BGPElement(kind: .withdrawal, timestamp: t, microseconds: us, peerAddress: peer.address, peerAS: peer.asn, prefix: $0.prefix, pathID: $0.pathID)
                })
            case .sessionReset:
                break  // the session handles it; its routes go with the session
            }
        }

        let registry = SessionRegistry()
        let session = {
            var c = SessionMachine.Config(localAS: cfg.localAS, routerID: cfg.routerID)
            c.holdTime = cfg.holdTime
            return c
        }()
        let passive = cfg.peers.filter { !$0.active }
        let acceptAny = cfg.peers.isEmpty
        let listener = BGPListener(config: session, archive: archive, events: events, registry: registry) { address in
            if acceptAny { return session }
            guard let p = passive.first(where: { $0.address == address }) else { return nil }
            var c = session
            c.peerAS = p.asn
            return c
        }
        for p in passive { registry.update(p.address) { $0.asn = p.asn ?? 0 } }
        for l in cfg.listen {
            let port = try listener.start(host: l.host, port: l.port)
            log("listening for BGP on \(l.host) port \(port)")
        }
        let connector = BGPConnector(archive: archive, events: events, registry: registry)
        for p in cfg.peers where p.active {
            var c = session
            c.peerAS = p.asn
            connector.add(.init(address: p.address, port: p.port, config: c))
            log("dialling \(p.address) port \(p.port) (AS\(p.asn ?? 0))")
        }
        let bmp = try startBMP(archive: archive, events: events, registry: registry)

        // Signals arrive through a pipe (see SignalPipe): SIGINT/SIGTERM stop, SIGUSR1 asks for a RIB snapshot.
        let signals = SignalPipe([SIGINT, SIGTERM, SIGUSR1])
        let statusTimer = DispatchSource.makeTimerSource(queue: .global())
        statusTimer.schedule(deadline: .now() + 1, repeating: 1)
        statusTimer.setEventHandler { [self] in
            archive?.flush(now: Int64(wallClock().0))
            writeStatus(pipeline, registry, archive)
        }
        statusTimer.resume()
        // (A dispatch source released without ever being resumed crashes: make one only when used.)
        var ribTimer: (any DispatchSourceTimer)?
        if let archive {
            let timer = DispatchSource.makeTimerSource(queue: .global())
            // RIB snapshots at the RIS times (multiples of the interval), the first at the next one.
            let now = Int64(wallClock().0)
            let first = (now / cfg.ribInterval + 1) * cfg.ribInterval
            timer.schedule(wallDeadline: .now() + .seconds(Int(first - now)), repeating: .seconds(Int(cfg.ribInterval)))
            timer.setEventHandler { [self] in snapshot(pipeline, archive) }
            timer.resume()
            ribTimer = timer
        }
        log("collector \(cfg.name) running (pid \(getpid()))")
        let deadline = seconds.map { monotonicSeconds() + $0 }
        while true {
            let wait = deadline.map { max(0, $0 - monotonicSeconds()) }
            guard let sig = signals.next(timeout: wait) else { break }  // --run-for is over
            if sig == SIGUSR1 {
                if let archive { snapshot(pipeline, archive) }
                continue
            }
            break
        }
        log("stopping")
        ribTimer?.cancel()
        statusTimer.cancel()
        probing?.stop()
        // The pipeline first: the sessions closing next are the collector's doing, and
        // seen by it they would withdraw every route (an outage of every watched entity).
        pipeline.stop()
        connector.stop()
        listener.stop()
        bmp?()
        archive?.rotate()
        writeStatus(pipeline, registry, archive)
    }

    /// Events a run that did not stop cleanly (killed, crashed) left open: Vigil stopped
    /// observing them after the last bin it stored, so they end there, not as recoveries.
    func endUnfinishedEvents(_ store: any SeriesStore) throws {
        var ended: [Event] = []
        for e in try store.events(entity: nil, from: nil, until: nil) where e.end == nil {
            let lastBin = try store.series(entity: e.entity, from: e.start, until: nil).last.map { $0.bin + cfg.bin } ?? e.start
            ended.append(e.stoppedObserving(at: lastBin))
            log("\(e.entity) \(e.kind.rawValue) since \(UTCTime.format(e.start)) was left open by a run that did not stop: observation stopped at \(UTCTime.format(max(lastBin, e.start)))")
        }
        try store.writeEvents(ended)
    }

    /// A bview of what every peer holds now, written on the pipeline thread (so it is
    /// consistent with the updates archived before it), named by its minute.
    func snapshot(_ pipeline: LivePipeline, _ archive: SharedArchive) {
        let t = wallClock().0
        let cfg = self.cfg
        pipeline.perform { [self] engine in
            do {
                var n = 0
                let file = try archive.writer.writeSnapshot(at: Int64(t) - Int64(t) % 60) { w in
                    n = try RIBSnapshot.write(engine.state, collectorID: cfg.routerID, view: cfg.name, at: t, into: w)
                }
                log("archive: RIB snapshot \(file): \(n) prefixes")
            } catch {
                log("archive: RIB snapshot failed: \(error)")
            }
        }
    }

    var bmp: BMPStation?

    /// The BMP station: each monitored peer is a collector peer (same archive, same pipeline).
    func startBMP(archive: SharedArchive?, events: CollectorEvents, registry: SessionRegistry) throws -> (() -> Void)? {
        guard !cfg.bmpListen.isEmpty else { return nil }
        let station = BMPStation(localAS: cfg.localAS, archive: archive, events: events)
        for l in cfg.bmpListen {
            let port = try station.start(host: l.host, port: l.port)
            log("listening for BMP on \(l.host) port \(port)")
        }
        bmp = station
        return { station.stop() }
    }

    func writeStatus(_ pipeline: LivePipeline, _ registry: SessionRegistry, _ archive: SharedArchive?) {
        guard let path = cfg.statusFile else { return }
        let p = pipeline.snapshot()
        var peers = registry.snapshot()
        // Peers seen through BMP: one row each, named by the router that reports them.
        for router in bmp?.routers() ?? [] {
            for bp in router.peers {
                var e = SessionRegistry.Entry(address: bp.peer.address.description)
                e.asn = bp.peer.asn
                e.state = bp.isUp ? "Established" : "Idle"
                e.updates = bp.routeMonitoring
                e.via = "bmp \(router.address)"
                peers.append(e)
            }
        }
        for i in peers.indices { peers[i].routes = p.peerRoutes[peers[i].address] ?? 0 }
        let s = CollectorStatus(collector: cfg.name, pid: getpid(), started: started, updated: wallClock().0, elements: p.elements,
                                routes: p.routes, prefixes: p.prefixes, queued: p.queued,
                                archive: archive.map { $0.writer.directory }, peers: peers, openEvents: p.openEvents,
                                probes: cfg.probe == nil ? nil : p.probes, refusedPaths: p.refusedPaths)
        guard let data = try? JSONEncoder().encode(s) else { return }
        let tmp = path + ".tmp"
        if FileManager.default.createFile(atPath: tmp, contents: data) { rename(tmp, path) }
    }
}

/// Signals as bytes on a pipe: the handler only writes one byte (async-signal-safe),
/// and the main thread reads them. A dispatch signal source is not used because on
/// Linux it needs the signal blocked in every thread, including those the runtime
/// started before `run()`; a handler works whatever thread the kernel picks.
final class SignalPipe {
    nonisolated(unsafe) static var writeFD: Int32 = -1
    let readFD: Int32

    init(_ signals: [Int32]) {
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        readFD = fds[0]
        SignalPipe.writeFD = fds[1]
        // A parent may have started us with these signals blocked (Foundation's Process does):
        // unblock them here, so the kernel has a thread to deliver them to.
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in signals {
            var sa = sigaction()
            sa.__sigaction_handler.sa_handler = { sig in
                var b = UInt8(truncatingIfNeeded: sig)
                _ = write(SignalPipe.writeFD, &b, 1)
            }
            sigemptyset(&sa.sa_mask)
            sa.sa_flags = SA_RESTART
            sigaction(s, &sa, nil)
        }
    }

    /// The next signal, or nil once `timeout` seconds pass (nil: wait for ever).
    func next(timeout: Double?) -> Int32? {
        var p = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        while true {
            let ms = timeout.map { Int32(min($0 * 1000, Double(Int32.max))) } ?? -1
            let rc = poll(&p, 1, ms)
            if rc < 0 && errno == EINTR { continue }
            guard rc > 0 else { return nil }
            var b: UInt8 = 0
            if read(readFD, &b, 1) == 1 { return Int32(b) }
        }
    }
}
