import BGPWire
public import Collector
import Foundation
public import Config
public import Logging
import MRT
import NIOConcurrencyHelpers
import RISLive
public import Signals

/// RIS Live as a source (`[[ris_live]]`): RIPE's collectors' updates as they arrive, decoded from
/// the raw BGP bytes into the pipeline like a collector's own.
///
/// A dropped or stalled stream is this source's health (down, silent, lagging) — published on the
/// bus, stored per vantage point and alerted like any feed — never an outage: the routing state
/// keeps what it knew, and nothing is withdrawn because Vigil stopped hearing. RIS peers going
/// down (RIS_PEER_STATE) are sessions going down, which the feed-health judge already treats as
/// news about the feed.
///
/// With `archive = true` each collector's messages are written as a collector of its own would
/// write them (BGP4MP_ET, the raw bytes as received, peer states as STATE_CHANGE), so `vigil
/// replay` of that folder gives what the stream gave.
public final class RISLiveSource: ElementSource {
    public let name: String
    public let limits: SourceHealthTracker.Limits
    let config: RISLiveConfig
    let client: RISLiveClient
    let logger: Logger

    /// What the stream did so far, for `reading()` (the client's task writes, the monitor reads).
    struct Tally {
        var attempted = false
        var connected = false
        var connections = 0
        var messages = 0
        var elements = 0
        var problems = 0
        /// How late the newest message arrived (arrival less its timestamp), in seconds.
        var lastLag: Double?
        var collectors: Set<String> = []
        var lastDrop: String?
        /// Updates that came without usable raw bytes: not in the archive.
        var notArchived = 0
        var canary: BeaconCanary?
        var rates = FeedRates()
    }
    let tally = NIOLockedValueBox(Tally())
    let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// Opens a collector's archive (nil: no archiving), and those opened, by collector.
    let openArchive: (@Sendable (String) throws -> SharedArchive)?
    let archives = NIOLockedValueBox([String: SharedArchive]())
    /// The starting state, fed while the stream is held (nil: the state starts empty).
    let seed: RISLiveSeed?
    /// RIPE NCC's AS, the local AS of every RIS collector (their local addresses are not in the stream: unspecified).
    static let risAS: UInt32 = 12654
    static let unspecified4 = IPAddress("0.0.0.0")!, unspecified6 = IPAddress("::")!

    public init(_ c: RISLiveConfig, archive: (@Sendable (String) throws -> SharedArchive)? = nil, logger: Logger) throws {
        openArchive = archive
        config = c
        name = c.name
        limits = .init(silentAfter: c.silentAfter, lagAfter: c.lag)
        var l = logger
        l[metadataKey: "source"] = "\(c.name)"
        self.logger = l
        var canary: BeaconCanary?
        if c.beacons {
            var b = c.beaconPrefixes.isEmpty ? BeaconCanary() : BeaconCanary(beacons: c.beaconPrefixes.compactMap { Prefix($0) })
            (b.period, b.withdrawAfter, b.grace) = (c.beaconPeriod, c.beaconWithdrawAfter, c.beaconGrace)
            canary = b
        }
        tally.withLockedValue { $0.canary = canary }
        var o = RISLiveClient.Options(url: c.url, subscriptions: Self.subscriptions(c, beacons: canary?.prefixText ?? []))
        o.keepRaw = archive != nil
        o.pingEvery = .seconds(c.ping)
        o.staleAfter = .seconds(c.stale)
        // A stream with no update for `silent` while pongs come has a subscription that no longer delivers: subscribe afresh.
        if c.silentAfter < CollectConfig.maxDuration { o.silentAfter = .seconds(c.silentAfter) }
        client = RISLiveClient(o, logger: l)
        seed = c.seeded ? try RISLiveSeed(c, logger: l) : nil
    }

    /// Per collector (RIS Live takes one host a subscription): its updates and its peers' states, with
    /// the raw bytes; a filtered stream subscribes to the beacons as well, or it would never hear them.
    static func subscriptions(_ c: RISLiveConfig, beacons: [String]) -> [RISSubscription] {
        let hosts: [String?] = c.collectors.isEmpty ? [nil] : c.collectors
        return hosts.flatMap { h in
            var s = ["UPDATE", "RIS_PEER_STATE"].map { type in
                RISSubscription(host: h, type: type, path: type == "UPDATE" ? c.path : nil, peer: c.peer,
                                prefixes: type == "UPDATE" ? c.prefixes : [], moreSpecific: c.moreSpecific, lessSpecific: c.lessSpecific)
            }
            if c.filtered && !beacons.isEmpty { s.append(RISSubscription(host: h, type: "UPDATE", prefixes: beacons, moreSpecific: false)) }
            return s
        }
    }

