import Foundation
import XCTest
@testable import Replay

/// A directory of archives as collectors and mirrors publish them: a README, checksums and
/// bgpdump's text beside the MRT files are not read as archives (each would be a "bad header").
final class ArchiveListingTests: XCTestCase {
    func testADirectoryListsItsArchivesOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-list-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["updates.20080219.0015.bz2", "bview.20141222.0000.gz", "rib.20240101.0000", "README.md", "SHA256SUMS.sha256",
                     "updates.20080219.0015.bgpdump.txt", ".hidden", "LICENSE"] {
            FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data([0]))
        }
        XCTAssertEqual(try listFiles(dir.path).map { String(baseName($0)) }.sorted(),
                       ["bview.20141222.0000.gz", "rib.20240101.0000", "updates.20080219.0015.bz2"])
    }
}
