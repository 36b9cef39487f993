import Config
import Foundation
import Logging
import MRT
import Service
import Signals
import XCTest
import BGPWire
@testable import Collector
import Glibc

/// A peer that sends faster than the pipeline applies: the queue stays at its bound (the
/// sockets stop being read, TCP pushes back), memory stays flat, every message still reaches
/// the archive, and a second peer's withdrawal still raises its outage.
final class BackpressureTests: XCTestCase {
    /// A speaker on its own thread sending one of two pre-built bursts after the other until stopped.
    final class Flooder: @unchecked Sendable {
        let peer: RawPeer
        let bursts: [[UInt8]]
        let updatesPerBurst: Int
        let lock = NSLock()
        var stopped = false
        var sentUpdates = 0
        let done = DispatchSemaphore(value: 0)

        init(peer: RawPeer, bursts: [[UInt8]], updatesPerBurst: Int) {
            self.peer = peer
            self.bursts = bursts
            self.updatesPerBurst = updatesPerBurst
        }

        func start() {
            Thread.detachNewThread { [self] in
                var i = 0
                while !lock.withLock({ stopped }) {
                    guard (try? peer.send(bursts[i % bursts.count])) != nil else { break }
                    lock.withLock { sentUpdates += updatesPerBurst }
                    i += 1
                }
                done.signal()
            }
        }

        /// Stops after the burst being sent; returns the UPDATEs sent in all.
        func stop() -> Int {
            lock.withLock { stopped = true }
            done.wait()
            return lock.withLock { sentUpdates }
        }
    }

