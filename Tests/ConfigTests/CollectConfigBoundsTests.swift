import XCTest
@testable import Config

/// Durations and names from the configuration that used to overflow: errors with file, line and key.
final class CollectConfigBoundsTests: XCTestCase {
    func problem(_ text: String) -> String {
        do { _ = try CollectConfig(toml: "[collector]\nlisten = \":1179\"\n" + text, file: "c.toml"); return "no error" } catch { return "\(error)" }
    }

    func testDurationsAndNamesAreBounded() {
        XCTAssertNil(CollectConfig.parseDuration("999999999999999999d"))
        XCTAssertEqual(problem("[detect]\nbin = \"999999999999999999d\"\n"),
                       "c.toml:4: detect.bin: must be seconds or a duration like \"30s\", \"5m\", \"8h\"")
        XCTAssertEqual(problem("[probe]\ncensus_interval = 9223372036854775807\n"),
                       "c.toml:4: probe.census_interval: must be at most 31622400 seconds (a year)")
        XCTAssertEqual(problem("[detect]\nbin = \"367d\"\n"), "c.toml:4: detect.bin: must be at most 31622400 seconds (a year)")
        XCTAssertEqual(problem("name = \"\(String(repeating: "x", count: 65))\"\n"),
                       "c.toml:3: collector.name: must be 1 to 64 letters, digits, - or _ (it names the archive directory)")
    }
}
