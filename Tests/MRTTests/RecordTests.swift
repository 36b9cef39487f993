import XCTest
import BGPWire
import CCompression
@testable import MRT

/// One record of every type and subtype Vigil reads and writes.
enum SampleRecords {
    static let v6 = IPAddress("2001:db8::2")!
    static let attrs: [PathAttribute] = [.origin(.igp), .asPath(ASPath(sequence: [65001, 4_200_000_001])), .nextHop(0xC000_0201),
                                         .communities([0xFDE9_0064]), .largeCommunities([LargeCommunity(1, 2, 3)])]
    static let v6attrs: [PathAttribute] = [.origin(.incomplete), .asPath(ASPath(sequence: [65002])),
                                           .mpReach(MPReach(family: .ipv6Unicast, nextHop: .v6(v6), nlri: []))]
    static let peering4 = BGP4MPPeering(peerAS: 65001, localAS: 65000, interfaceIndex: 3, peerAddress: .v4(0x0A00_0001), localAddress: .v4(0x0A00_0002))
    static let peering6 = BGP4MPPeering(peerAS: 4_200_000_001, localAS: 65000, peerAddress: v6, localAddress: IPAddress("2001:db8::1")!)
    static let update = BGPMessage.update(Update(withdrawn: [NLRI(Prefix("10.9.0.0/16")!)], attributes: attrs, nlri: [NLRI(Prefix("192.0.2.0/24")!)]))

    static var all: [(String, MRTRecord)] {
        var out: [(String, MRTRecord)] = [
            ("TABLE_DUMP v4", MRTRecord(timestamp: 100, body: .tableDump(TableDumpEntry(sequence: 1, prefix: Prefix("192.0.2.0/24")!, originated: 50,
                peerAddress: .v4(0x0A00_0001), peerAS: 65001, attributes: [.origin(.igp), .asPath(ASPath(sequence: [65001])), .nextHop(1)])))),
            ("TABLE_DUMP v6", MRTRecord(timestamp: 100, body: .tableDump(TableDumpEntry(subtype: 2, sequence: 2, prefix: Prefix("2001:db8::/32")!,
                originated: 50, peerAddress: v6, peerAS: 65001, attributes: v6attrs)))),
            ("PEER_INDEX_TABLE", MRTRecord(timestamp: 100, body: .peerIndexTable(PeerIndexTable(collectorID: 7, viewName: Array("rrc00".utf8), peers: [
                .init(bgpID: 1, address: .v4(0x0A00_0001), asn: 65001, fourOctetAS: false),
                .init(bgpID: 2, address: v6, asn: 4_200_000_001)])))),
            ("STATE_CHANGE", MRTRecord(timestamp: 101, body: .stateChange(StateChange(peering: peering4, fourOctetAS: false, oldState: 5, newState: 6)))),
            ("STATE_CHANGE_AS4", MRTRecord(timestamp: 101, body: .stateChange(StateChange(peering: peering6, oldState: 6, newState: 1)))),
            ("ET STATE_CHANGE", MRTRecord(timestamp: 101, microseconds: 999_999, body: .stateChange(StateChange(peering: peering6, oldState: 1, newState: 2)))),
        ]
        for (family, name) in [(AFISAFI.ipv4Unicast, "RIB_IPV4_UNICAST"), (.ipv4Multicast, "RIB_IPV4_MULTICAST"),
                               (.ipv6Unicast, "RIB_IPV6_UNICAST"), (.ipv6Multicast, "RIB_IPV6_MULTICAST")] {
            let p = family.isIPv6 ? Prefix("2001:db8:1::/48")! : Prefix("198.51.100.0/24")!
            let a = family.isIPv6 ? v6attrs.map { a -> PathAttribute in
                if case let .mpReach(m) = a { return .mpReach(MPReach(family: family, nextHop: m.nextHop, nlri: [])) }
                return a
            } : attrs
            for addPath in [false, true] {
                for generic in [false, true] {
                    let e = [RIBRecord.Entry(peerIndex: 0, originated: 9, pathID: addPath ? 42 : nil, attributes: a),
                             RIBRecord.Entry(peerIndex: 1, originated: 10, pathID: addPath ? 43 : nil, attributes: a)]
                    out.append(("\(generic ? "RIB_GENERIC " : "")\(name)\(addPath ? "_ADDPATH" : "")",
                                MRTRecord(timestamp: 102, body: .rib(RIBRecord(family: family, generic: generic, addPath: addPath, sequence: 3, prefix: p, entries: e)))))
                }
            }
        }
        for four in [false, true] {
            for local in [false, true] {
                for addPath in [false, true] {
                    var m = update
                    if addPath, case let .update(u) = update {
                        m = .update(Update(withdrawn: u.withdrawn.map { NLRI($0.prefix, pathID: 5) }, attributes: u.attributes,
                                           nlri: u.nlri.map { NLRI($0.prefix, pathID: 6) }))
                    }
                    if !four, case let .update(u) = m {
                        // A 2-octet session carries only 2-octet ASes in AS_PATH.
                        m = .update(Update(withdrawn: u.withdrawn, attributes: u.attributes.map {
                            if case .asPath = $0 { return .asPath(ASPath(sequence: [65001, 65003])) }
                            return $0
                        }, nlri: u.nlri))
                    }
                    let msg = BGP4MPMessage(peering: four ? peering6 : peering4, fourOctetAS: four, local: local, addPath: addPath, message: m)
                    out.append(("MESSAGE four=\(four) local=\(local) addpath=\(addPath)", MRTRecord(timestamp: 103, body: .message(msg))))
                }
            }
        }
        out.append(("ET MESSAGE", MRTRecord(timestamp: 104, microseconds: 12, body: .message(BGP4MPMessage(peering: peering4, message: .keepalive)))))
        out.append(("unknown type", MRTRecord(timestamp: 105, body: .unknown(type: MRTType(11), subtype: 0, body: [1, 2, 3]))))
        return out
    }
}

