import Foundation
import XCTest
import BGPWire
import MRT
import Signals
@testable import RISLive

/// RIS Live messages decoded as an archive decodes the same BGP messages, whatever the stream's
/// variations; bad messages are problems of their own, never the stream's.
final class DecoderTests: XCTestCase {
    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name).path
    }

    /// Every UPDATE in a real RIS archive as RIS Live would stream it (`raw` as hex, the JSON path
    /// as RIS writes it), with the archive's own elements for it.
    static func messages(_ file: String, host: String) throws -> [(json: String, expected: [BGPElement])] {
        let reader = try MRTReader(path: fixture(file))
        var extractor = ElementExtractor()
        var out: [(String, [BGPElement])] = []
        while let rec = try reader.next() {
            guard rec.header.type == .bgp4mp, rec.header.subtype == 1 || rec.header.subtype == 4 else { continue }
            let decoded = try MRTRecord.decode(rec)
            var expected: [BGPElement] = []
            _ = extractor.elements(of: decoded, into: &expected)
            guard let json = RISMessageText.message(rec, decoded, elements: expected, host: host) else { continue }
            out.append((json, expected))
        }
        return out
    }

    /// Elements compared as the routing state reads them (an archive without microseconds says nil, the stream 0).
    static func same(_ a: [BGPElement], _ b: [BGPElement]) -> Bool {
        func norm(_ e: BGPElement) -> BGPElement { var e = e; (e.microseconds, e.collector) = (nil, nil); return e }
        return a.map(norm) == b.map(norm)
    }

    func testFourOctetSessionsOfARealArchiveDecodeExactly() throws {
        let messages = try Self.messages("updates.20160811.1600.gz", host: "rrc21.ripe.net")
        XCTAssertGreaterThan(messages.count, 1000)
        var decoder = RISDecoder()
        var elements = 0
        for (json, expected) in messages {
            guard case let .elements(collector, _, _, got, _) = try decoder.decode(json) else { return XCTFail("not elements: \(json.prefix(200))") }
            XCTAssertEqual(collector, "rrc21")
            XCTAssertTrue(Self.same(got, expected), "\(json.prefix(300))")
            elements += got.count
        }
        XCTAssertGreaterThan(elements, 30_000)
        XCTAssertEqual(decoder.counts, .init(raw: messages.count, json: 0, twoOctet: 0, rawFailures: 0))
    }

    func testTwoOctetSessionsAreFoundOut() throws {
        let messages = try Self.messages("updates.20020722.2238.gz", host: "rrc05")
        var decoder = RISDecoder()
        decoder.keepRaw = true
        var twoOctetKept = 0
        for (json, expected) in messages {
            guard case let .elements(_, _, _, got, raw) = try decoder.decode(json) else { return XCTFail("not elements") }
            XCTAssertTrue(Self.same(got, expected), "\(json.prefix(300))")
            // Kept for the archive: the bytes the stream carried, the session's width as found, the message's time.
            guard let raw else { return XCTFail("no raw bytes kept") }
            XCTAssertTrue(json.contains("\"raw\":\"\(raw.bytes.map { String(format: "%02X", $0) }.joined())\""))
            XCTAssertEqual(raw.timestamp, expected.first?.timestamp)
            if !raw.fourOctet { twoOctetKept += 1 }
        }
        XCTAssertEqual(twoOctetKept, decoder.counts.twoOctet)
        XCTAssertEqual(decoder.counts.raw, messages.count)
        XCTAssertGreaterThan(decoder.counts.twoOctet, messages.count / 2, "a 2002 collector's sessions are 2-octet")
        XCTAssertEqual(decoder.counts.rawFailures, 0)
    }

    func testTheJSONFieldsWhenThereIsNoRaw() throws {
        var decoder = RISDecoder()
        let json = """
            {"type":"ris_message","data":{"timestamp":1419264000.25,"peer":"2001:db8::7","peer_asn":"64500","id":"a","host":"rrc00","type":"UPDATE",
            "path":[64500,4837,[131279,131280]],"origin":"IGP","community":[[4837,100],[70000,1]],
            "announcements":[{"next_hop":"2001:db8::7,fe80::1","prefixes":["2001:db8:100::/48","eor"]},{"next_hop":"fe80::1","prefixes":["2001:db8:100::/48"]},
            {"next_hop":"192.0.2.1","prefixes":["175.45.176.0/22"]}],"withdrawals":["175.45.178.0/24"]}}
            """
        guard case let .elements(collector, peer, peerAS, got, _) = try decoder.decode(json) else { return XCTFail("not elements") }
        XCTAssertEqual(collector, "rrc00")
        XCTAssertEqual(peer, IPAddress("2001:db8::7"))
        XCTAssertEqual(peerAS, 64500)
        XCTAssertEqual(got.map(\.kind), [.withdrawal, .announcement, .announcement], "the duplicated IPv6 prefix once, no End-of-RIB")
        XCTAssertEqual(got.map { $0.prefix?.description }, ["175.45.178.0/24", "2001:db8:100::/48", "175.45.176.0/22"])
        XCTAssertEqual(got[1].nextHop, IPAddress("2001:db8::7"))
        XCTAssertEqual(got[1].asPath?.description, "64500 4837 {131279,131280}")
        XCTAssertEqual(got[2].originAS, nil, "an AS_SET at the end names no single origin")
        XCTAssertEqual(got[1].timestamp, 1_419_264_000)
        XCTAssertEqual(got[1].microseconds, 250_000)
        XCTAssertTrue(got[1].attributes.contains(.origin(.igp)))
        XCTAssertTrue(got[1].attributes.contains(.communities([4837 << 16 | 100])), "a community that is not two 16-bit halves is left out")
        XCTAssertEqual(decoder.counts.json, 1)
    }

    func testRawThatIsNotUsableFallsBackToTheJSON() throws {
        var decoder = RISDecoder()
        let json = """
            {"type":"ris_message","data":{"timestamp":1,"peer":"192.0.2.1","peer_asn":"64500","host":"rrc00","type":"UPDATE",
            "path":[64500],"origin":"igp","announcements":[{"next_hop":"192.0.2.1","prefixes":["192.0.2.0/24"]}],"raw":"FFFFZZ"}}
            """
        guard case let .elements(_, _, _, got, _) = try decoder.decode(json) else { return XCTFail("not elements") }
        XCTAssertEqual(got.map { $0.prefix?.description }, ["192.0.2.0/24"])
        XCTAssertEqual(decoder.counts.rawFailures, 1)
        XCTAssertEqual(decoder.counts.json, 1)
    }

    func testPeerStatesAndTheServersOwnMessages() throws {
        var decoder = RISDecoder()
        let state = #"{"type":"ris_message","data":{"timestamp":10,"peer":"192.0.2.1","peer_asn":"64500","host":"rrc21.ripe.net","type":"RIS_PEER_STATE","state":"%@"}}"#
        guard case let .elements(c, _, _, down, _) = try decoder.decode(String(format: state, "down")) else { return XCTFail() }
        XCTAssertEqual(c, "rrc21")
        XCTAssertEqual(down.map(\.kind), [.state])
        XCTAssertEqual(down.first?.newState, 1)
        guard case let .elements(_, _, _, up, _) = try decoder.decode(String(format: state, "connected")) else { return XCTFail() }
        XCTAssertEqual(up.first?.newState, 6)
        XCTAssertEqual(try decoder.decode(String(format: state, "mystery")), .other("RIS_PEER_STATE mystery"))
        XCTAssertEqual(try decoder.decode(#"{"type":"pong","data":null}"#), .pong)
        XCTAssertEqual(try decoder.decode(#"{"type":"pong"}"#), .pong)
        XCTAssertEqual(try decoder.decode(#"{"type":"ris_subscribe_ok","data":{"subscription":{}}}"#), .subscribed)
        XCTAssertEqual(try decoder.decode(#"{"type":"ris_error","data":{"message":"Closing connection after being behind"}}"#),
                       .error("Closing connection after being behind"))
        XCTAssertEqual(try decoder.decode(#"{"type":"ris_message","data":{"timestamp":10,"peer":"192.0.2.1","peer_asn":"1","host":"rrc00","type":"KEEPALIVE"}}"#),
                       .other("KEEPALIVE"))
    }

    /// One router peering with two collectors is two peers of the routing state: one session
    /// ending at rrc00 takes its routes there and leaves those it gave rrc21.
    func testTheSameRouterAtTwoCollectorsIsTwoPeers() throws {
        let update = try XCTUnwrap(Self.messages("updates.20160811.1600.gz", host: "rrc00.ripe.net").first { m in
            m.expected.count > 1 && m.expected.allSatisfy { $0.kind == .announcement }
        })
        var decoder = RISDecoder()
        let engine = SignalEngine()
        for host in ["rrc00.ripe.net", "rrc21"] {
            guard case let .elements(c, _, _, elements, _) = try decoder.decode(update.json.replacingOccurrences(of: "rrc00.ripe.net", with: host)) else {
                return XCTFail()
            }
            XCTAssertTrue(elements.allSatisfy { $0.collector == c })
            for e in elements { _ = engine.apply(e) }
        }
        XCTAssertEqual(engine.state.peers.map(\.collector), ["rrc00", "rrc21"])
        XCTAssertEqual(engine.state.routeCount, 2 * update.expected.count)
        let peer = update.expected[0]
        let down = #"{"type":"ris_message","data":{"timestamp":1470931500,"peer":"\#(peer.peerAddress)","peer_asn":"\#(peer.peerAS)","host":"rrc00","type":"RIS_PEER_STATE","state":"down"}}"#
        guard case let .elements(_, _, _, ended, _) = try decoder.decode(down) else { return XCTFail() }
        for e in ended { _ = engine.apply(e) }
        XCTAssertEqual(engine.state.routeCount, update.expected.count, "rrc21's routes from the same router stay")
    }

    func testBadMessagesAreProblemsWithAReason() {
        var decoder = RISDecoder()
        let cases: [(String, String)] = [
            ("{not json", "not a RIS Live message"),
            (#"{"data":{}}"#, "not a RIS Live message"),
            (#"{"type":"ris_message"}"#, "without data"),
            (#"{"type":"ris_message","data":{"timestamp":1,"peer":"192.0.2.1","peer_asn":"1","type":"UPDATE"}}"#, "without host"),
            (#"{"type":"ris_message","data":{"timestamp":1,"peer":"nowhere","peer_asn":"1","host":"rrc00","type":"UPDATE"}}"#, "'nowhere' is not an address"),
            (#"{"type":"ris_message","data":{"timestamp":1,"peer":"192.0.2.1","peer_asn":"AS1","host":"rrc00","type":"UPDATE"}}"#, "not an AS number"),
            (#"{"type":"ris_message","data":{"timestamp":-5,"peer":"192.0.2.1","peer_asn":"1","host":"rrc00","type":"UPDATE"}}"#, "timestamp"),
            (#"{"type":"ris_message","data":{"timestamp":1,"peer":"192.0.2.1","peer_asn":"1","host":"rrc00","type":"UPDATE","withdrawals":["300.0.0.0/8"]}}"#,
             "'300.0.0.0/8' is not a prefix"),
        ]
        for (json, why) in cases {
            XCTAssertThrowsError(try decoder.decode(json), json) { e in
                XCTAssertTrue("\(e)".contains(why), "\(json): \(e)")
            }
        }
    }

    func testTheSubscriptionAsSent() throws {
        let s = RISSubscription(host: "rrc00", type: "UPDATE", prefixes: ["175.45.176.0/22"], moreSpecific: true, lessSpecific: true)
        let sent = try JSONSerialization.jsonObject(with: Data(s.message.utf8)) as! [String: Any]
        XCTAssertEqual(sent["type"] as? String, "ris_subscribe")
        let data = sent["data"] as! [String: Any]
        XCTAssertEqual(data["host"] as? String, "rrc00")
        XCTAssertEqual(data["type"] as? String, "UPDATE")
        XCTAssertEqual(data["prefix"] as? String, "175.45.176.0/22")
        XCTAssertEqual(data["lessSpecific"] as? Bool, true)
        XCTAssertEqual((data["socketOptions"] as? [String: Bool]) ?? [:], ["includeRaw": true, "acknowledge": true])
        XCTAssertNil(data["path"])
        let two = try JSONSerialization.jsonObject(with: Data(RISSubscription(prefixes: ["192.0.2.0/24", "2001:db8::/32"]).message.utf8)) as! [String: Any]
        XCTAssertEqual((two["data"] as! [String: Any])["prefix"] as? [String], ["192.0.2.0/24", "2001:db8::/32"])
    }
}
