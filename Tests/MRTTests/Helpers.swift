import Foundation
import XCTest
@testable import MRT
import BGPWire

enum Fixtures {
    static var dir: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
}

/// Reads a whole input through the same decompression as the reader.
func readAll(_ path: String) throws -> [UInt8] {
    var src = try openInput(path)
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
        if n == 0 { break }
        out += buf[0..<n]
    }
    return out
}

struct DumpResult {
    var text: [UInt8] = []
    var lines = 0
    var records = 0
    var issues: [ReadIssue] = []
}

/// What `vigil dump -m` prints for a reader, with every issue it reports.
func bgpdumpLines(_ reader: MRTReader, filter: ElementFilter = ElementFilter()) throws -> DumpResult {
    var r = DumpResult()
    let f = BgpdumpFormatter(filter: filter)
    while let rec = try reader.next() {
        r.records += 1
        let (n, problem) = f.format(rec, into: &r.text)
        r.lines += n
        if let p = problem { reader.reportMalformed(rec, p) }
    }
    r.issues = reader.issues
    return r
}

func reader(_ bytes: [UInt8], name: String = "test", chunk: Int? = nil) -> MRTReader {
    if let c = chunk { return MRTReader(source: DripSource(bytes, chunk: c), name: name, blockSize: 64) }
    return MRTReader(source: MemorySource(bytes), name: name)
}

/// Hands out a few bytes per read, to prove the reader never depends on how input is chunked.
struct DripSource: ByteSource {
    let bytes: [UInt8]
    let chunk: Int
    var offset = 0
    init(_ bytes: [UInt8], chunk: Int) {
        self.bytes = bytes
        self.chunk = chunk
    }
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(chunk, buffer.count, bytes.count - offset)
        for i in 0..<n { buffer[i] = bytes[offset + i] }
        offset += n
        return n
    }
}
