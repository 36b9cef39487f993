import BGPWire
import Config
import Entities
import Foundation
import MRT
import Replay
import Service
import Signals
import Simulator
import Store
import XCTest
@testable import RISLive

/// What RIS Live delivers is what the archive holds: a world with outages (the North Korea
/// reconstruction: real MRT, a RIB and nine days of updates) is seeded from its RIB and then
/// streamed by the RIS Live stand-in, UPDATEs with their raw bytes and sessions as RIS_PEER_STATE,
/// with a dropped connection half-way. Judged on the data's clock (`[detect] clock = "data"`),
/// `vigil serve` must open the very events `vigil replay` opens on the files, and store the same series.
final class ReplayEquivalenceTests: XCTestCase {
    func testTheStreamOfAnArchiveGivesTheEventsAndSeriesReplayGives() async throws {
        let dir = try Self.folder()
        defer { if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: dir) } }
        var g = Generator(try Scenario(toml: BundledScenarios.northKorea2014, file: "north-korea-2014"))
        let world = try g.write(to: dir.appendingPathComponent("world").path)
        let r = try await Self.streamAndReplay(rib: world.rib, updates: world.updates, watch: "AS131279", dir: dir)
        XCTAssertEqual(r.replayed.count, 5, "the reconstruction's instability and four outages: \(r.replayed)")
        XCTAssertEqual(r.served, r.replayed, "the events replay opens on the same files")
        try await Self.sameSeries(["AS131279"], r.replayStore, r.servedStore, atLeast: 2000)
    }

    /// A real RIS file (rrc21, 5 minutes of 2016, no RIB), every origin AS judged: the same series.
    func testARealRISFileStreamedGivesTheSeriesReplayGives() async throws {
        let dir = try Self.folder()
        defer { if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: dir) } }
        let file = DecoderTests.fixture("updates.20160811.1600.gz")
        let r = try await Self.streamAndReplay(rib: nil, updates: [file], watch: nil, dir: dir)
        XCTAssertEqual(r.served, r.replayed)
        // The origin ASes with the most announcements in the file.
        var counts: [UInt32: Int] = [:]
        for m in try DecoderTests.messages("updates.20160811.1600.gz", host: "rrc21") {
            for e in m.expected { if let o = e.originAS { counts[o, default: 0] += 1 } }
        }
        let busiest = counts.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.prefix(40).map { "AS\($0.key)" }
        try await Self.sameSeries(busiest, r.replayStore, r.servedStore, atLeast: 1)
    }

    static func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rislive-equal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Each entity's stored bins, the same in both stores (and at least `atLeast` of them).
    static func sameSeries(_ entities: [String], _ replayStore: any SeriesStore, _ servedStore: any SeriesStore, atLeast: Int) async throws {
        for entity in entities {
            let a = try await replayStore.series(entity: entity, from: nil, until: nil)
            let b = try await servedStore.series(entity: entity, from: nil, until: nil)
            XCTAssertGreaterThanOrEqual(a.count, atLeast, entity)
            XCTAssertEqual(a.count, b.count, entity)
            XCTAssertTrue(a == b, "\(entity): the first difference at \(zip(a, b).first { $0 != $1 }.map { "\($0.0) vs \($0.1)" } ?? "the end")")
        }
    }

    /// `vigil replay` on the files (the reference), then `vigil serve` seeded from the RIB (if any) and fed
    /// the updates files by the RIS Live stand-in, cut once half-way; the events each opened, and their stores.
    static func streamAndReplay(rib: String?, updates: [String], watch: String?, dir: URL) async throws
        -> (replayed: [String], served: [String], replayStore: any SeriesStore, servedStore: any SeriesStore) {
        var ro = ReplayRunner.Options()
        ro.ribs = rib.map { [$0] } ?? []
        ro.updates = [updates]
        ro.watch = watch.map { [Entity($0)!] } ?? []
        ro.detect = true
        let replayStore = try await Stores.open(dir.appendingPathComponent("replay.sqlite").path)
        let replay = ReplayRunner(options: ro, store: replayStore, entityMap: nil)
        var expected: [String] = []
        replay.onEvent = { c in if case .opened = c { expected.append(Self.line(c.event)) } }
        replay.report = { _ in }
        let summary = try replay.run()

        // The stream: every record of the updates files as RIS Live sends it, cut once half-way.
        var stream: [String] = []
        var extractor = ElementExtractor()
        var streamed = 0, ribElements = 0
        for file in updates {
            let reader = try MRTReader(path: file)
            while let rec = try reader.next() {
                let decoded = try MRTRecord.decode(rec)
                var elements: [BGPElement] = []
                _ = extractor.elements(of: decoded, into: &elements)
                guard !elements.isEmpty else { continue }
                let json = try XCTUnwrap(RISMessageText.message(rec, decoded, elements: elements, host: "rrc00.ripe.net"), "\(decoded)")
                stream.append(json)
                streamed += elements.count
            }
        }
        stream.insert("#drop", at: stream.count / 2)
        let (url, server, log) = try ClientTests.server(script: stream + ["#wait 300"], dir: dir)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }

        // The seed: the RIB, where a RIS collector's folder would hold it.
        var seedLine = ""
        if let rib {
            let seed = dir.appendingPathComponent("seed/rrc00")
            try FileManager.default.createDirectory(at: seed, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: rib, toPath: seed.appendingPathComponent((rib as NSString).lastPathComponent).path)
            let ribReader = try MRTReader(path: rib)
            while let rec = try ribReader.next() {
                var elements: [BGPElement] = []
                _ = extractor.elements(of: try MRTRecord.decode(rec), into: &elements)
                ribElements += elements.count
            }
            seedLine = "seed_folder = \"\(dir.appendingPathComponent("seed").path)\""
        }
        XCTAssertEqual(ribElements + streamed, summary.elements, "the stream carries every element of the files")

        let cfg = try CollectConfig(toml: """
            [[ris_live]]
            url = "\(url)"
            collectors = ["rrc00"]
            \(seedLine)
            beacons = false
            ping = "1s"
            stale = "5s"

            [detect]
            watch = [\(watch.map { "\"\($0)\"" } ?? "")]
            clock = "data"
            """ + ServeSourceTests.observatory(dir), file: "test.toml")
        let (observatory, run, reader) = try await ServeSourceTests.running(cfg, dir: dir)
        let until = Date().addingTimeInterval(240)
        var report = observatory.report()
        while Date() < until {
            try await Task.sleep(for: .milliseconds(250))
            report = observatory.report()
            if report.elements >= summary.elements && report.queued == 0 && (rib == nil || report.sources?.first?.detail.contains("seeded in") == true) { break }
        }
        await observatory.stop()
        try await run.value
        let detail = report.sources?.first?.detail ?? ""
        XCTAssertEqual(report.elements, summary.elements, "the RIB and the stream, each element once: \(detail) (server log: \(log.path))")
        XCTAssertTrue(detail.hasPrefix("2 connections"), detail)

        var opened: [String] = []
        for m in await reader.value { if case let .event(c, _) = m, case .opened = c { opened.append(Self.line(c.event)) } }
        return (expected, opened, replayStore, try await Stores.open(dir.appendingPathComponent("vigil.sqlite").path))
    }

    static func line(_ e: Event) -> String { "\(e.entity) \(e.kind.rawValue) \(e.cause.rawValue) \(e.start)" }
}
