import BGPWire
import Config
import Entities
import Foundation
import Logging
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
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rislive-equal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: dir) } }
        let worldDir = dir.appendingPathComponent("world")
        var g = Generator(try Scenario(toml: BundledScenarios.northKorea2014, file: "north-korea-2014"))
        let world = try g.write(to: worldDir.path)

        // The reference: `vigil replay --rib … --updates …` with detection, into a store of its own.
        var ro = ReplayRunner.Options()
        ro.ribs = [world.rib]
        ro.updates = [world.updates]
        ro.watch = [Entity("AS131279")!]
        ro.detect = true
        let replayStore = try await Stores.open(dir.appendingPathComponent("replay.sqlite").path)
        let replay = ReplayRunner(options: ro, store: replayStore, entityMap: nil)
        var expected: [String] = []
        replay.onEvent = { c in if case .opened = c { expected.append(Self.line(c.event)) } }
        replay.report = { _ in }
        let summary = try replay.run()
        XCTAssertEqual(expected.count, 5, "the reconstruction's instability and four outages: \(expected)")

        // The stream: every record of the updates files as RIS Live sends it, cut once half-way.
        var stream: [String] = []
        var extractor = ElementExtractor()
        var streamed = 0, ribElements = 0
        for file in world.updates {
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
        XCTAssertTrue(stream.contains { $0.contains("RIS_PEER_STATE") }, "the world's sessions go down and up")
        stream.insert("#drop", at: stream.count / 2)
        let (url, server, log) = try ClientTests.server(script: stream + ["#wait 300"], dir: dir)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }

        // The seed: the world's RIB, where a RIS collector's folder would hold it.
        let seed = dir.appendingPathComponent("seed/rrc00")
        try FileManager.default.createDirectory(at: seed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: world.rib, toPath: seed.appendingPathComponent((world.rib as NSString).lastPathComponent).path)
        let ribReader = try MRTReader(path: world.rib)
        while let rec = try ribReader.next() {
            var elements: [BGPElement] = []
            _ = extractor.elements(of: try MRTRecord.decode(rec), into: &elements)
            ribElements += elements.count
        }
        XCTAssertEqual(ribElements + streamed, summary.elements, "the stream carries every element of the files")

        let database = dir.appendingPathComponent("vigil.sqlite").path
        var cfg = try CollectConfig(toml: """
            [[ris_live]]
            url = "\(url)"
            collectors = ["rrc00"]
            seed_folder = "\(dir.appendingPathComponent("seed").path)"
            beacons = false
            ping = "1s"
            stale = "5s"

            [detect]
            watch = ["AS131279"]
            clock = "data"

            [archive]
            directory = ""

            [store]
            database = "\(database)"
            status_file = ""

            [metrics]
            listen = "127.0.0.1:0"
            """, file: "test.toml")
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
        let until = Date().addingTimeInterval(240)
        var report = observatory.report()
        while Date() < until {
            try await Task.sleep(for: .milliseconds(250))
            report = observatory.report()
            if report.elements >= summary.elements && report.queued == 0 && report.sources?.first?.detail.contains("seeded in") == true { break }
        }
        await observatory.stop()
        try await run.value
        let detail = report.sources?.first?.detail ?? ""
        XCTAssertEqual(report.elements, summary.elements, "the RIB and the stream, each element once: \(detail) (server log: \(log.path))")
        XCTAssertTrue(detail.hasPrefix("2 connections"), detail)

        var opened: [String] = []
        for m in await reader.value { if case let .event(c, _) = m, case .opened = c { opened.append(Self.line(c.event)) } }
        XCTAssertEqual(opened, expected, "the events replay opens on the same files")

        // The series: the watched entity's stored bins, the same as replay stored.
        let served = try await Stores.open(database)
        for entity in ["AS131279"] {
            let a = try await replayStore.series(entity: entity, from: nil, until: nil)
            let b = try await served.series(entity: entity, from: nil, until: nil)
            XCTAssertGreaterThan(a.count, 2000, entity)
            XCTAssertEqual(a.count, b.count, entity)
            XCTAssertTrue(a == b, "\(entity): the first difference at \(zip(a, b).first { $0 != $1 }.map { "\($0.0) vs \($0.1)" } ?? "the end")")
        }
    }

    static func line(_ e: Event) -> String { "\(e.entity) \(e.kind.rawValue) \(e.cause.rawValue) \(e.start)" }
}