    static func rss() -> Int {
        let s = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = s.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    func testAFloodingPeerIsSlowedDownNotQueuedAndNothingIsLost() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-backpressure-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bgp = ClosedByDefaultTests.freePort()
        let limit = 5_000
        let cfg = try CollectConfig(toml: """
            [collector]
            name = "flood"
            local_as = 65000
            listen = "127.0.0.1:\(bgp)"
            queue_limit = \(limit)

            [[peer]]
            address = "127.0.0.2"
            as = 65001

            [[peer]]
            address = "127.0.0.3"
            as = 65002

            [archive]
            directory = "\(dir.path)"
            gzip = false

            [store]
            database = ""
            status_file = ""

            [detect]
            watch = ["AS65002"]
            full_feed_v4 = 1
            live_warmup = "2s"
            live_min_outage = "0s"
            """, file: "flood.toml")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let observatory = try await Observatory(cfg, mode: .collect, logger: logger)
        let run = Task { try await observatory.run(seconds: nil, handleSignals: false) }

        func session(_ source: String, _ asn: UInt32) async throws -> RawPeer {
            for _ in 0..<100 {
                if let p = try? RawPeer(source: source, port: bgp) {
                    XCTAssertEqual(p.readMessage(timeout: 5).type, 1)
                    try p.send(Raw.open(asn: asn, id: 0x7F00_0000 + asn, hold: 30) + Raw.keepalive)
                    XCTAssertEqual(p.readMessage(timeout: 5).type, 4)
                    return p
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw POSIXError(.ECONNREFUSED)
        }

        // The well-behaved peer: three IPv4 routes of AS65002 (the only IPv4 full-feed peer).
        let good = try await session("127.0.0.3", 65002)
        let goodPrefixes = Raw.prefix4(192, 0, 2) + Raw.prefix4(198, 51, 100) + Raw.prefix4(203, 0, 113)
        try good.send(Raw.update(attributes: Raw.origin() + Raw.asPath([65002]) + Raw.nextHop("127.0.0.3"), nlri: goodPrefixes))

        // The flooder: 20,000 IPv6 routes re-announced over and over with a path that changes
        // each burst (so the routing state stays the same size and only the queue could grow).
        let options = SessionOptions(fourOctetAS: true, extendedMessages: false)
        let perUpdate = 100, updates = 200
        let bursts: [[UInt8]] = (0..<2).map { b in
            var out: [UInt8] = []
            for u in 0..<updates {
                let nlri = (0..<perUpdate).map { i in
                    NLRI(Prefix(address: .v6(0x2001_0db8_0000_0000 | UInt64(u) << 24 | UInt64(i) << 16, 0), length: 48))
                }
                let update = Update(attributes: [.origin(.igp), .asPath(ASPath(sequence: [65001, 64600 + UInt32(b)])),
                                                 .mpReach(MPReach(family: .ipv6Unicast, nextHop: .v6(IPAddress("2001:db8::2")!), nlri: nlri))])
                out += BGPMessage.update(update).encode(options: options)
            }
            return out
        }
        let flooder = Flooder(peer: try await session("127.0.0.2", 65001), bursts: bursts, updatesPerBurst: updates)
        flooder.start()

        // Warm up past the live detector's warm-up, then measure memory.
        try await Task.sleep(for: .seconds(4))
        let rssBefore = Self.rss()
        // The pipeline stalls for 3 s (as a slow disk would make it): the flood cannot be applied.
        let stalled = Date()
        observatory.pipeline.perform { _ in Thread.sleep(forTimeInterval: 3) }
        var peakDuringStall = 0
        while Date().timeIntervalSince(stalled) < 3 {
            peakDuringStall = max(peakDuringStall, observatory.pipeline.snapshot().queued)
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .seconds(2))
        let rssAfter = Self.rss()
        let s = observatory.pipeline.snapshot()
        print("flood: queue peak \(s.peakQueued) (limit \(limit)), reading paused \(s.readPauses) times, RSS \(rssBefore >> 20) → \(rssAfter >> 20) MB, \(s.elements) elements applied")
        XCTAssertGreaterThan(s.readPauses, 0, "reading paused when the queue was full")
        XCTAssertGreaterThanOrEqual(peakDuringStall, limit, "the flood filled the queue while the pipeline stalled")
        // The bound, plus what one read burst of the flooder's socket brings before the pipeline is
        // asked (NIO reads up to 4 × 64 KiB; about 8,600 of these routes in 64 KiB): unbounded, millions.
        XCTAssertLessThanOrEqual(s.peakQueued, limit + 40_000, "the queue stays at its bound")
        XCTAssertLessThan(rssAfter - rssBefore, 64 << 20, "memory stays flat while the flood goes on")

        // While the flood goes on, the other peer withdraws everything: its outage is raised.
        let withdrawn = Date()
        try good.send(Raw.update(withdrawn: goodPrefixes, attributes: [UInt8](), nlri: [UInt8]()))
        var outage = false
        while !outage && Date().timeIntervalSince(withdrawn) < 20 {
            outage = observatory.report().openEvents.contains { $0.entity == "AS65002" && $0.kind == .outage }
            if !outage { try await Task.sleep(for: .milliseconds(50)) }
        }
        let latency = Date().timeIntervalSince(withdrawn)
        print("flood: the other peer's outage raised \(String(format: "%.2f", latency)) s after its withdrawal")
        XCTAssertTrue(outage, "the well-behaved peer's withdrawal raised its outage during the flood")
        XCTAssertLessThan(latency, 5)

        let sent = flooder.stop()
        // Flow control loses nothing: once the flooder stops, the paused socket is read to its end
        // and every route it sent is applied (on a loaded 2-core machine that can take a while;
        // stopping earlier would close sockets with bytes still unread, which is shutdown, not flow control).
        let drained = Date()
        var s2 = observatory.pipeline.snapshot()
        while (s2.elements < sent * perUpdate || s2.queued > 0) && Date().timeIntervalSince(drained) < 60 {
            try await Task.sleep(for: .milliseconds(100))
            s2 = observatory.pipeline.snapshot()
        }
        print("flood: \(s2.elements) elements applied \(String(format: "%.1f", Date().timeIntervalSince(drained))) s after the flood stopped")
        XCTAssertGreaterThanOrEqual(s2.elements, sent * perUpdate, "every flooded route was applied")
        // Every UPDATE the flooder sent reaches the archive (read once the collector has stopped).
        await observatory.stop()
        try await run.value
        var archived = 0
        let archiveDir = dir.appendingPathComponent("flood").path
        for f in try FileManager.default.contentsOfDirectory(atPath: archiveDir).filter({ $0.hasPrefix("updates.") }) {
            let r = try MRTReader(path: archiveDir + "/" + f)
            while let raw = try r.next() {
                let rec = try MRTRecord.decode(raw)
                if case let MRTBody.message(m) = rec.body, case BGPMessage.update(_) = m.message, m.peering.peerAddress == IPAddress("127.0.0.2")! { archived += 1 }
            }
            XCTAssertTrue(r.issues.isEmpty, "\(r.issues)")
        }
        print("flood: \(sent) UPDATEs sent, \(archived) archived")
        XCTAssertGreaterThan(sent, 10 * updates)
        XCTAssertEqual(archived, sent, "nothing lost from the archive")
        good.close()
    }
}
