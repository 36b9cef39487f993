import XCTest
@testable import Config

/// `[store]`: which database, under which vantage point, and how long bins are kept.
final class StoreConfigTests: XCTestCase {
    static let source = "[collector]\nlisten = \"127.0.0.1:179\"\n"
    func parse(_ text: String) throws -> CollectConfig { try parseConfig(Self.source + text, file: "x.toml") }
    func problem(_ text: String) -> String { configProblem(Self.source + text, file: "x.toml") }

    func testDefaultsAndEachKey() throws {
        let plain = try parse("")
        XCTAssertEqual(plain.database, "vigil.sqlite")
        XCTAssertEqual(plain.vantage, "")
        XCTAssertEqual(plain.rawRetention, 30 * 86_400)
        XCTAssertNil(plain.hourlyRetention)
        let c = try parse("""
            [store]
            url = "postgres://vigil@127.0.0.1/vigil"
            vantage = "ams-1"
            raw_retention = "7d"
            hourly_retention = "400d"
            """)
        XCTAssertEqual(c.database, "postgres://vigil@127.0.0.1/vigil")
        XCTAssertEqual(c.vantage, "ams-1")
        XCTAssertEqual(c.rawRetention, 7 * 86_400)
        XCTAssertEqual(c.hourlyRetention, 400 * 86_400)
    }

    func testProblemsNameTheKey() {
        XCTAssertTrue(problem("[store]\nurl = \"postgres://a@b/c\"\ndatabase = \"x.db\"\n").contains("store.url"))
        XCTAssertTrue(problem("[store]\nvantage = \"a b\"\n").contains("store.vantage"))
        XCTAssertTrue(problem("[store]\nraw_retention = \"1h\"\n").contains("store.raw_retention"))
        XCTAssertTrue(problem("[store]\nraw_retention = \"30d\"\nhourly_retention = \"7d\"\n").contains("store.hourly_retention"))
    }
}
