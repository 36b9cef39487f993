import Foundation
import XCTest
import Logging
import BGPWire
@testable import RISLive

/// The client against a local RIS Live stand-in (Python `websockets`, Fixtures/ris_live_server.py)
/// that streams real RIS updates and injects the faults RIS Live's users meet: an error, a dropped
/// connection, a stall, a message that is not JSON.
final class ClientTests: XCTestCase {
    final class Seen: @unchecked Sendable {
        let lock = NSLock()
        var happenings: [RISLiveClient.Happening] = []
        func add(_ h: RISLiveClient.Happening) { lock.withLock { happenings.append(h) } }
        var all: [RISLiveClient.Happening] { lock.withLock { happenings } }
        var elements: [[BGPElement]] { all.compactMap { if case let .event(.elements(_, _, _, e, _)) = $0 { e } else { nil } } }
    }

    /// Starts the stand-in on a script; returns its URL and the process (stopped by the caller).
    static func server(script: [String], dir: URL) throws -> (String, Process, URL) {
        let scriptFile = dir.appendingPathComponent("script.jsonl"), log = dir.appendingPathComponent("server.log")
        try script.joined(separator: "\n").write(to: scriptFile, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let server = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("ris_live_server.py").path
        p.arguments = ["python3", server, scriptFile.path, log.path]
        let out = Pipe()
        p.standardOutput = out
        // Not the test's own output: a server left behind would hold it open, and `swift test` with it.
        p.standardError = FileHandle.nullDevice
        try p.run()
        var line = Data()
        while let b = try out.fileHandleForReading.read(upToCount: 1), !b.isEmpty, b != Data("\n".utf8) { line += b }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            p.terminate()
            throw NSError(domain: "ris-live-server", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "the RIS Live stand-in did not start (python3 with websockets >= 13: scripts/test.sh installs it)"])
        }
        return ("ws://127.0.0.1:\(port)/v1/ws/?client=vigil-test", p, log)
    }

    func testFaultsAreSurvivedAndEveryMessageArrivesOnce() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rislive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: dir) } }
        let real = try DecoderTests.messages("updates.20160811.1600.gz", host: "rrc21.ripe.net").prefix(6)
        let m = real.map(\.json)
        let script = [m[0], m[1], "#garbage", m[2], "#error Closing connection after being behind by more than 262144000 bytes", m[3],
                      "#drop", m[4], "#stall 4", m[5]]
        let (url, server, log) = try Self.server(script: script, dir: dir)
        // SIGKILL: a signal mask inherited from the test process can leave SIGTERM blocked in the child.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }

        var o = RISLiveClient.Options(url: url, subscriptions: [RISSubscription(host: "rrc21", type: "UPDATE"), RISSubscription(host: "rrc21", type: "RIS_PEER_STATE")])
        o.pingEvery = .milliseconds(300)
        o.staleAfter = .milliseconds(1500)
        o.backoffFirst = .milliseconds(100)
        o.backoffMax = .milliseconds(400)
        let client = RISLiveClient(o, logger: Logger(label: "test"))
        let seen = Seen()
        let running = Task { await client.run { seen.add($0) } }
        let deadline = Date().addingTimeInterval(30)
        while seen.elements.count < 6 && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        running.cancel()
        await running.value

        XCTAssertEqual(seen.elements.count, 6, "every message once, across three reconnections (server log: \(log.path))")
        for (got, want) in zip(seen.elements, real.map(\.expected)) { XCTAssertTrue(DecoderTests.same(got, want)) }
        let reasons = seen.all.compactMap { if case let .disconnected(why, _) = $0 { why } else { nil } }
        XCTAssertTrue(reasons.contains { $0.contains("ris_error: Closing connection") }, "\(reasons)")
        XCTAssertTrue(reasons.contains { $0.contains("no message for") }, "the stall is seen: \(reasons)")
        XCTAssertGreaterThanOrEqual(reasons.count, 3, "error, drop and stall: \(reasons)")
        XCTAssertTrue(seen.all.contains { if case let .problem(p) = $0 { p.contains("not a RIS Live message") } else { false } })

        // Every connection subscribed again, both subscriptions, and pinged.
        let received = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let connections = Set(received.compactMap { $0["conn"] as? Int })
        XCTAssertGreaterThanOrEqual(connections.count, 4)
        for c in connections {
            let subs = received.filter { ($0["conn"] as? Int) == c && (($0["message"] as? [String: Any])?["type"] as? String) == "ris_subscribe" }
            XCTAssertEqual(subs.count, 2, "connection \(c) subscribed to both")
        }
        XCTAssertTrue(received.contains { (($0["message"] as? [String: Any])?["type"] as? String) == "ping" })
        XCTAssertTrue(received.contains { (($0["message"] as? [String: Any])?["path"] as? String) == "/v1/ws/?client=vigil-test" })
    }

    /// A consumer that takes its time (the pipeline full) is not a stalled stream: no reconnection, nothing lost.
    func testASlowConsumerIsNotAStall() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rislive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: dir) } }
        let real = try DecoderTests.messages("updates.20020722.2238.gz", host: "rrc05").prefix(3)
        let (url, server, log) = try Self.server(script: real.map(\.json), dir: dir)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        var o = RISLiveClient.Options(url: url, subscriptions: [RISSubscription(host: "rrc05", type: "UPDATE")])
        o.pingEvery = .milliseconds(300)
        o.staleAfter = .milliseconds(1000)
        let client = RISLiveClient(o, logger: Logger(label: "test"))
        let seen = Seen()
        let running = Task {
            await client.run { h in
                seen.add(h)
                // Each message held three times as long as the stall limit.
                if case .event(.elements) = h { try? await Task.sleep(for: .milliseconds(3000)) }
            }
        }
        let deadline = Date().addingTimeInterval(30)
        while seen.elements.count < 3 && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        running.cancel()
        await running.value
        XCTAssertEqual(seen.elements.count, 3, "server log: \(log.path)")
        let reasons = seen.all.compactMap { if case let .disconnected(why, _) = $0 { why } else { nil } }
        XCTAssertEqual(reasons, [], "one connection throughout")
    }

    /// Pongs without updates: the subscription no longer delivers (unfiltered RIS Live is never
    /// quiet for minutes). The client subscribes afresh, and the next message comes on the new connection.
    func testPongsWithoutUpdatesAreASilenceThatResubscribes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rislive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: dir) } }
        let real = try DecoderTests.messages("updates.20020722.2238.gz", host: "rrc05").prefix(2)
        let (url, server, log) = try Self.server(script: [real[0].json, "#wait 8", real[1].json], dir: dir)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        var o = RISLiveClient.Options(url: url, subscriptions: [RISSubscription(host: "rrc05", type: "UPDATE")])
        o.pingEvery = .milliseconds(300)
        o.staleAfter = .seconds(2)
        o.silentAfter = .seconds(2)
        o.backoffFirst = .milliseconds(100)
        let client = RISLiveClient(o, logger: Logger(label: "test"))
        let seen = Seen()
        let began = Date()
        let running = Task { await client.run { seen.add($0) } }
        while seen.elements.count < 2 && Date().timeIntervalSince(began) < 20 { try await Task.sleep(for: .milliseconds(50)) }
        let took = Date().timeIntervalSince(began)
        running.cancel()
        await running.value
        XCTAssertEqual(seen.elements.count, 2, "server log: \(log.path)")
        let reasons = seen.all.compactMap { if case let .disconnected(why, _) = $0 { why } else { nil } }
        XCTAssertEqual(reasons.count, 1, "\(reasons)")
        XCTAssertTrue(reasons.first?.hasPrefix("no update for 2 s (pongs only)") == true || reasons.first?.hasPrefix("no update for 3 s") == true, "\(reasons)")
        XCTAssertLessThan(took, 7, "the second message came on a new subscription, not after the server's 8 s wait")
        // Pongs did come: it was not a stall.
        let pings = try String(contentsOf: log, encoding: .utf8).components(separatedBy: "\"ping\"").count - 1
        XCTAssertGreaterThan(pings, 3)
    }

    func testBackoffGrowsWithJitterAndIsCapped() {
        let first = Duration.milliseconds(500), max = Duration.seconds(8)
        for attempt in 0..<10 {
            let d = RISLiveClient.backoff(attempt: attempt, first: first, max: max)
            let full = min(0.5 * pow(2, Double(attempt)), 8)
            XCTAssertGreaterThanOrEqual(d, .milliseconds(Int64(full * 500) - 1))
            XCTAssertLessThanOrEqual(d, .milliseconds(Int64(full * 1000)))
        }
    }
}
