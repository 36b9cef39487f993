import Foundation
import XCTest

/// MRT files written by real routing daemons (FRR, BIRD, GoBGP from Debian),
/// read by `vigil dump -m` and by Debian's `bgpdump -m`: the outputs must be identical.
/// BIRD and FRR run ADD-PATH between them, so their files hold ADD-PATH subtypes too.
final class DaemonArchiveTests: XCTestCase {
    func testDaemonWrittenArchivesMatchBgpdump() throws {
        guard getuid() == 0 else {
            return XCTFail("this test starts routing daemons in network namespaces and needs root (run scripts/test.sh as root)")
        }
        let bgpdump = try XCTUnwrap(CLI.which("bgpdump"), "bgpdump is not installed: scripts/test.sh installs it")
        let dir = try CLI.tempDir("daemons")
        defer { try? FileManager.default.removeItem(at: dir) }
        let gen = try CLI.run("/bin/bash", [CLI.packageRoot.appendingPathComponent("scripts/daemon-mrt.sh").path, dir.path])
        XCTAssertEqual(gen.status, 0, "daemon-mrt.sh failed:\n\(gen.text)\n\(gen.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".mrt") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 3, "expected archives from at least three writers, got \(files)")
        var writers = Set<String>()
        for f in files {
            let path = dir.appendingPathComponent(f).path
            let want = try CLI.run(bgpdump, ["-q", "-m", path])
            let got = try CLI.vigil("dump", "-m", path)
            // Daemons write a few records RFC 6396 does not allow (FRR: STATE_CHANGE records
            // without addresses for deleted peers). bgpdump skips them silently; Vigil prints
            // the same lines and reports each one in the usual form.
            for line in got.stderr.split(separator: "\n") {
                XCTAssertTrue(line.hasPrefix("vigil: \(path): offset ") && line.contains(": malformed record: "), "\(f): \(line)")
            }
            XCTAssertEqual(got.status, got.stderr.isEmpty ? 0 : 1, "\(f)")
            XCTAssertFalse(want.stdout.isEmpty, "\(f): bgpdump printed nothing")
            XCTAssertEqual(got.text, want.text, "\(f): vigil and bgpdump differ")
            writers.insert(String(f.prefix { $0 != "-" }))
            // BIRD's mrtdump writes the UPDATEs FRR sends with path identifiers as BGP4MP_MESSAGE_AS4_ADDPATH.
            if f == "bird-messages.mrt" { XCTAssertTrue(want.text.contains("\nBGP4MP_AP|"), "\(f): no ADD-PATH records") }
        }
        XCTAssertGreaterThanOrEqual(writers.count, 3, "writers: \(writers)")
    }
}
