import Foundation
import XCTest
import BGPWire
import MRT
@testable import Collector

final class ArchiveWriterTests: XCTestCase {
    let t0: UInt32 = 1_419_264_000  // 2014-12-22 16:00 UTC

    func update(_ t: UInt32, _ i: UInt32) -> MRTRecord {
        let peering = BGP4MPPeering(peerAS: 65001, localAS: 12654, peerAddress: .v4(0x0A00_0001), localAddress: .v4(0x0A00_00FE))
        let u = Update(attributes: [.origin(.igp), .asPath(ASPath(sequence: [65001, 4837, 131279])), .nextHop(0x0A00_0001)],
                       nlri: [NLRI(Prefix(address: .v4(0xAF2D_B000 + (i % 4) << 8), length: 24))])
        return MRTRecord(timestamp: t, microseconds: i * 1000, body: .message(BGP4MPMessage(peering: peering, message: .update(u))))
    }

    func files(_ dir: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: dir).sorted()) ?? [] }

    func count(_ path: String) throws -> (records: Int, issues: Int) {
        let r = try MRTReader(path: path)
        var n = 0
        while try r.next() != nil { n += 1 }
        return (n, r.issues.count)
    }

    func testRotationNamesAndCompleteFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-arch-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try ArchiveWriter(directory: dir)
        try a.append(update(t0 + 10, 1))
        try a.append(update(t0 + 299, 2))
        // Until the period is over, only a hidden temporary file exists.
        XCTAssertEqual(files(dir), [".updates.20141222.1600.gz.tmp"])
        try a.append(update(t0 + 300, 3))
        try a.append(update(t0 + 660, 4))
        try a.rotate()
        XCTAssertEqual(files(dir), ["updates.20141222.1600.gz", "updates.20141222.1605.gz", "updates.20141222.1610.gz"])
        XCTAssertEqual(try count(dir + "/updates.20141222.1600.gz").records, 2)
        XCTAssertEqual(try count(dir + "/updates.20141222.1605.gz").records, 1)
        // Debian's bgpdump reads them, and agrees with vigil's formatter.
        for f in a.completed {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/bgpdump")
            p.arguments = ["-q", "-m", f]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let theirs = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            var ours: [UInt8] = []
            let r = try MRTReader(path: f)
            let fmt = BgpdumpFormatter()
            while let rec = try r.next() { _ = fmt.format(rec, into: &ours) }
            XCTAssertFalse(theirs.isEmpty, f)
            XCTAssertEqual(String(decoding: theirs, as: UTF8.self), String(decoding: ours, as: UTF8.self), f)
            XCTAssertTrue(String(decoding: theirs, as: UTF8.self).hasPrefix("BGP4MP_ET|"), f)
        }
    }

    /// The shared archive writes on a queue of its own, in the order records were handed over; the
    /// callers (event loops) never hold more than `maxPendingBytes` unwritten, then they wait.
    func testSharedArchiveWritesOffTheCallerInOrderAndBounded() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-shared-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shared = SharedArchive(try ArchiveWriter(directory: dir, gzip: true))
        shared.writer.gzipLevel = 9  // slow on purpose: the queue fills
        shared.maxPendingBytes = 16_384
        var peak = 0
        var waitedOnce = false
        for i in 0..<20_000 {
            let bytes = update(t0 + UInt32(i / 100), UInt32(i)).encode()
            shared.append(bytes, timestamp: t0 + UInt32(i / 100))
            let p = shared.pendingBytes
            peak = max(peak, p)
            if p > 0 { waitedOnce = true }
        }
        XCTAssertTrue(waitedOnce, "records were still being written when append returned")
        XCTAssertLessThanOrEqual(peak, 16_384 + 200, "at most the bound (plus one record) unwritten")
        shared.rotate()
        XCTAssertEqual(shared.pendingBytes, 0)
        var times: [UInt32] = []
        for f in files(dir) {
            let r = try MRTReader(path: dir + "/" + f)
            while let raw = try r.next() { times.append(raw.header.microseconds ?? 0) }
        }
        XCTAssertEqual(times.count, 20_000)
        XCTAssertEqual(times, (0..<20_000).map { UInt32($0) * 1000 }, "in the order handed over")
    }

    /// A crash leaves a torn temporary file: recovery keeps its complete records, puts
    /// them under the final name, and leaves nothing half-written.
    func testRecoveryAfterACrash() throws {
        for gzip in [false, true] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-crash-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // The bytes a writer would have left: 50 records, cut in the middle of the last part.
            let whole = dir + "/whole"
            let a = try ArchiveWriter(directory: dir, gzip: gzip)
            let w = try MRTWriter(path: whole, gzip: gzip)
            for i in 0..<50 { try w.write(update(t0 + 20 + UInt32(i), UInt32(i))) }
            try w.close()
            var bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
            bytes = bytes.prefix(bytes.count - (gzip ? bytes.count / 3 : 37))
            try bytes.write(to: URL(fileURLWithPath: dir + "/.updates.20141222.1600\(gzip ? ".gz" : "").tmp"))
            unlink(whole)
            let recovered = try a.recover()
            XCTAssertEqual(recovered.count, 1)
            let final = dir + "/updates.20141222.1600\(gzip ? ".gz" : "")"
            XCTAssertEqual(recovered.first?.file, final)
            XCTAssertEqual(files(dir), ["updates.20141222.1600\(gzip ? ".gz" : "")"])
            let c = try count(final)
            XCTAssertEqual(c.issues, 0, "the recovered file is whole")
            XCTAssertEqual(c.records, recovered.first?.records)
            if gzip { XCTAssertGreaterThan(c.records, 0) } else { XCTAssertEqual(c.records, 49) }
            // Carrying on inside the same period never reopens the published file: the new
            // record starts the next period's file, with its own timestamp.
            let published = try Data(contentsOf: URL(fileURLWithPath: final))
            try a.append(update(t0 + 200, 99))
            try a.rotate()
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: final)), published, "the recovered file is not rewritten")
            let next = dir + "/updates.20141222.1605\(gzip ? ".gz" : "")"
            XCTAssertEqual(try count(next).records, 1)
            XCTAssertEqual(try timestamps(next), [t0 + 200])
        }
    }

    func timestamps(_ path: String) throws -> [UInt32] {
        let r = try MRTReader(path: path)
        var out: [UInt32] = []
        while let rec = try r.next() { out.append(rec.header.timestamp) }
        return out
    }

    /// Records stamped in an earlier period — a router's clock behind, two sessions racing for
    /// the writer, a quiet feed across a rotation — never change a published file (byte for
    /// byte); they go into the open file with their own timestamps.
    func testLateRecordsNeverRewriteAPublishedFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-late-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try ArchiveWriter(directory: dir)
        try a.append(update(t0 + 10, 1))
        try a.append(update(t0 + 310, 2))  // 16:05: the 16:00 file is published
        let first = dir + "/updates.20141222.1600.gz", second = dir + "/updates.20141222.1605.gz"
        let published = try Data(contentsOf: URL(fileURLWithPath: first))
        try a.append(update(t0 + 299, 3))  // late: stamped 16:04:59
        try a.append(update(t0 + 320, 4))
        try a.rotateIfDue(now: Int64(t0) + 600)  // the feed goes quiet; 16:05 is published at 16:10
        try a.append(update(t0 + 305, 5))  // stamped in the published 16:05 period
        try a.rotate()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: first)), published)
        XCTAssertEqual(try timestamps(first), [t0 + 10])
        XCTAssertEqual(try timestamps(second), [t0 + 310, t0 + 299, t0 + 320])
        XCTAssertEqual(try timestamps(dir + "/updates.20141222.1610.gz"), [t0 + 305])
        XCTAssertEqual(files(dir), ["updates.20141222.1600.gz", "updates.20141222.1605.gz", "updates.20141222.1610.gz"])
    }

    /// Retention and quota: the oldest published files go first, each said; temporary and foreign
    /// files stay, and so do the newest RIB dump and the newest updates file, whatever the limits.
    func testRetentionAndQuotaRemoveTheOldestPublishedFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-prune-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try ArchiveWriter(directory: dir, gzip: false)
        var said: [String] = []
        a.onRemove = { file, why in said.append("\(file): \(why)") }
        // Six 5-minute files from 16:00, a RIB dump at 16:00, a foreign file.
        _ = try a.writeSnapshot(at: Int64(t0)) { try $0.write(self.update(t0, 0)) }
        for i in 0..<6 { try a.append(update(t0 + UInt32(i) * 300 + 10, UInt32(i))) }
        try a.rotate()
        FileManager.default.createFile(atPath: dir + "/notes.txt", contents: Data("mine".utf8))
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/updates.20141222.1600")[.size] as! Int64
        XCTAssertEqual(files(dir).count, 8)

        // Retention: at 16:40 with 20 minutes kept, the files whose period ended by 16:20 go (16:00-16:15).
        a.retention = 1200
        XCTAssertEqual(a.prune(now: Int64(t0) + 2400), ["updates.20141222.1600", "updates.20141222.1605", "updates.20141222.1610",
                                                         "updates.20141222.1615"])
        XCTAssertEqual(said.count, 4)
        XCTAssertTrue(said[0].contains("archive.retention"), said[0])
        // The RIB dump is old too, but it is the newest one: it stays.
        XCTAssertEqual(files(dir), ["bview.20141222.1600", "notes.txt", "updates.20141222.1620", "updates.20141222.1625"])

        // Quota: room for one updates file (and the RIB): the older goes, the newest stays even past the limit.
        a.retention = nil
        a.maxBytes = size * 2
        XCTAssertEqual(a.prune(now: Int64(t0) + 2400), ["updates.20141222.1620"])
        XCTAssertTrue(said.last!.contains("archive.max_size"), said.last!)
        a.maxBytes = 1
        XCTAssertEqual(a.prune(now: Int64(t0) + 2400), [])
        XCTAssertEqual(files(dir), ["bview.20141222.1600", "notes.txt", "updates.20141222.1625"])
    }
}