    public func start(into sink: any ElementSink) throws {
        logger.info("listening to \(config.url)\(config.collectors.isEmpty ? "" : " for \(config.collectors.joined(separator: ", "))")")
        tally.withLockedValue { $0.attempted = false }
        seed?.start(into: sink)
        let t = Task { [self, client, tally, logger] in
            await client.run { happening in
                switch happening {
                case .connected:
                    tally.withLockedValue {
                        $0.attempted = true
                        $0.connected = true
                        $0.connections += 1
                        $0.canary?.connected(at: Int64(Date().timeIntervalSince1970))
                        $0.rates.setConnected(true)
                    }
                    logger.info("RIS Live: connected and subscribed")
                case let .event(.elements(collector, peer, peerAS, elements, raw)):
                    let newest = elements.last.map { Double($0.timestamp) + Double($0.microseconds ?? 0) / 1e6 }
                    let lag = newest.map { Date().timeIntervalSince1970 - $0 }
                    tally.withLockedValue {
                        $0.messages += 1
                        $0.elements += elements.count
                        if let lag { $0.lastLag = lag }
                        if !$0.collectors.contains(collector) { $0.collectors.insert(collector) }
                        $0.canary?.observe(elements, now: Int64(Date().timeIntervalSince1970))
                        let key = RISPeer(collector: collector, address: peer, asn: peerAS)
                        if let e = elements.first, e.kind == .state, e.newState != 6 { $0.rates.sessionDown(key) } else { $0.rates.message(key) }
                    }
                    if self.openArchive != nil { self.archiveMessage(collector, peer, peerAS, elements, raw) }
                    if let seed = self.seed, seed.hold(collector, elements) { return }
                    sink.submit(elements)
                    // While the pipeline is full the stream is not read: RIS Live then disconnects a client
                    // that fell too far behind, and that is reported as the drop it is.
                    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                        if sink.admit(resume: { c.resume() }) { c.resume() }
                    }
                case let .event(.error(m)):
                    logger.warning("RIS Live: ris_error: \(m)")
                case .event:
                    break
                case let .problem(p):
                    let problems = tally.withLockedValue {
                        $0.problems += 1
                        return $0.problems
                    }
                    // The first few in full, then one in a thousand: a broken stream must not flood the log.
                    if problems <= 10 || problems % 1000 == 0 { logger.warning("RIS Live: unusable message (\(problems) so far): \(p)") }
                case let .disconnected(why, retryIn):
                    tally.withLockedValue {
                        $0.attempted = true
                        $0.connected = false
                        $0.lastDrop = why
                        $0.canary?.disconnected()
                        $0.rates.setConnected(false)
                    }
                    let secs = Double(retryIn.components.seconds) + Double(retryIn.components.attoseconds) / 1e18
                    logger.warning("RIS Live: \(why); reconnecting in \(String(format: "%.1f", secs)) s")
                }
            }
        }
        task.withLockedValue { $0 = t }
    }

    public func reading() -> SourceReading {
        let now = Date().timeIntervalSince1970
        let t = tally.withLockedValue {
            $0.rates.roll(now: Int64(now))
            return $0
        }
        var detail = "\(t.connections) connection\(t.connections == 1 ? "" : "s"), \(t.messages) updates (\(t.elements) elements)"
        if !t.collectors.isEmpty { detail += " from \(t.collectors.sorted().joined(separator: ", "))" }
        if let lag = t.lastLag { detail += String(format: ", newest %.1f s late", lag) }
        if t.problems > 0 { detail += ", \(t.problems) unusable" }
        if let quiet = t.rates.quietPeers(now: Int64(now)) { detail += ", " + quiet }
        if t.notArchived > 0 { detail += ", \(t.notArchived) without raw bytes not archived" }
        if !t.connected, let d = t.lastDrop { detail += "; \(d)" }
        if let seed {
            let done = seed.summary
            detail += "; " + (done.isEmpty ? seed.progress() : done)
        }
        let troubles = [t.canary?.problem(now: Int64(now)), t.rates.problem(now: Int64(now))].compactMap { $0 }
        // The newest message's delay stands for the stream's: a quiet filtered stream is not lagging for being quiet.
        return SourceReading(connected: t.attempted ? t.connected : nil, count: t.messages, dataTime: t.lastLag.map { Int64(now - max(0, $0)) },
                             detail: detail, trouble: troubles.isEmpty ? nil : troubles.joined(separator: "; "))
    }

    /// The collector's archive, opened at its first message (an archive that cannot be opened is logged, and the stream goes on).
    func archive(_ collector: String) -> SharedArchive? {
        guard let open = openArchive else { return nil }
        return archives.withLockedValue { a in
            if let x = a[collector] { return x }
            do {
                let x = try open(collector)
                a[collector] = x
                return x
            } catch {
                logger.error("RIS Live: archive of \(collector): \(error)")
                return nil
            }
        }
    }

    func archiveMessage(_ collector: String, _ peer: IPAddress, _ peerAS: UInt32, _ elements: [BGPElement], _ raw: RawBGP?) {
        guard let a = archive(collector) else { return }
        let peering = BGP4MPPeering(peerAS: peerAS, localAS: Self.risAS, peerAddress: peer,
                                    localAddress: peer.isIPv6 ? Self.unspecified6 : Self.unspecified4)
        if let raw {
            a.append(BGP4MPMessage.rawRecord(timestamp: raw.timestamp, microseconds: raw.microseconds, peering: peering, fourOctetAS: raw.fourOctet,
                                             addPath: false, messageBytes: raw.bytes), timestamp: raw.timestamp)
        } else if let e = elements.first, e.kind == .state, let old = e.oldState, let new = e.newState {
            a.stateChange(peering, old: old, new: new, at: (e.timestamp, e.microseconds ?? 0))
        } else {
            tally.withLockedValue { $0.notArchived += 1 }
        }
    }

    public func flush(now: Int64) {
        for a in archives.withLockedValue({ Array($0.values) }) { a.flush(now: now) }
    }

    /// Ends the connection, then completes the archives' files once nothing more can arrive.
    public func stop() {
        seed?.stop()
        guard let t = task.withLockedValue({ $0 }) else { return }
        t.cancel()
        let ended = DispatchSemaphore(value: 0)
        Task.detached {
            await t.value
            ended.signal()
        }
        if ended.wait(timeout: .now() + 5) == .timedOut { logger.warning("RIS Live: the connection did not end within 5 s") }
        for a in archives.withLockedValue({ Array($0.values) }) { a.rotate() }
    }
}
