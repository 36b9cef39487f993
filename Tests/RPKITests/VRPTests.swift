import BGPWire
import Foundation
import XCTest
@testable import RPKI

/// VRP exports in each format people have, and route origin validation as RFC 6811 defines it.
final class VRPTests: XCTestCase {
    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name).path
    }

    static let expected: Set<String> = ["192.0.2.0/24-24 AS64500", "198.51.100.0/22-23 AS64501", "2001:db8::/32-48 AS64502",
                                        "203.0.113.0/24-24 AS0", "198.51.100.0/24-24 AS64509"]

    func testEveryFormatLoadsTheSameVRPs() throws {
        for name in ["rpki-client.json", "routinator-jsonext.json", "ripe-validator.json", "routinator.csv", "routinator-csvcompat.csv"] {
            let loaded = try VRPFile.load(path: Self.fixture(name))
            XCTAssertEqual(Set(loaded.vrps.map(\.description)), Self.expected, name)
            XCTAssertEqual(loaded.problems, [], name)
        }
        XCTAssertEqual(try VRPFile.load(path: Self.fixture("rpki-client.json")).vrps.first?.trustAnchor, "ripe")
        XCTAssertEqual(try VRPFile.load(path: Self.fixture("ripe-validator.json")).vrps.first?.trustAnchor, "RIPE NCC RPKI Root")
    }

    /// RFC 6811 §2 case by case: covered and matched, covered and not, not covered.
    func testRouteOriginValidation() throws {
        let table = VRPTable(try VRPFile.load(path: Self.fixture("rpki-client.json")).vrps)
        XCTAssertEqual(table.count, 5)
        func state(_ p: String, _ origin: UInt32?) -> RPKIState { table.validate(Prefix(p)!, origin: origin) }
        XCTAssertEqual(state("192.0.2.0/24", 64500), .valid)
        XCTAssertEqual(state("192.0.2.0/25", 64500), .invalid, "longer than the maxLength: a more-specific the ROA does not allow")
        XCTAssertEqual(state("192.0.2.0/24", 64999), .invalid, "another origin")
        XCTAssertEqual(state("192.0.2.0/24", nil), .invalid, "an AS_SET origin matches no VRP")
        XCTAssertEqual(state("192.0.0.0/16", 64500), .notFound, "a less-specific is not covered")
        XCTAssertEqual(state("198.51.100.0/23", 64501), .valid, "within the maxLength")
        XCTAssertEqual(state("198.51.100.0/24", 64501), .invalid, "past AS64501's maxLength")
        XCTAssertEqual(state("198.51.100.0/24", 64509), .valid, "one matching VRP of several is enough")
        XCTAssertEqual(state("198.51.102.0/24", 64509), .invalid, "AS64509's VRP does not cover it; AS64501's covers it only to /23")
        XCTAssertEqual(state("203.0.113.0/24", 64503), .invalid, "AS0: nobody may originate it")
        XCTAssertEqual(state("203.0.113.0/24", 0), .invalid)
        XCTAssertEqual(state("2001:db8:1::/48", 64502), .valid)
        XCTAssertEqual(state("2001:db8:1::/49", 64502), .invalid)
        XCTAssertEqual(state("2001:db9::/32", 64502), .notFound)
        XCTAssertEqual(state("10.0.0.0/8", 64500), .notFound)
        XCTAssertEqual(table.covering(Prefix("198.51.100.0/24")!).map(\.description), ["198.51.100.0/22-23 AS64501", "198.51.100.0/24-24 AS64509"])
    }

    func testABadEntryIsNamedAndTheOthersLoad() throws {
        let loaded = try VRPFile.load(path: Self.fixture("broken.json"))
        XCTAssertEqual(loaded.vrps.map(\.description), ["192.0.2.0/24-24 AS64500"])
        XCTAssertEqual(loaded.problems, [
            "broken.json: roas[1]: prefix '198.51.100.0/33' is not a prefix",
            "broken.json: roas[2]: maxLength 16 is outside 32…128 for 2001:db8::/32",
            "broken.json: roas[3]: asn 'ASx' is not an AS number",
            "broken.json: roas[4]: prefix '203.0.113.1/24' has host bits set (203.0.113.0/24?)",
            "broken.json: roas[5]: no prefix",
            "broken.json: roas[6]: maxLength 'long' is not a number",
        ])
        XCTAssertEqual(loaded.skipped, 6)
    }

    func testWhatIsNotAnExportIsAnError() throws {
        XCTAssertThrowsError(try VRPFile.parse(Data("{\"vrps\": []}".utf8), name: "x.json")) {
            XCTAssertEqual("\($0)", "x.json: not a VRP export (JSON with \"roas\"): no \"roas\"")
        }
        XCTAssertThrowsError(try VRPFile.parse(Data("<html>not found</html>\n".utf8), name: "x.csv")) {
            XCTAssertEqual("\($0)", "x.csv: neither JSON with \"roas\" nor CSV ASN,IP Prefix,Max Length,Trust Anchor")
        }
        XCTAssertThrowsError(try VRPFile.load(path: "/nonexistent/roas.json")) {
            XCTAssertEqual("\($0)", "/nonexistent/roas.json: cannot be read")
        }
        // A CSV line that does not parse is that line's problem.
        let csv = try VRPFile.parse(Data("ASN,IP Prefix,Max Length,Trust Anchor\nAS64500,192.0.2.0/24,24,ripe\nAS64501;198.51.100.0/24\n".utf8), name: "v.csv")
        XCTAssertEqual(csv.vrps.count, 1)
        XCTAssertEqual(csv.problems, ["v.csv: line 3: expected ASN,IP Prefix,Max Length[,Trust Anchor]"])
    }
}
