import Foundation
import Signals
import XCTest

/// One JSON form of an event: the Codable form and the JSON lines are the same object,
/// and what older versions stored (camelCase keys, Unix seconds) still reads.
final class EventJSONTests: XCTestCase {
    let event = Event(entity: "AS131279", kind: .outage, cause: .bgpWithdrawal, start: 1_419_264_900, end: 1_419_299_100, scope: 1,
                      severity: 12.5, level: "critical", precededByInstability: true,
                      evidence: .init(signal: "present_v4", baseline: 4, before: 4, worst: 0, visibilityBefore: 1, visibilityWorst: 0,
                                      peersInOrder: ["10.0.0.1 AS64600"], prefixes: ["175.45.176.0/24"], commonUpstream: 4837,
                                      note: "all 4 prefixes withdrawn", longestLoss: 600, instabilitySince: 1_419_019_200))

    func object(_ data: Data) throws -> NSDictionary {
        try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    func testCodableIsTheJSONLinesForm() throws {
        let coded = try object(JSONEncoder().encode(event))
        let line = try object(Data(EventFormat.json(event).utf8))
        XCTAssertEqual(coded, line)
        XCTAssertEqual(coded["version"] as? Int, EventFormat.jsonVersion)
        XCTAssertEqual(coded["start"] as? String, "2014-12-22T16:15:00Z")
        XCTAssertEqual((coded["evidence"] as? NSDictionary)?["common_upstream"] as? String, "AS4837")
        XCTAssertEqual((coded["evidence"] as? NSDictionary)?["instability_since"] as? String, "2014-12-19T20:00:00Z")
        XCTAssertEqual(try JSONDecoder().decode(Event.self, from: Data(EventFormat.json(event).utf8)), event)
        // An event change as the events file and the bus's JSON form carry it.
        let change = try object(Data(EventFormat.jsonLine(.opened(event), latency: 0.25).utf8))
        XCTAssertEqual(change["change"] as? String, "opened")
        XCTAssertEqual(change["detected_after_s"] as? Double, 0.25)
        XCTAssertEqual(change["entity"] as? String, "AS131279")
    }

    func testWhatOlderVersionsStoredStillReads() throws {
        let old = """
            {"entity":"AS131279","kind":"outage","cause":"bgp-withdrawal","start":1419264900,"end":1419299100,"observationStopped":false,
             "scope":1,"severity":12.5,"level":"critical","precededByInstability":true,
             "evidence":{"signal":"present_v4","baseline":4,"before":4,"worst":0,"visibilityBefore":1,"visibilityWorst":0,
                         "peersInOrder":["10.0.0.1 AS64600"],"prefixes":["175.45.176.0/24"],"commonUpstream":4837,"churnBaseline":0,
                         "churnPeak":0,"note":"all 4 prefixes withdrawn","flaps":0,"totalLosses":0,"longestLoss":600,"instabilitySince":1419019200}}
            """
        XCTAssertEqual(try JSONDecoder().decode(Event.self, from: Data(old.utf8)), event)
        XCTAssertThrowsError(try JSONDecoder().decode(Event.self, from: Data(#"{"entity":"X","kind":"outage","start":"yesterday"}"#.utf8)))
    }
}
