import Foundation
import XCTest

/// Several processes, one PostgreSQL: `vigil replay` writers at once under different vantage
/// points (entities, partitions and vantage points made concurrently), then a reader process that
/// sees each vantage point's series whole, and their combination.
final class SharedPostgresTests: XCTestCase {
    /// The `vigil` binary built beside the test bundle.
    var vigil: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for c in [dir.appendingPathComponent("vigil"), dir.deletingLastPathComponent().appendingPathComponent("vigil")]
        where FileManager.default.isExecutableFile(atPath: c.path) { return c.path }
        return dir.appendingPathComponent("vigil").path
    }

    func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: vigil)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func output(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: vigil)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, args.joined(separator: " "))
        return String(decoding: data, as: UTF8.self)
    }

    func testThreeWritersAtOnceThenAReader() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-shared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sim = dir.appendingPathComponent("sim").path, updates = dir.appendingPathComponent("updates").path
        let s = try start(["simulate", "north-korea-2014", "--out", sim])
        s.waitUntilExit()
        XCTAssertEqual(s.terminationStatus, 0)
        try FileManager.default.createDirectory(atPath: updates, withIntermediateDirectories: true)
        var rib = ""
        for f in try FileManager.default.contentsOfDirectory(atPath: sim) {
            if f.hasPrefix("bview") { rib = "\(sim)/\(f)" } else { try FileManager.default.moveItem(atPath: "\(sim)/\(f)", toPath: "\(updates)/\(f)") }
        }
        let url = try PostgresLab.database()
        let reference = dir.appendingPathComponent("reference.db").path
        let writers = try ["ams", "sjc", "nrt"].map { try start(["replay", "--rib", rib, "--updates", updates, "--db", url, "--vantage", $0]) }
            + [try start(["replay", "--rib", rib, "--updates", updates, "--db", reference])]
        for w in writers { w.waitUntilExit() }
        XCTAssertEqual(writers.map(\.terminationStatus), [0, 0, 0, 0])

        let alone = try output(["series", "AS131279", "--db", reference, "--format", "csv", "--signal", "routed_v4", "--signal", "announcements"])
        XCTAssertGreaterThan(alone.split(separator: "\n").count, 2000)
        for vp in ["ams", "sjc", "nrt"] {
            XCTAssertEqual(try output(["series", "AS131279", "--db", url, "--vantage", vp, "--format", "csv", "--signal", "routed_v4", "--signal", "announcements"]),
                           alone, "\(vp): every bin, once, as one writer alone stores it")
        }
        // Combined: the same routed space, three times the announcements.
        let combined = try output(["series", "AS131279", "--db", url, "--format", "csv", "--signal", "routed_v4", "--signal", "announcements"])
        let tripled = alone.split(separator: "\n").enumerated().map { i, line -> String in
            guard i > 0 else { return String(line) }
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[f.count - 1] = String(Int(Double(f[f.count - 1])! * 3))
            return f.joined(separator: ",")
        }
        XCTAssertEqual(combined.split(separator: "\n").map(String.init), tripled)
    }
}
