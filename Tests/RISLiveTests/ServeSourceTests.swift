import BGPWire
import Alerts
import Collector
import Config
import Foundation
import Logging
import MRT
import Replay
import Routing
import Service
import Signals
import XCTest
@testable import RISLive

/// RIS Live as a source of `vigil serve`, end to end in one process: the local RIS Live stand-in
/// streams a real RIS updates file (raw BGP bytes, stamped as they are sent), the stream is cut and
/// refused for a few seconds mid-way, and the observatory's routing state must end as replaying
/// the same messages as MRT leaves it, with the gap reported as the source's health, not as outages.
final class ServeSourceTests: XCTestCase {
    /// The rest of each test's configuration: the archive (none unless given), a store in `dir`, metrics on a free port.
    static func observatory(_ dir: URL, archive: String = "") -> String {
        """

        [archive]
        directory = "\(archive)"

        [store]
        database = "\(dir.appendingPathComponent("vigil.sqlite").path)"
        status_file = ""

        [metrics]
        listen = "127.0.0.1:0"
        """
    }

    /// The observatory running `cfg` (events to a file in `dir`), and a reader of everything on its bus until it stops.
    static func running(_ cfg: CollectConfig, dir: URL) async throws -> (Observatory, Task<Void, any Error>, Task<[BusMessage], Never>) {
        var cfg = cfg
        cfg.eventsFile = dir.appendingPathComponent("events.jsonl").path
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let observatory = try await Observatory(cfg, mode: .serve, logger: logger)
        let sub = observatory.bus.subscribe("test", capacity: 100_000)
        let run = Task { try await observatory.run(seconds: nil, handleSignals: false) }
        let reader = Task.detached { [sub] in
            var out: [BusMessage] = []
            for await m in sub.messages { out.append(m) }
            return out
        }
        return (observatory, run, reader)
    }

