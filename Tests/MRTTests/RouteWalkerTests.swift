import Foundation
import XCTest
import BGPWire
@testable import MRT

/// The replay path's walker must give exactly the elements (and problems) of the typed
/// decoder and extractor, on real archives and on damaged records, while walking the
/// common records itself.
final class RouteWalkerTests: XCTestCase {
    static let archives = ["updates.20020722.2238.gz", "updates.20070211.0141.gz", "updates.20160811.1600.gz",
                           "updates.long_withdrawal.gz", "bview.ipv4_unicast_add_path.gz", "bview.ipv6_unicast_add_path.gz",
                           "bview.64k_stream_overflow.gz", "bgp4mp-subtypes.mrt"]

    /// Compares one record's elements both ways; returns a difference, or nil.
    func difference(_ typed: [BGPElement], _ typedProblem: String?, _ batch: RouteBatch, _ problem: String?) -> String? {
        if typedProblem != problem { return "problem \(typedProblem ?? "none") vs \(problem ?? "none")" }
        guard typed.count == batch.elements.count else { return "\(typed.count) elements vs \(batch.elements.count)" }
        for (t, w) in zip(typed, batch.elements) {
            guard t.kind == w.kind, t.peerAddress == w.peerAddress, t.peerAS == w.peerAS, t.pathID == w.pathID,
                  batch.timestamp == t.timestamp, batch.microseconds == (t.microseconds ?? 0) else { return "\(t) vs \(w)" }
            if t.kind == .state {
                guard t.oldState == w.oldState, t.newState == w.newState else { return "states of \(t) vs \(w)" }
                continue
            }
            guard t.prefix == w.prefix else { return "prefix \(String(describing: t.prefix)) vs \(w.prefix)" }
            let path = batch.pathBytes.withUnsafeBytes {
                ASPath.canonical(UnsafeRawBufferPointer(rebasing: $0[Int(w.pathStart)..<Int(w.pathStart + w.pathLength)]))
            }
            if t.kind != .withdrawal, (t.asPath ?? ASPath([])) != path { return "path \(String(describing: t.asPath)) vs \(String(describing: path))" }
        }
        return nil
    }

    func records(_ name: String) throws -> [(header: MRTHeader, body: [UInt8])] {
        let r = try MRTReader(path: Fixtures.path(name))
        var out: [(MRTHeader, [UInt8])] = []
        while let rec = try r.next() { out.append((rec.header, Array(rec.body))) }
        return out
    }

    /// One record decoded both ways; the difference, if any.
    func decodeBoth(_ h: MRTHeader, _ body: [UInt8], _ typed: ElementDecoder, _ walker: RouteWalker) -> String? {
        var els: [BGPElement] = [], batch = RouteBatch()
        return body.withUnsafeBytes { b in
            let rec = RawRecord(header: h, body: b, offset: 0)
            let p1 = typed.decode(rec, into: &els)
            let p2 = walker.decode(rec, into: &batch)
            return difference(els, p1, batch, p2)
        }
    }

    func testSameElementsAsTheExtractorOnRealArchives() throws {
        for name in Self.archives {
            let typed = ElementDecoder(), walker = RouteWalker()
            var n = 0
            for (h, body) in try records(name) {
                n += 1
                if let d = decodeBoth(h, body, typed, walker) { XCTFail("\(name) record \(n): \(d)") }
            }
            // The fast path is the one taken, except for the odd records.
            let share = Double(walker.walkedRecords) / Double(n)
            if name.hasPrefix("updates.2016") || name.hasPrefix("bview.ipv") {
                XCTAssertGreaterThan(share, 0.95, "\(name): \(walker.walkedRecords) of \(n) records walked")
            }
        }
    }

    func testDamagedRecordsGiveWhatTheTypedPathGives() throws {
        var rng = SplitMix(seed: 2014_12_22)
        var checked = 0, walked = 0
        for name in ["updates.20160811.1600.gz", "updates.20020722.2238.gz", "bview.ipv6_unicast_add_path.gz", "bgp4mp-subtypes.mrt"] {
            let all = try records(name)
            let typed = ElementDecoder(), walker = RouteWalker()
            // The peer table first, undamaged, so RIB records have their peers.
            for (h, body) in all where h.type.rawValue == 13 && h.subtype == 1 { XCTAssertNil(decodeBoth(h, body, typed, walker)) }
            for _ in 0..<1500 {
                let (h, original) = all[Int(rng.next() % UInt64(all.count))]
                guard !original.isEmpty, !(h.type.rawValue == 13 && h.subtype == 1) else { continue }
                var body = original
                for _ in 0...(rng.next() % 3) {
                    let at = Int(rng.next() % UInt64(body.count))
                    body[at] ^= UInt8(1 << (rng.next() % 8))
                }
                let before = walker.walkedRecords
                if let d = decodeBoth(h, body, typed, walker) { XCTFail("\(name), damaged \(h.type.rawValue)/\(h.subtype) record: \(d)") }
                checked += 1
                walked += walker.walkedRecords - before
            }
        }
        XCTAssertGreaterThan(checked, 5000)
        // Most damage leaves a record the walker still reads (a flipped AS number or prefix bit).
        XCTAssertGreaterThan(walked, checked / 4, "walked \(walked) of \(checked) damaged records")
    }

