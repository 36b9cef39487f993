import Foundation
import XCTest
import BGPWire
import CCompression
@testable import MRT

/// Truncated, bit-flipped and garbage input: never a crash or a hang; every
/// problem reported with where and what; everything still framed is read.
final class BadInputTests: XCTestCase {
    lazy var real: [UInt8] = try! readAll(Fixtures.path("updates.20020722.2238.gz"))
    lazy var recordEnds: [Int] = {
        var ends: [Int] = []
        var at = 0
        while at + 12 <= real.count {
            let len = Int(real[at + 8]) << 24 | Int(real[at + 9]) << 16 | Int(real[at + 10]) << 8 | Int(real[at + 11])
            at += 12 + len
            ends.append(at)
        }
        return ends
    }()

    /// Decodes with both paths (bgpdump text and the typed model) and returns what the reader framed.
    func readBoth(_ bytes: [UInt8]) throws -> (records: Int, lines: Int, issues: [ReadIssue], elements: Int) {
        let r = reader(bytes, name: "cut.mrt")
        let d = try bgpdumpLines(r)
        let r2 = reader(bytes, name: "cut.mrt")
        let dec = ElementDecoder()
        var els: [BGPElement] = []
        while let rec = try r2.next() { _ = dec.decode(rec, into: &els) }
        return (d.records, d.lines, d.issues, els.count)
    }

    func testTruncatedAnywhere() throws {
        XCTAssertEqual(recordEnds.last, real.count)
        var cuts = Array(0..<300)
        cuts += stride(from: 300, to: real.count, by: 397).map { $0 }
        for cut in cuts {
            let got = try readBoth(Array(real[0..<cut]))
            let whole = recordEnds.filter { $0 <= cut }.count
            XCTAssertEqual(got.records, whole, "cut at \(cut)")
            let atBoundary = cut == 0 || recordEnds.contains(cut)
            XCTAssertEqual(got.issues.count, atBoundary ? 0 : 1, "cut at \(cut): \(got.issues)")
            if let i = got.issues.first {
                XCTAssertEqual(i.kind, .truncatedRecord)
                XCTAssertEqual(i.offset, whole == 0 ? 0 : recordEnds[whole - 1])
                XCTAssertEqual(i.file, "cut.mrt")
            }
        }
    }

    func testBitFlipsLoseAtMostTheDamagedRecords() throws {
        var rng = SplitMix(seed: 20141222)
        let total = recordEnds.count
        for _ in 0..<400 {
            var bytes = real
            let at = Int(rng.next() % UInt64(bytes.count))
            bytes[at] ^= UInt8(1 << (rng.next() % 8))
            let got = try readBoth(bytes)
            // A flip in a length field can swallow the record after it; resynchronisation finds the rest.
            XCTAssertGreaterThanOrEqual(got.records, total - 3, "flip at \(at)")
        }
    }

    func testHeaderDestroyedResynchronises() throws {
        var bytes = real
        let second = recordEnds[0]
        for i in 0..<12 { bytes[second + i] = 0xEE }
        let got = try readBoth(bytes)
        XCTAssertEqual(got.records, recordEnds.count - 1)
        XCTAssertEqual(got.issues.map(\.kind), [.badHeader, .resynchronised])
        XCTAssertEqual(got.issues[0].offset, second)
        XCTAssertEqual(got.issues[1].offset, recordEnds[1])
    }

    func testMalformedBodyIsReportedWithTypeAndOffset() throws {
        // Damage the BGP marker of the first UPDATE: bgpdump skips such a record; Vigil says so.
        var bytes = real
        var at = 0
        var index = 0
        while at < bytes.count {
            let type = Int(bytes[at + 4]) << 8 | Int(bytes[at + 5]), sub = Int(bytes[at + 6]) << 8 | Int(bytes[at + 7])
            if type == 16 && sub == 1 { break }
            at = recordEnds[index]
            index += 1
        }
        bytes[at + 12 + 16 + 3] = 0
        let r = reader(bytes, name: "bad.mrt")
        let d = try bgpdumpLines(r)
        XCTAssertEqual(d.records, recordEnds.count)
        XCTAssertEqual(d.issues.count, 1)
        XCTAssertEqual(d.issues.first?.kind, .malformedRecord)
        XCTAssertEqual(d.issues.first?.offset, at)
        XCTAssertEqual(d.issues.first?.recordType, "BGP4MP/MESSAGE")
        XCTAssertTrue(d.issues.first?.reason.contains("marker") ?? false)
    }

    func testGarbage() throws {
        var rng = SplitMix(seed: 7)
        for size in [1, 11, 12, 13, 1000, 100_000] {
            let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let got = try readBoth(bytes)
            XCTAssertFalse(got.issues.isEmpty, "size \(size)")
        }
    }

    func testMultiMemberGzipAndConcatenatedBzip2AreReadWhole() throws {
        let half = recordEnds[recordEnds.count / 2]
        let a = Array(real[0..<half]), b = Array(real[half...])
        let gz = gzip(a) + gzip(b)
        XCTAssertEqual(gz[0], 0x1F)
        let bz = bzip2(a) + bzip2(b)
        for (name, bytes) in [("two gzip members", gz), ("two bzip2 streams", bz)] {
            let path = tempFile(bytes)
            defer { unlink(path) }
            let r = try MRTReader(path: path)
            var n = 0
            while try r.next() != nil { n += 1 }
            XCTAssertEqual(n, recordEnds.count, name)
            XCTAssertTrue(r.issues.isEmpty, "\(name): \(r.issues)")
        }
    }

    func testTruncatedAndCorruptCompressedInput() throws {
        let gz = gzip(real)
        for (name, bytes) in [("gzip cut short", Array(gz[0..<(gz.count / 2)])), ("bzip2 cut short", Array(bzip2(real).prefix(9000))),
                              ("gzip corrupt", { var g = gz; for i in 2000..<2100 { g[i] = 0x55 }; return g }())] {
            let path = tempFile(bytes)
            defer { unlink(path) }
            let r = try MRTReader(path: path)
            var n = 0
            while try r.next() != nil { n += 1 }
            // bzip2 delivers nothing of a block cut short; gzip delivers what came before the damage.
            if name.hasPrefix("gzip") { XCTAssertGreaterThan(n, 0, name) }
            XCTAssertLessThan(n, recordEnds.count, name)
            XCTAssertTrue(r.issues.contains { $0.kind == .inputError }, "\(name): \(r.issues)")
        }
    }

    // MARK: helpers

    func tempFile(_ bytes: [UInt8]) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(UUID().uuidString)").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    func gzip(_ bytes: [UInt8]) -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(UUID().uuidString).gz").path
        defer { unlink(path) }
        let w = try! MRTWriter(path: path, gzip: true)
        try! w.write(bytes: bytes)
        try! w.close()
        return Array(FileManager.default.contents(atPath: path)!)
    }

    func bzip2(_ bytes: [UInt8]) -> [UInt8] {
        var src = bytes
        var out = [UInt8](repeating: 0, count: bytes.count + bytes.count / 50 + 1000)
        var n = UInt32(out.count)
        let rc = src.withUnsafeMutableBytes { s in
            out.withUnsafeMutableBytes { o in
                BZ2_bzBuffToBuffCompress(o.baseAddress!.assumingMemoryBound(to: CChar.self), &n,
                                         s.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(s.count), 9, 0, 0)
            }
        }
        XCTAssertEqual(rc, BZ_OK)
        return Array(out[0..<Int(n)])
    }
}

/// A small seeded generator, so every run tests the same damage.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
