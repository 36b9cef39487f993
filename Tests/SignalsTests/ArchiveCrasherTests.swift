import Foundation
import XCTest
import BGPWire
import Entities
import MRT
import Routing
import Signals

/// Inputs the whole-archive fuzzer (fuzz/Sources/FuzzArchive) found crashing,
/// run through the same path with the same options byte: MRT → elements →
/// routing state → signal engine → detector. Passing means not crashing.
final class ArchiveCrasherTests: XCTestCase {
    static let crashers: [(String, String)] = [
        // A RIB of prefixes in several countries, measured when the bin closes: caching
        // one prefix's entities added several, and the row table grew by one only.
        ("crash-12a5867d", "JVaOU6sADQABAAAANQoA//8ABm1hc3RlcgADAgAAAAAAAAAAAAAAAAIKABEBCgAQAgD9+QIKAA8BCgABAAD991ZTVo5TqwANAAgAAAB8AAAAHhgKABUAAgABVo5TMAAAAA8AK0ABAQBAAhYCBQAA/fkAAP36AAD9+wAA/fwAAP1TZXQECgAQAkAFBAAAAGQAAVaOUzEAAAATAC9AAQEAQAIaAgYAAP35AAD9+gAA/fsAAP38AAD9/QAA/f5AAwQKABACQAUEAAAAZA=="),
    ]

    /// The fuzz target's delegations (keep in step with FuzzArchive.swift).
    static func lookup() -> CountryLookup {
        var map = EntityMap()
        map.addDelegated("""
            ripencc|NL|ipv4|0.0.0.0|2147483648|20000101|allocated
            arin|US|ipv4|128.0.0.0|1073741824|20000101|allocated
            apnic|JP|ipv4|192.0.0.0|536870912|20000101|assigned
            ripencc|DE|ipv6|2000::|4|20000101|allocated
            ripencc|NL|asn|1|65535|20000101|allocated
            """, file: "fuzz")
        return CountryLookup(map)
    }

    /// FuzzArchive's body: the first byte picks the options, the rest is MRT.
    static func run(_ data: [UInt8]) {
        guard let flags = data.first else { return }
        let binSeconds: Int64 = [1, 10, 60, 300][Int(flags & 3)]
        let watch: [Entity] = flags & 8 != 0
            ? [.country("NL"), .asn(3333), .prefix(Prefix("10.0.0.0/8")!), .prefix(Prefix("2001::/16")!)] : []
        let state = RoutingState(policy: flags & 64 != 0 ? FullFeedPolicy(minIPv4: 1, minIPv6: 1) : FullFeedPolicy())
        if flags & 16 != 0 { state.attributeStore = AttributeStore() }
        let engine = SignalEngine(state: state, binSeconds: binSeconds, lookup: flags & 4 != 0 ? lookup() : nil, watch: watch)
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
        let reader = MRTReader(source: MemorySource(Array(data.dropFirst())), name: "crasher", blockSize: 256, maxRecordLength: 1 << 20)
        let decoder = ElementDecoder()
        var elements: [BGPElement] = []
        while let rec = try? reader.next() {
            elements.removeAll(keepingCapacity: true)
            if let problem = decoder.decode(rec, into: &elements) { reader.reportMalformed(rec, problem) }
            for e in elements { detect(engine.apply(e)) }
        }
        detect(engine.finish())
    }

    func testCrashersDoNotCrash() throws {
        for (name, b64) in Self.crashers {
            Self.run([UInt8](try XCTUnwrap(Data(base64Encoded: b64), name)))
        }
    }
}
