import Foundation
import XCTest
@testable import Evaluation

/// The detector scored on generated worlds with known ground truth (one seed: 24
/// cases, 48 outages), against the goals of the detection issue.
final class EvaluationTests: XCTestCase {
    func testGoalsOnOneSeed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let score = try Evaluator().run(Suite.cases(seed: 1), workDir: dir)
        let report = score.table(bin: 300) + "\n" + score.misses.joined(separator: "\n")
        XCTAssertEqual(score.cases, 24)
        XCTAssertEqual(score.outagesTrue, 48)
        XCTAssertEqual(score.recall, 1, report)
        XCTAssertEqual(score.falseOutagesOnControl, 0, report)
        XCTAssertLessThanOrEqual(score.worstDelay, 300, report)
        XCTAssertGreaterThanOrEqual(score.causeAccuracy, 0.95, report)
        XCTAssertEqual(score.precededRight, score.preceded, report)
        XCTAssertEqual(score.instabilityFound, score.instabilityTrue, report)
        // False outages are flaps of one-prefix networks across a bin boundary; keep them rare.
        XCTAssertGreaterThanOrEqual(score.precision, 0.9, report)
    }
}
