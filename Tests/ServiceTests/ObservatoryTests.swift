import Config
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Entities
import Logging
import NIOConcurrencyHelpers
import Replay
import Service
import Signals
import Simulator
import Store
import XCTest

/// The service core end to end in one process: an archive follower on a folder of real
/// MRT files (the bundled North Korea reconstruction), the pipeline, the bus and its
/// consumers, the metrics, and a stop in order.
final class ObservatoryTests: XCTestCase {
    func testAFollowedArchiveGivesTheEventsReplayGivesOnTheBus() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-observatory-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let archives = dir.appendingPathComponent("rrc-sim")
        try FileManager.default.createDirectory(at: archives, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var g = Generator(try Scenario(toml: BundledScenarios.northKorea2014, file: "north-korea-2014"))
        let world = try g.write(to: archives.path)

        // What `vigil replay` finds in the same files: the reference.
        var ro = ReplayRunner.Options()
        ro.ribs = [world.rib]
        ro.updates = [world.updates]
        ro.watch = [Entity("AS131279")!]
        ro.detect = true
        let replay = ReplayRunner(options: ro, store: MemoryStore(), entityMap: nil)
        var expected: [String] = []
        replay.onEvent = { c in if case .opened = c { expected.append(Self.line(c.event)) } }
        replay.report = { _ in }
        _ = try replay.run()
        XCTAssertEqual(expected.count, 5, "the reconstruction's instability and four outages: \(expected)")

        var cfg = try CollectConfig(toml: """
            [[follow]]
            folder = "\(archives.path)"
            collector = "sim"
            start = "2014-12-18T00:00Z"
            poll = "1s"

            [archive]
            directory = ""

            [store]
            database = "\(dir.appendingPathComponent("vigil.sqlite").path)"
            status_file = ""

            [detect]
            watch = ["AS131279"]

            [metrics]
            listen = "127.0.0.1:0"
            """, file: "test.toml")
        cfg.eventsFile = dir.appendingPathComponent("events.jsonl").path
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let observatory = try await Observatory(cfg, mode: .serve, logger: logger)
        let sub = observatory.bus.subscribe("test", capacity: 100_000)
        let run = Task { try await observatory.run(seconds: nil, handleSignals: false) }

        // Everything on the bus until the pipeline stops: the follower feeds the whole archive, then we stop it.
        let reader = Task.detached { [sub] in await ObservatoryTests.all(sub) }
        let until = Date().addingTimeInterval(120)
        while Date() < until {
            try await Task.sleep(for: .milliseconds(200))
            let s = observatory.report()
            if s.sources?.first?.detail.hasPrefix("\(world.updates.count + 1) files") == true && s.queued == 0 && s.elements > 0 { break }
        }
        // The metrics endpoint answers on the port it was given.
        let port = observatory.httpPort.withLockedValue { $0 }
        XCTAssertGreaterThan(port, 0)
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        let metrics = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(metrics.contains("vigil_source_received_total{source=\"follow sim\"} \(world.updates.count + 1)"), metrics)
        XCTAssertTrue(metrics.contains("vigil_bus_dropped_total{subscriber=\"test\"} 0"), metrics)
        XCTAssertTrue(metrics.contains("vigil_store_write_seconds_count"), metrics)
        let status = try JSONDecoder().decode(StatusReport.self, from: try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/status")!).0)
        XCTAssertEqual(status.sources?.map(\.source), ["follow sim"])

        await observatory.stop()
        try await run.value
        var opened: [String] = [], closed: [Event] = [], sources: [SourceHealth] = [], bins = 0
        for m in await reader.value {
            switch m {
            case let .event(c, _):
                if case .opened = c { opened.append(Self.line(c.event)) }
                if case .closed = c { closed.append(c.event) }
            case let .source(h): sources.append(h)
            case .binClosed: bins += 1
            default: break
            }
        }

        XCTAssertEqual(opened, expected, "the same events as replay, from the followed files")
        XCTAssertGreaterThan(bins, 2000, "nine days of 5-minute bins closed on the data's clock")
        // The follower was up; its data (2014) is years behind the wall clock, so it was lagging as well.
        XCTAssertTrue(sources.contains { $0.state == .up || $0.state == .lagging })
        // Stopping opened nothing and ended nothing as a recovery: only "observation stopped" for what was still open.
        XCTAssertTrue(closed.filter { $0.start >= 1_419_638_400 }.allSatisfy { $0.end != nil })
        let file = try String(contentsOfFile: cfg.eventsFile!, encoding: .utf8)
        let lines = file.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("{\"change\":\"opened\",\"version\":1,\"entity\":") }.count, expected.count, file)
    }

    static func all(_ s: EventBus.Subscription) async -> [BusMessage] {
        var out: [BusMessage] = []
        for await m in s.messages { out.append(m) }
        return out
    }

    static func line(_ e: Event) -> String { "\(e.entity) \(e.kind.rawValue) \(e.cause.rawValue) \(e.start)" }
}