    func testServeHearsRISLiveThroughADropAndReportsTheGapAsFeedHealth() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rislive-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: dir) } }
        let real = try DecoderTests.messages("updates.20160811.1600.gz", host: "rrc21.ripe.net")
        XCTAssertGreaterThan(real.count, 1000)
        let half = real.count / 2
        let script = ["#restamp"] + real[..<half].map(\.json) + ["#wait 2", "#refuse 6", "#drop"] + real[half...].map(\.json)
        let (url, server, log) = try ClientTests.server(script: script, dir: dir)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }

        // The reference: the same UPDATEs as an archive's elements, applied to a routing state of their own.
        let reference = SignalEngine()
        var total = 0
        for m in real {
            for e in m.expected { _ = reference.apply(e) }
            total += m.expected.count
        }

        let cfg = try CollectConfig(toml: """
            [[ris_live]]
            url = "\(url)"
            collectors = ["rrc21"]
            ping = "1s"
            stale = "3s"
            archive = true

            """ + Self.observatory(dir, archive: dir.appendingPathComponent("archive").path), file: "test.toml")
        let (observatory, run, reader) = try await Self.running(cfg, dir: dir)
        let until = Date().addingTimeInterval(90)
        var report = observatory.report()
        while Date() < until {
            try await Task.sleep(for: .milliseconds(200))
            report = observatory.report()
            if report.elements == total && report.queued == 0 { break }
        }
        // Routes are counted at the pipeline's tick, health at the monitor's look: once a second each.
        try await Task.sleep(for: .milliseconds(2500))
        report = observatory.report()
        XCTAssertEqual(report.elements, total, "every element of the stream, across the drop (server log: \(log.path))")
        XCTAssertEqual(report.routes, reference.state.routeCount, "the routing state the same MRT file gives")
        XCTAssertEqual(report.prefixes, reference.state.prefixes.live)
        XCTAssertGreaterThan(report.routes, 1000)
        let health = try XCTUnwrap(report.sources?.first)
        XCTAssertEqual(health.source, "ris-live rrc21")
        XCTAssertTrue(health.detail.hasPrefix("2 connections, \(real.count) updates (\(total) elements) from rrc21"), health.detail)

        await observatory.stop()
        try await run.value
        var states: [SourceHealth.State] = [], opened: [Event] = []
        for m in await reader.value {
            switch m {
            case let .source(h) where h.source == "ris-live rrc21": states.append(h.state)
            case let .event(c, _): if case .opened = c { opened.append(c.event) }
            default: break
            }
        }
        // Up, down while the stand-in refused it, up again; never an outage of what it could not hear.
        let upDownUp = states.firstIndex(of: .up).flatMap { u in states[u...].firstIndex(of: .down).flatMap { d in states[d...].firstIndex(of: .up) } }
        XCTAssertNotNil(upDownUp, "the gap is the source's health: \(states)")
        XCTAssertFalse(opened.contains { $0.kind == .outage }, "\(opened.map { "\($0.entity) \($0.kind)" })")

        // The archive: what arrived, as a collector writes it; read back, the same elements in the same order (time aside: restamped).
        let folder = dir.appendingPathComponent("archive/rrc21")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("updates.") }.sorted()
        XCTAssertFalse(files.isEmpty)
        var archived: [BGPElement] = []
        var extractor = ElementExtractor()
        for f in files {
            let reader = try MRTReader(path: folder.appendingPathComponent(f).path)
            while let rec = try reader.next() { _ = extractor.elements(of: try MRTRecord.decode(rec), into: &archived) }
        }
        func untimed(_ e: BGPElement) -> BGPElement {
            var e = e
            (e.timestamp, e.microseconds) = (0, nil)
            return e
        }
        XCTAssertEqual(archived.count, total)
        XCTAssertTrue(archived.map(untimed) == real.flatMap(\.expected).map(untimed), "the archive holds the stream's elements")
        let now = UInt32(Date().timeIntervalSince1970)
        XCTAssertTrue(archived.allSatisfy { $0.timestamp > now - 300 && $0.timestamp <= now }, "stamped as they were sent")

        // Each connection subscribed again: the collector's updates and its peers' states, with the raw bytes.
        let received = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let subs = received.compactMap { ($0["message"] as? [String: Any]).flatMap { $0["type"] as? String == "ris_subscribe" ? $0["data"] as? [String: Any] : nil } }
        XCTAssertEqual(subs.count, 4, "two subscriptions on each of two connections")
        XCTAssertEqual(Set(subs.compactMap { $0["type"] as? String }), ["UPDATE", "RIS_PEER_STATE"])
        XCTAssertTrue(subs.allSatisfy { $0["host"] as? String == "rrc21" && ($0["socketOptions"] as? [String: Any])?["includeRaw"] as? Bool == true })
    }

    /// The lag that matters: from a withdrawal leaving RIS Live to the outage it causes, through the
    /// client, the decoder, the pipeline and the live detector (the stand-in notes when it sends).
    func testAWithdrawalHeardOverRISLiveOpensTheOutageWithinSeconds() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rislive-outage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: dir) } }
        let prefixes = ["198.51.100.0/24", "203.0.113.0/24"]
        func message(_ peer: Int, _ body: String) -> String {
            #"{"type":"ris_message","data":{"timestamp":0.0,"peer":"192.0.2.\#(peer)","peer_asn":"6450\#(peer)","id":"x","host":"rrc21","type":"UPDATE",\#(body)}}"#
        }
        let list = prefixes.map { "\"\($0)\"" }.joined(separator: ",")
        let announce = (1...3).map { message($0, #""path":[6450\#($0),64500],"origin":"IGP","announcements":[{"next_hop":"192.0.2.\#($0)","prefixes":[\#(list)]}]"#) }
        let withdraw = (1...3).map { message($0, #""withdrawals":[\#(list)]"#) }
        let (url, server, log) = try ClientTests.server(script: ["#restamp"] + announce + ["#wait 5", "#mark"] + withdraw + ["#wait 120"], dir: dir)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let cfg = try CollectConfig(toml: """
            [[ris_live]]
            url = "\(url)"
            collectors = ["rrc21"]
            beacons = false
            ping = "1s"
            stale = "3s"

            [detect]
            watch = ["AS64500"]
            full_feed_v4 = 1
            live_warmup = "2s"
            live_min_outage = "0s"
            """ + Self.observatory(dir), file: "test.toml")
        let (observatory, run, reader) = try await Self.running(cfg, dir: dir)
        var opened: Double?
        let until = Date().addingTimeInterval(30)
        while opened == nil && Date() < until {
            try await Task.sleep(for: .milliseconds(10))
            if observatory.report().openEvents.contains(where: { $0.entity == "AS64500" && $0.kind == .outage }) { opened = Date().timeIntervalSince1970 }
        }
        await observatory.stop()
        try await run.value
        let event = await reader.value.compactMap { m -> Event? in
            if case let .event(c, _) = m, case .opened = c, c.event.kind == .outage { return c.event }
            return nil
        }.first
        let marks = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").compactMap {
            ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["message"] as? [String: Any])?["mark"] as? Double
        }
        let sent = try XCTUnwrap(marks.first, "the stand-in noted when it sent the withdrawals")
        let lag = try XCTUnwrap(opened, "the outage opened (server log: \(log.path))") - sent
        print("RIS Live: withdrawals sent → outage open in \(String(format: "%.0f", lag * 1000)) ms")
        XCTAssertEqual(event?.entity, "AS64500")
        XCTAssertEqual(event?.cause, .bgpWithdrawal)
        XCTAssertGreaterThan(lag, 0)
        XCTAssertLessThan(lag, 3.0, "seconds, not minutes (about half a second here: a withdrawal is judged within half a tick)")
    }

    /// A beacon that stops changing on schedule (here every 4 s, withdrawn 2 s after) makes the
    /// source incomplete: a feed event the alerts announce, while the stream itself looks alive.
    func testABeaconThatMissesItsScheduleMakesTheSourceIncomplete() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rislive-beacon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: dir) } }
        let (url, server, log) = try ClientTests.server(script: ["#beacon 84.205.64.0/24 4 2 11", "#wait 120"], dir: dir)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let cfg = try CollectConfig(toml: """
            [[ris_live]]
            url = "\(url)"
            collectors = ["rrc21"]
            prefixes = ["192.0.2.0/24"]
            ping = "1s"
            stale = "3s"
            beacon_prefixes = ["84.205.64.0/24"]
            beacon_period = "4s"
            beacon_withdraw_after = "2s"
            beacon_grace = "1s"

            """ + Self.observatory(dir), file: "test.toml")
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let observatory = try await Observatory(cfg, mode: .serve, logger: logger)
        let sub = observatory.bus.subscribe("test", capacity: 10_000)
        let started = Date()
        let run = Task { try await observatory.run(seconds: nil, handleSignals: false) }
        let reader = Task.detached { [sub] in
            var out: [(Double, SourceHealth)] = []
            for await m in sub.messages { if case let .source(h) = m { out.append((Date().timeIntervalSince(started), h)) } }
            return out
        }
        let until = Date().addingTimeInterval(40)
        while Date() < until, observatory.report().sources?.first?.state != .incomplete { try await Task.sleep(for: .milliseconds(200)) }
        let when = Date().timeIntervalSince(started)
        await observatory.stop()
        try await run.value
        let changes = await reader.value
        let states = changes.map(\.1.state)
        // Up on the beacon's changes while they came (11 s: two or three cycles), incomplete once one was missed.
        XCTAssertEqual(states.prefix(2), [.up, .incomplete], "\(changes.map { ($0.0, $0.1.state, $0.1.detail) }) (server log: \(log.path))")
        let incomplete = try XCTUnwrap(changes.first { $0.1.state == .incomplete })
        XCTAssertGreaterThan(incomplete.0, 9, "not before the beacon stopped")
        XCTAssertLessThan(when, 20)
        XCTAssertTrue(incomplete.1.detail.hasPrefix("RIS beacons: 0 of 1 "), incomplete.1.detail)
        // A feed event, open: what `[alerts]` announces after feed_after.
        XCTAssertNil(FeedAlerts.event(incomplete.1).end)
        XCTAssertEqual(FeedAlerts.event(incomplete.1).entity, "source:ris-live rrc21")

        // The filtered stream subscribed to the beacon as well, or it would never have heard it.
        let received = try String(contentsOf: log, encoding: .utf8)
        XCTAssertTrue(received.contains("\"prefix\": \"84.205.64.0/24\""), received)
    }

    /// Seeding: the collector's latest RIB and the updates file after it (a folder in RIS's layout,
    /// written here from the real archive's first three quarters), then the stream from the end of
    /// that file: what the stream repeats of the file is not applied twice, and the state is the
    /// one the whole archive gives.
    func testTheStateIsSeededFromTheLatestRIBAndTheStreamTakesOverWhereTheFilesEnd() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rislive-seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: dir) } }
        let real = try DecoderTests.messages("updates.20160811.1600.gz", host: "rrc21.ripe.net")
        let (ribPart, filePart, streamPart) = (real[..<(real.count / 2)], real[(real.count / 2)..<(real.count * 3 / 4)], real[(real.count * 3 / 4)...])
        let now = Int64(Date().timeIntervalSince1970)
        let t0 = now - now % 300 - 600  // two periods ago: the newest file is published, as on RIS's archive
        func stamped(_ json: String, _ t: Int64) -> String {
            json.replacingOccurrences(of: #""timestamp":[0-9.]+"#, with: "\"timestamp\":\(t).0", options: .regularExpression)
        }

        // The seed: a RIB of what the first half leaves, and the second quarter as the updates file of [t0, t0+300).
        let seedEngine = SignalEngine()
        seedEngine.state.attributeStore = AttributeStore()  // a RIB is written from the routes' attributes
        for m in ribPart { for e in m.expected { _ = seedEngine.apply(e) } }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("seed"), withIntermediateDirectories: true)
        let writer = try ArchiveWriter(directory: dir.appendingPathComponent("seed/rrc21").path)
        var ribPrefixes = 0
        _ = try writer.writeSnapshot(at: t0) { w in ribPrefixes = try RIBSnapshot.write(seedEngine.state, collectorID: 1, view: "rrc21", at: UInt32(t0), into: w) }
        XCTAssertGreaterThan(ribPrefixes, 1000)
        var decoder = RISDecoder()
        decoder.keepRaw = true
        for (i, m) in filePart.enumerated() {
            guard case let .elements(_, peer, peerAS, _, raw?) = try decoder.decode(m.json) else { return XCTFail("no raw bytes") }
            let t = UInt32(t0) + UInt32(i * 299 / filePart.count)
            let peering = BGP4MPPeering(peerAS: peerAS, localAS: 12654, peerAddress: peer,
                                        localAddress: peer.isIPv6 ? IPAddress("::")! : IPAddress("0.0.0.0")!)
            try writer.append(bytes: BGP4MPMessage.rawRecord(timestamp: t, microseconds: 0, peering: peering, fourOctetAS: raw.fourOctet,
                                                             addPath: false, messageBytes: raw.bytes), timestamp: t)
        }
        try writer.rotate()

        // The stream: the file's last 300 messages again (stamped inside the file's period), then the last quarter, newer.
        let overlap = filePart.suffix(300)
        let script = overlap.map { stamped($0.json, t0 + 200) } + streamPart.map { stamped($0.json, t0 + 310) } + ["#wait 120"]
        let (url, server, log) = try ClientTests.server(script: script, dir: dir)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let reference = SignalEngine()
        for m in real { for e in m.expected { _ = reference.apply(e) } }
        let expectedElements = seedEngine.state.routeCount + (filePart + streamPart).reduce(0) { $0 + $1.expected.count }

        let cfg = try CollectConfig(toml: """
            [[ris_live]]
            url = "\(url)"
            collectors = ["rrc21"]
            seed_folder = "\(dir.appendingPathComponent("seed").path)"
            ping = "1s"
            stale = "3s"

            """ + Self.observatory(dir), file: "test.toml")
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let observatory = try await Observatory(cfg, mode: .serve, logger: logger)
        let run = Task { try await observatory.run(seconds: nil, handleSignals: false) }
        let until = Date().addingTimeInterval(90)
        var report = observatory.report()
        while Date() < until {
            try await Task.sleep(for: .milliseconds(200))
            report = observatory.report()
            if report.elements >= expectedElements && report.queued == 0 && report.sources?.first?.detail.contains("seeded in") == true { break }
        }
        try await Task.sleep(for: .milliseconds(2500))
        report = observatory.report()
        await observatory.stop()
        try await run.value

        let detail = report.sources?.first?.detail ?? ""
        XCTAssertEqual(report.elements, expectedElements, "the RIB's routes, the file's elements and the stream's newer ones, once each: \(detail) (server log: \(log.path))")
        // (Prefixes are not compared: the reference still knows those withdrawn in the first half, which a RIB does not hold.)
        XCTAssertEqual(report.routes, reference.state.routeCount, "the state the whole archive gives")
        XCTAssertTrue(detail.contains("rrc21: 2 files to \(UTCTime.format(t0 + 300))"), detail)
        XCTAssertTrue(detail.contains("\(streamPart.reduce(0) { $0 + $1.expected.count }) held elements applied, \(overlap.reduce(0) { $0 + $1.expected.count }) already in the files"), detail)
    }
}
