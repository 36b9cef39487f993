import Foundation
import XCTest

/// Options as users write them, and errors that name the command and the mistake.
final class OptionMessageTests: XCTestCase {
    /// AS numbers are written `AS28573` everywhere else in Vigil: options take that, lower case, or the bare number.
    func testASNumbersAsEntitiesAreWritten() throws {
        let f = CLI.fixture("updates.20160811.1600.gz")
        let bare = try CLI.vigil("dump", "--count", "--origin", "28573", f)
        XCTAssertEqual(bare.status, 0, bare.stderr)
        let elements = bare.text.split(separator: "\n").last.flatMap { Int($0.split(separator: " ").last ?? "") }
        XCTAssertGreaterThan(elements ?? 0, 0, bare.text)
        for spelling in ["AS28573", "as28573"] {
            let r = try CLI.vigil("dump", "--count", "--origin", spelling, f)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.text, bare.text, spelling)
        }
        let peer = try CLI.vigil("dump", "--count", "--peer-as", "AS59689", f)
        XCTAssertEqual(peer.status, 0, peer.stderr)
        XCTAssertEqual(peer.text, try CLI.vigil("dump", "--count", "--peer-as", "59689", f).text)
        let bad = try CLI.vigil("dump", "--origin", "ASX", f)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--origin"), bad.stderr)
    }

    /// A prefix with host bits set is refused, naming the prefix the user may have meant.
    func testPrefixWithHostBitsIsRefused() throws {
        let dump = try CLI.vigil("dump", "--prefix", "192.140.253.0/22", CLI.fixture("updates.20160811.1600.gz"))
        XCTAssertEqual(dump.status, 64, dump.stderr)
        XCTAssertTrue(dump.stderr.contains("--prefix 192.140.253.0/22: host bits set after /22 (did you mean 192.140.252.0/22?)"), dump.stderr)
        XCTAssertEqual(dump.text, "")
        let dir = try CLI.tempDir("host-bits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("vigil.db").path
        for args in [["replay", "--updates", CLI.fixture("updates.20020722.2238.gz"), "--entity", "175.45.177.0/22", "--db", db],
                     ["series", "175.45.177.0/22", "--db", db],
                     ["events", "175.45.177.0/22", "--db", db],
                     ["entities", "show", "175.45.177.0/22", "--db", db],
                     // Probing: documentation addresses, never sent to were the check missing.
                     ["probe", "--scan", "192.0.2.1/24"],
                     ["probe", "--target", "192.0.2.1/24", "--rounds", "1", "--timeout", "0.1", "--db", ""],
                     ["probe", "--target", "192.0.2.0/24=192.0.2.1/24", "--rounds", "1", "--timeout", "0.1", "--db", ""],
                     ["probe", "--never", "192.0.2.1/24", "--target", "192.0.2.0/24", "--rounds", "1", "--timeout", "0.1", "--db", ""]] {
            let r = try CLI.run(CLI.vigil, args)
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            let want = args[0] == "probe" ? "192.0.2.1/24: host bits set after /24 (did you mean 192.0.2.0/24?)"
                                          : "175.45.177.0/22: host bits set after /22 (did you mean 175.45.176.0/22?)"
            XCTAssertTrue(r.stderr.contains(want), "\(args): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "nothing stored for a refused entity")
    }

    /// An error found while a subcommand runs shows that subcommand's usage, not the root's.
    func testSubcommandErrorsShowTheSubcommandUsage() throws {
        let r = try CLI.vigil("simulate")
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("Error: name a scenario file or a bundled scenario\nUsage: vigil simulate "), r.stderr)
        XCTAssertTrue(r.stderr.contains("See 'vigil simulate --help' for more information."), r.stderr)
        XCTAssertFalse(r.stderr.contains("vigil <subcommand>"), r.stderr)
    }
}
