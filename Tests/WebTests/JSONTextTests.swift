import Signals
@testable import Web
import XCTest

/// The API formats numbers by hand for speed: exactly as `NumberText.decimal` (what events and
/// the command line print), for whole, fractional, negative, tiny and huge values.
final class JSONTextTests: XCTestCase {
    func testNumbersAsNumberTextPrintsThem() {
        var values: [Double] = [0, -0.0, 1, -1, 0.5, -0.5, 0.0001, 0.00004, 0.00005, 123.4567, 99999.99999, 1e10 + 0.25, 2e11, -3e12, 4_294_967_295]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            values.append(Double.random(in: -1e6...1e6, using: &rng))
            values.append(Double.random(in: -1...1, using: &rng))
            values.append(Double(Int.random(in: -100_000...100_000, using: &rng)) / 8)
        }
        let json = JSONText.numbers(values + [nil, .nan, .infinity])
        let expected = "[" + values.map(NumberText.decimal).joined(separator: ",") + ",null,null,null]"
        XCTAssertEqual(json, expected)
        XCTAssertEqual(JSONText.integers([0, -1, 1_419_264_900, Int64.min + 1, Int64.max]),
                       "[0,-1,1419264900,\(Int64.min + 1),\(Int64.max)]")
    }
}