    /// Records the shipped archives lack: a 2-octet session's AS4_PATH to merge (typed path), a
    /// 2-octet path to widen and a 4-octet session's AS4_PATH to ignore (walked), withdrawals
    /// and announcements of both families in one UPDATE (their order), ADD-PATH, a repeated AS_PATH.
    func testRecordsTheArchivesLack() throws {
        let peer = BGP4MPPeering(peerAS: 65001, localAS: 65000, peerAddress: IPAddress("10.0.0.1")!, localAddress: IPAddress("10.0.0.2")!)
        let v6 = IPAddress("2001:db8::1")!
        func record(four: Bool, addPath: Bool = false, _ u: Update) -> [UInt8] {
            MRTRecord(timestamp: 1_419_292_800, microseconds: 5, body: .message(BGP4MPMessage(peering: peer, fourOctetAS: four, addPath: addPath,
                                                                                         message: .update(u)))).encode()
        }
        let origin: [PathAttribute] = [.origin(.igp), .nextHop(0x0A00_0001)]
        let p4 = [NLRI(Prefix("192.0.2.0/24")!), NLRI(Prefix("198.51.100.0/24")!)]
        let p6 = [NLRI(Prefix("2001:db8:1::/48")!)]
        let cases: [(name: String, bytes: [UInt8], walked: Bool, path: ASPath?)] = [
            ("2-octet with AS4_PATH", record(four: false, Update(attributes: origin + [.asPath(ASPath(sequence: [65001, 23456])),
                                                                                  .as4Path(ASPath(sequence: [4_200_000_000]))], nlri: p4)),
             false, ASPath(sequence: [65001, 4_200_000_000])),
            ("2-octet", record(four: false, Update(attributes: origin + [.asPath(ASPath([ASPathSegment(.sequence, [65001, 3356]), ASPathSegment(.set, [7, 8])]))], nlri: p4)),
             true, ASPath([ASPathSegment(.sequence, [65001, 3356]), ASPathSegment(.set, [7, 8])])),
            ("4-octet with AS4_PATH", record(four: true, Update(attributes: origin + [.asPath(ASPath(sequence: [65001, 4_200_000_000])),
                                                                                 .as4Path(ASPath(sequence: [1]))], nlri: p4)),
             true, ASPath(sequence: [65001, 4_200_000_000])),
            ("both families", record(four: true, Update(withdrawn: [NLRI(Prefix("203.0.113.0/24")!)], attributes: origin + [
                .mpReach(MPReach(family: .ipv6Unicast, nextHop: .v6(v6), nlri: p6)), .asPath(ASPath(sequence: [65001, 64512])),
                .mpUnreach(MPUnreach(family: .ipv6Unicast, withdrawn: [NLRI(Prefix("2001:db8:2::/48")!)]))], nlri: p4)),
             true, ASPath(sequence: [65001, 64512])),
            ("ADD-PATH", record(four: true, addPath: true, Update(withdrawn: [NLRI(Prefix("203.0.113.0/24")!, pathID: 9)],
                                                                 attributes: origin + [.asPath(ASPath(sequence: [65001]))],
                                                                 nlri: [NLRI(Prefix("192.0.2.0/24")!, pathID: 1), NLRI(Prefix("192.0.2.0/24")!, pathID: 2)])),
             true, ASPath(sequence: [65001])),
            ("repeated AS_PATH", record(four: true, Update(attributes: origin + [.asPath(ASPath(sequence: [65001, 1])), .asPath(ASPath(sequence: [65001, 2]))],
                                                          nlri: p4)), false, ASPath(sequence: [65001, 1])),
        ]
        for c in cases {
            let r = reader(c.bytes)
            let rec = try XCTUnwrap(try r.next(), c.name)
            let typed = ElementDecoder(), walker = RouteWalker()
            var els: [BGPElement] = [], batch = RouteBatch()
            let p1 = typed.decode(rec, into: &els), p2 = walker.decode(rec, into: &batch)
            XCTAssertNil(difference(els, p1, batch, p2), c.name)
            XCTAssertEqual(walker.walkedRecords, c.walked ? 1 : 0, c.name)
            let announced = try XCTUnwrap(batch.elements.first { $0.kind == .announcement }, c.name)
            let path = batch.pathBytes.withUnsafeBytes {
                ASPath.canonical(UnsafeRawBufferPointer(rebasing: $0[Int(announced.pathStart)..<Int(announced.pathStart + announced.pathLength)]))
            }
            XCTAssertEqual(path, c.path, c.name)
        }
        // The order of one UPDATE's elements: IPv4 withdrawals, MP_UNREACH, IPv4 announcements, MP_REACH.
        var batch = RouteBatch()
        let both = reader(cases[3].bytes)  // the record's bytes live in the reader
        _ = RouteWalker().decode(try XCTUnwrap(try both.next()), into: &batch)
        XCTAssertEqual(batch.elements.map { "\($0.kind.rawValue) \($0.prefix)" },
                       ["W 203.0.113.0/24", "W 2001:db8:2::/48", "A 192.0.2.0/24", "A 198.51.100.0/24", "A 2001:db8:1::/48"])
    }
}
