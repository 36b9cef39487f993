// `vigil-bench ris-live FILE [REPEAT] [RATE…]`: RIS Live through Vigil on one core. The UPDATEs of a
// real RIS updates file, REPEAT times over, become the messages RIS Live streams (`raw` included,
// RISMessageText); then
//  1. the decoder alone, and the decoder with the signal engine (routing state and signals, as the
//     pipeline applies them): messages per second;
//  2. over a WebSocket from the local RIS Live stand-in (python3 with websockets; the tests'
//     Fixtures/ris_live_server.py), through RISLiveClient, decoder and engine: unpaced, the sustained
//     rate; paced at each RATE (messages/s), the lag from a message's timestamp (stamped as it is
//     sent) to its elements applied: median, p99 and max.
import BGPWire
import Foundation
import Logging
import MRT
import RISLive
import Signals

func risLiveRate(file: String, repeats: Int, rates: [Int]) throws {
    let reader = try MRTReader(path: file)
    var extractor = ElementExtractor()
    var one: [String] = []
    var elements: [BGPElement] = []
    while let rec = try reader.next() {
        guard rec.header.type == .bgp4mp || rec.header.type == .bgp4mpET else { continue }
        guard let decoded = try? MRTRecord.decode(rec) else { continue }
        elements.removeAll(keepingCapacity: true)
        _ = extractor.elements(of: decoded, into: &elements)
        if let m = RISMessageText.message(rec, decoded, elements: elements, host: "rrc21.ripe.net") { one.append(m) }
    }
    let messages = Array(repeating: one, count: repeats).flatMap { $0 }
    print("\(file): \(one.count) UPDATEs x \(repeats) = \(messages.count) RIS Live messages, \(messages.reduce(0) { $0 + $1.utf8.count } / 1_000_000) MB")

    func time(_ label: String, _ body: () throws -> Int) rethrows {
        let t = Date()
        let n = try body()
        let s = Date().timeIntervalSince(t)
        print(String(format: "%@: %d messages in %.2f s: %.0f messages/s", label, messages.count, s, Double(messages.count) / s) + " (\(n) elements)")
    }
    try time("decode") {
        var d = RISDecoder()
        var n = 0
        for m in messages { if case let .elements(_, _, _, e, _) = try d.decode(m) { n += e.count } }
        return n
    }
    try time("decode + signal engine") {
        var d = RISDecoder()
        let engine = SignalEngine()
        var n = 0
        for m in messages {
            guard case let .elements(_, _, _, e, _) = try d.decode(m) else { continue }
            for x in e { _ = engine.apply(x) }
            n += e.count
        }
        return n
    }
    for rate in [0] + rates { try overWebSocket(messages, rate: rate) }
}

/// The messages streamed by the stand-in (at `rate` a second, 0: unpaced) to a client that decodes and applies them.
private func overWebSocket(_ messages: [String], rate: Int) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bench-rislive-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = dir.appendingPathComponent("script.jsonl")
    try (["#restamp", "#rate \(rate)"] + messages + ["#wait 3600"]).joined(separator: "\n").write(to: script, atomically: true, encoding: .utf8)
    let server = Process()
    server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    server.arguments = ["python3", "Tests/RISLiveTests/Fixtures/ris_live_server.py", script.path, dir.appendingPathComponent("log").path]
    let out = Pipe()
    server.standardOutput = out
    server.standardError = FileHandle.nullDevice
    try server.run()
    defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
    var line = Data()
    while let b = try out.fileHandleForReading.read(upToCount: 1), !b.isEmpty, b != Data("\n".utf8) { line += b }
    guard let port = Int(String(decoding: line, as: UTF8.self)) else { throw BenchError("the RIS Live stand-in did not start (python3 with websockets >= 13)") }

    final class Consumer: @unchecked Sendable {
        let engine = SignalEngine()
        var count = 0, first: Double = 0, last: Double = 0
        var lags: [Double] = []
    }
    let c = Consumer()
    c.lags.reserveCapacity(messages.count)
    let n = messages.count
    let client = RISLiveClient(.init(url: "ws://127.0.0.1:\(port)/v1/ws/?client=vigil-bench", subscriptions: [RISSubscription(type: "UPDATE")]),
                               logger: Logger(label: "bench"))
    let done = DispatchSemaphore(value: 0)
    let task = Task {
        await client.run { h in
            guard case let .event(.elements(_, _, _, e, _)) = h else { return }
            for x in e { _ = c.engine.apply(x) }
            let now = Date().timeIntervalSince1970
            if c.count == 0 { c.first = now }
            if let x = e.last { c.lags.append(now - Double(x.timestamp) - Double(x.microseconds ?? 0) / 1e6) }
            c.count += 1
            c.last = now
            if c.count == n { done.signal() }
        }
    }
    if done.wait(timeout: .now() + 600) == .timedOut { print("over a WebSocket: timed out after \(c.count) of \(n) messages") }
    task.cancel()
    let lags = c.lags.sorted()
    func ms(_ q: Double) -> Double { lags.isEmpty ? 0 : lags[min(lags.count - 1, Int(Double(lags.count) * q))] * 1000 }
    let label = rate == 0 ? "over a WebSocket, unpaced" : "over a WebSocket at \(rate) messages/s"
    print(String(format: "%@: %d messages in %.2f s: %.0f messages/s; lag median %.1f ms, p99 %.1f ms, max %.1f ms", label, c.count,
                 c.last - c.first, Double(c.count) / max(c.last - c.first, 1e-9), ms(0.5), ms(0.99), ms(1.0)))
}
