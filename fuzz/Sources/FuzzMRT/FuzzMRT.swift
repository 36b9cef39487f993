import BGPWire
import MRT

/// Feeds arbitrary bytes through everything that reads MRT: the framer, the
/// bgpdump formatter, the typed decoder and element extraction. Anything that
/// decodes must encode and decode back to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMRT(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let reader = MRTReader(source: MemorySource(bytes), name: "fuzz", blockSize: 256, maxRecordLength: 1 << 20)
    let formatter = BgpdumpFormatter()
    var extractor = ElementExtractor()
    var out: [UInt8] = []
    var elements: [BGPElement] = []
    while let rec = try? reader.next() {
        out.removeAll(keepingCapacity: true)
        _ = formatter.format(rec, into: &out)
        guard let decoded = try? MRTRecord.decode(rec) else { continue }
        _ = extractor.elements(of: decoded, into: &elements)
        elements.removeAll(keepingCapacity: true)
        let again = decoded.encode()
        let r2 = MRTReader(source: MemorySource(again), name: "re-encoded")
        guard let raw2 = try? r2.next(), let back = try? MRTRecord.decode(raw2) else {
            fatalError("re-encoded record does not decode: \(decoded)")
        }
        if back != decoded { fatalError("round trip changed the record:\n\(decoded)\n\(back)") }
    }
    return 0
}
