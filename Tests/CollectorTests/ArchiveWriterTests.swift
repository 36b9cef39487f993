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
            // Carrying on appends to the same period without duplicating what was kept.
            try a.append(update(t0 + 200, 99))
            try a.rotate()
            XCTAssertEqual(try count(final).records, c.records + 1, "the recovered records kept, the new one added once")
        }
    }
}