final class RecordTests: XCTestCase {
    func testEveryRecordRoundTrips() throws {
        let samples = SampleRecords.all
        var stream: [UInt8] = []
        for (name, rec) in samples {
            let bytes = rec.encode()
            stream += bytes
            let r = reader(bytes)
            let raw = try XCTUnwrap(try r.next(), name)
            let back = try MRTRecord.decode(raw)
            XCTAssertEqual(back, rec, name)
            XCTAssertEqual(back.encode(), bytes, "\(name): re-encoding changed the bytes")
            XCTAssertNil(try r.next())
        }
        // The same stream fed one byte at a time frames to the same records.
        for chunk in [1, 7] {
            let r = reader(stream, chunk: chunk)
            var got: [MRTRecord] = []
            while let raw = try r.next() { got.append(try MRTRecord.decode(raw)) }
            XCTAssertEqual(got, samples.map(\.1), "chunk \(chunk)")
            XCTAssertTrue(r.issues.isEmpty)
        }
    }

    /// bgpdump prints what we write, for the kinds it prints (checked again against
    /// Debian's bgpdump on daemon-written files in VigilTests).
    func testWrittenRecordsFormat() throws {
        var stream: [UInt8] = []
        for (_, rec) in SampleRecords.all { stream += rec.encode() }
        let text = String(decoding: try bgpdumpLines(reader(stream)).text, as: UTF8.self)
        XCTAssertTrue(text.contains("TABLE_DUMP|100|B|10.0.0.1|65001|192.0.2.0/24|65001|IGP|0.0.0.1|0|0||NAG||\n"), text)
        XCTAssertTrue(text.contains("BGP4MP|101|STATE|10.0.0.1|65001|5|6\n"), text)
        XCTAssertTrue(text.contains("BGP4MP_ET|101.999999|STATE|2001:db8::2|4200000001|1|2\n"), text)
        XCTAssertTrue(text.contains("TABLE_DUMP2_AP|102|B|2001:db8::2|4200000001|198.51.100.0/24|43|65001 4200000001|IGP|192.0.2.1|0|0|65001:100|NAG||\n"), text)
        XCTAssertTrue(text.contains("BGP4MP|103|A|10.0.0.1|65001|192.0.2.0/24|65001 65003|IGP|192.0.2.1|0|0|65001:100|NAG||\n"), text)
        XCTAssertTrue(text.contains("BGP4MP_AP|103|W|10.0.0.1|65001|10.9.0.0/16|5\n"), text)
    }

    func testElementsFromRecords() throws {
        var ex = ElementExtractor()
        var els: [BGPElement] = []
        for (_, rec) in SampleRecords.all { _ = ex.elements(of: rec, into: &els) }
        let announced = els.filter { $0.kind == .announcement }
        XCTAssertEqual(announced.count, 8)
        XCTAssertEqual(announced.first?.originAS, 65003)
        XCTAssertEqual(announced.last?.originAS, 4_200_000_001)
        XCTAssertEqual(announced.first?.nextHop, .v4(0xC000_0201))
        let ribs = els.filter { $0.kind == .rib }
        XCTAssertEqual(ribs.count, 2 + 16 * 2)
        XCTAssertEqual(ribs.last?.peerAddress, SampleRecords.v6)
        XCTAssertEqual(els.filter { $0.kind == .state }.count, 3)
    }

    func testWriterPlainAndGzipReadBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-writer-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for gzip in [false, true] {
            let path = dir.appendingPathComponent(gzip ? "a.gz" : "a.mrt").path
            let w = try MRTWriter(path: path, gzip: gzip)
            for _ in 0..<200 { for (_, rec) in SampleRecords.all { try w.write(rec) } }
            try w.close()
            let r = try MRTReader(path: path)
            var n = 0
            while let raw = try r.next() { _ = try MRTRecord.decode(raw); n += 1 }
            XCTAssertEqual(n, 200 * SampleRecords.all.count)
            XCTAssertTrue(r.issues.isEmpty)
        }
    }
}
