import Foundation
import XCTest

/// `vigil demo`, the README's main job, as a user runs it on a fresh clone.
final class DemoCommandTests: XCTestCase {
    func testDemo() throws {
        let dir = try CLI.tempDir("demo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let svg = dir.appendingPathComponent("demo.svg").path
        let started = Date()
        let r = try CLI.vigil("demo", "--output", svg)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        // Where the plot went is said; the scratch archives and database are gone.
        XCTAssertTrue(r.stderr.contains("wrote \(svg) (signals with events shaded)"), r.stderr)
        let scratch = try XCTUnwrap(r.stderr.split(separator: "\n").first { $0.hasPrefix("simulated ") }?.split(separator: " ").last, r.stderr)
        XCTAssertTrue(scratch.hasPrefix("/tmp/vigil-demo-"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: String(scratch.dropLast("/archives".count))), "\(scratch) left behind")
        XCTAssertFalse(r.text.contains("simulated "), "progress is on standard error")
        XCTAssertTrue(r.text.contains("A RECONSTRUCTION from the public record, not recorded data."), r.text)
        XCTAssertTrue(r.text.contains("2014-12-22: routes withdrawn at 16:15 UTC, 100% of the space, 9h30m; after hours of route instability. Every lost path ran through AS4837."), r.text)
        XCTAssertTrue(r.text.contains("2014-12-27: routes withdrawn at 10:30 UTC, 100% of the space, 9h30m; no instability before: a clean withdrawal."), r.text)
        XCTAssertTrue(r.text.contains("2014-12-22  "), "the timeline chart has a row per day")
        // The plot is well-formed SVG with the events shaded.
        let check = try CLI.run("/usr/bin/env", ["python3", "-c", """
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            ns = '{http://www.w3.org/2000/svg}'
            shaded = [r.get('fill') for r in root.iter(ns + 'rect') if r.get('opacity') == '0.25']
            print(root.tag == ns + 'svg', shaded.count('#e53935'), shaded.count('#ffb300') >= 1, len(list(root.iter(ns + 'path'))))
            """, svg])
        // Four outages shaded red, the instability amber, one line of routed space.
        XCTAssertEqual(check.text, "True 4 True 1\n", check.stderr)
    }
}
