import BGPWire
import Entities
import MRT
import Routing
import Signals

/// The whole archive path of `vigil replay`: MRT bytes → reader → elements →
/// routing state → signal engine → detector. The first byte picks the options
/// (so short inputs reach every mode); the rest is MRT.
///
///     bits 0-1  bin: 1, 10, 60 or 300 s
///     bit  2    countries from a few delegated blocks
///     bit  3    watch a country, an AS and a prefix (else every entity seen)
///     bit  4    keep full attributes (the collector's RIB snapshots)
///     bit  5    detect with a short history (outages open within a few bins)
///     bit  6    full-feed threshold 1 prefix (every peer counts for visibility)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let flags = data[0]
    let binSeconds: Int64 = [1, 10, 60, 300][Int(flags & 3)]
    let lookup = flags & 4 != 0 ? delegations : nil
    let watch: [Entity] = flags & 8 != 0 ? watched : []
    let state = RoutingState(policy: flags & 64 != 0 ? FullFeedPolicy(minIPv4: 1, minIPv6: 1) : FullFeedPolicy())
    if flags & 16 != 0 { state.attributeStore = AttributeStore() }
    let engine = SignalEngine(state: state, binSeconds: binSeconds, lookup: lookup, watch: watch)
    var config = Detector.Config()
    if flags & 32 != 0 {
        config.minimumHistory = 2
        config.window = 12 * binSeconds
        config.quietBins = 2
    }
    engine.keepNotes = true
    let detector = Detector(binSeconds: binSeconds, config: config)
    func detect(_ rows: [SeriesRow]) {
        for r in rows { _ = detector.observe(r, withdrawals: engine.takeNotes(entity: r.entity, bin: r.bin)) }
    }

    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let reader = MRTReader(source: MemorySource(bytes), name: "fuzz", blockSize: 256, maxRecordLength: 1 << 20)
    let decoder = ElementDecoder()
    var elements: [BGPElement] = []
    while let rec = try? reader.next() {
        elements.removeAll(keepingCapacity: true)
        if let problem = decoder.decode(rec, into: &elements) { reader.reportMalformed(rec, problem) }
        for e in elements { detect(engine.apply(e)) }
    }
    detect(engine.finish())
    _ = detector.openEvents
    _ = state.memoryReport()
    return 0
}

/// A few delegations covering the address space RIS archives mostly carry, so
/// country entities appear.
nonisolated(unsafe) let delegations: CountryLookup = {
    var map = EntityMap()
    map.addDelegated("""
        ripencc|NL|ipv4|0.0.0.0|2147483648|20000101|allocated
        arin|US|ipv4|128.0.0.0|1073741824|20000101|allocated
        apnic|JP|ipv4|192.0.0.0|536870912|20000101|assigned
        ripencc|DE|ipv6|2000::|4|20000101|allocated
        ripencc|NL|asn|1|65535|20000101|allocated
        """, file: "fuzz")
    return CountryLookup(map)
}()

let watched: [Entity] = [.country("NL"), .asn(3333), .prefix(Prefix(address: IPAddress("10.0.0.0")!, length: 8)),
                         .prefix(Prefix(address: IPAddress("2001::")!, length: 16))]
