import Foundation
import XCTest

/// `kill -9` in the middle of a replay: the database reads back (whole bins, nothing torn), and
/// running the same replay again completes it, to the same series a replay never stopped writes.
final class StoreCrashTests: XCTestCase {
    func testAReplayKilledMidWriteReadsBackAndARerunCompletesIt() throws {
        let dir = try CLI.tempDir("store-crash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sim = dir.appendingPathComponent("sim").path, updates = dir.appendingPathComponent("updates").path
        XCTAssertEqual(try CLI.vigil("simulate", "north-korea-2014", "--out", sim).status, 0)
        // The RIB apart from the updates directory, as a collector publishes them.
        try FileManager.default.createDirectory(atPath: updates, withIntermediateDirectories: true)
        var rib = ""
        for f in try FileManager.default.contentsOfDirectory(atPath: sim) {
            if f.hasPrefix("bview") { rib = "\(sim)/\(f)" } else { try FileManager.default.moveItem(atPath: "\(sim)/\(f)", toPath: "\(updates)/\(f)") }
        }
        let replay = { (db: String) in ["replay", "--rib", rib, "--updates", updates, "--db", db] }
        let reference = dir.appendingPathComponent("reference.db").path, crashed = dir.appendingPathComponent("crashed.db").path
        XCTAssertEqual(try CLI.run(CLI.vigil, replay(reference)).status, 0)
        let whole = try series("AS131279", reference)
        XCTAssertGreaterThan(whole.count, 2000, "the simulated week, bin by bin")

        // Killed once some bins are in, well before the end.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.vigil)
        p.arguments = replay(crashed)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        var seen = 0
        while p.isRunning, Date() < deadline {
            seen = (try? series("AS131279", crashed).count) ?? 0
            if seen >= 100 { break }
            usleep(20_000)
        }
        XCTAssertTrue(p.isRunning, "the replay ended before it could be killed (\(seen) bins seen)")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)

        let partial = try series("AS131279", crashed)
        XCTAssertGreaterThanOrEqual(partial.count, 100)
        XCTAssertLessThan(partial.count, whole.count)
        XCTAssertEqual(partial, Array(whole.prefix(partial.count)), "what was written before the kill reads back as written")

        XCTAssertEqual(try CLI.run(CLI.vigil, replay(crashed)).status, 0)
        for entity in ["AS131279", "AS10000", "AS10107"] {
            XCTAssertEqual(try series(entity, crashed), try series(entity, reference), "\(entity): the re-run completes the series")
        }
    }

    /// The series' CSV lines (one per bin), header left out.
    func series(_ entity: String, _ db: String) throws -> [String] {
        let r = try CLI.vigil("series", entity, "--db", db, "--format", "csv")
        guard r.status == 0 else { throw NSError(domain: "series", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
        return Array(r.text.split(separator: "\n").dropFirst().map(String.init))
    }
}
