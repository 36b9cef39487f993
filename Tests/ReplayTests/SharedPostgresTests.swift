import Foundation
import XCTest

/// Several processes, one PostgreSQL: `vigil replay` writers at once under different vantage
/// points (entities, partitions and vantage points made concurrently), then a reader process that
/// sees each vantage point's series whole, and their combination.
final class SharedPostgresTests: XCTestCase {
    /// The `vigil` binary built beside the test bundle.
    static var vigil: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for c in [dir.appendingPathComponent("vigil"), dir.deletingLastPathComponent().appendingPathComponent("vigil")]
        where FileManager.default.isExecutableFile(atPath: c.path) { return c.path }
        return dir.appendingPathComponent("vigil").path
    }

    static func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: vigil)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func output(_ args: [String]) throws -> String {
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
        let s = try SharedPostgresTests.start(["simulate", "north-korea-2014", "--out", sim])
        s.waitUntilExit()
        XCTAssertEqual(s.terminationStatus, 0)
        try FileManager.default.createDirectory(atPath: updates, withIntermediateDirectories: true)
        var rib = ""
        for f in try FileManager.default.contentsOfDirectory(atPath: sim) {
            if f.hasPrefix("bview") { rib = "\(sim)/\(f)" } else { try FileManager.default.moveItem(atPath: "\(sim)/\(f)", toPath: "\(updates)/\(f)") }
        }
        let url = try PostgresLab.database()
        let reference = dir.appendingPathComponent("reference.db").path
        let writers = try ["ams", "sjc", "nrt"].map { try SharedPostgresTests.start(["replay", "--rib", rib, "--updates", updates, "--db", url, "--vantage", $0]) }
            + [try SharedPostgresTests.start(["replay", "--rib", rib, "--updates", updates, "--db", reference])]
        for w in writers { w.waitUntilExit() }
        XCTAssertEqual(writers.map(\.terminationStatus), [0, 0, 0, 0])

        let alone = try SharedPostgresTests.output(["series", "AS131279", "--db", reference, "--format", "csv", "--signal", "routed_v4", "--signal", "announcements"])
        XCTAssertGreaterThan(alone.split(separator: "\n").count, 2000)
        for vp in ["ams", "sjc", "nrt"] {
            XCTAssertEqual(try SharedPostgresTests.output(["series", "AS131279", "--db", url, "--vantage", vp, "--format", "csv", "--signal", "routed_v4", "--signal", "announcements"]),
                           alone, "\(vp): every bin, once, as one writer alone stores it")
        }
        // Combined: the same routed space, three times the announcements.
        let combined = try SharedPostgresTests.output(["series", "AS131279", "--db", url, "--format", "csv", "--signal", "routed_v4", "--signal", "announcements"])
        let tripled = alone.split(separator: "\n").enumerated().map { i, line -> String in
            guard i > 0 else { return String(line) }
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[f.count - 1] = String(Int(Double(f[f.count - 1])! * 3))
            return f.joined(separator: ",")
        }
        XCTAssertEqual(combined.split(separator: "\n").map(String.init), tripled)
    }
}

/// Two `vigil serve` processes with different vantage-point names follow their collectors' archives
/// into one PostgreSQL at once; a third process reads each one's events and what they agree on.
final class SharedServeTests: XCTestCase {
    func testTwoServesWriteOneReadsTheCombinedEvents() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-serves-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sim = dir.appendingPathComponent("sim").path
        let s = try SharedPostgresTests.start(["simulate", "north-korea-2014", "--out", sim])
        s.waitUntilExit()
        XCTAssertEqual(s.terminationStatus, 0)
        // ams sees the whole week; sjc's collector stops publishing on 23 December: it sees only the first outages.
        let files = try FileManager.default.contentsOfDirectory(atPath: sim).sorted()
        let cutoff = "20141223.0000"
        let url = try PostgresLab.database()
        var serves: [Process] = []
        var ends: [(String, Int64)] = []
        let stamp = DateFormatter()
        stamp.dateFormat = "yyyyMMdd.HHmm"
        stamp.timeZone = TimeZone(identifier: "UTC")
        for (vp, keep) in [("ams", { (_: String) in true }), ("sjc", { (f: String) in f.hasPrefix("bview") || f.split(separator: ".")[1...2].joined(separator: ".") < cutoff })] {
            let folder = dir.appendingPathComponent(vp).path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for f in files where keep(f) { try FileManager.default.copyItem(atPath: "\(sim)/\(f)", toPath: "\(folder)/\(f)") }
            // The last file's time, less a few bins (the last bins close when the observatory stops).
            let last = try XCTUnwrap(files.filter(keep).last.flatMap { stamp.date(from: $0.split(separator: ".")[1...2].joined(separator: ".")) })
            ends.append((vp, Int64(last.timeIntervalSince1970) - 900))
            let config = dir.appendingPathComponent("\(vp).toml").path
            try """
                [[follow]]
                folder = "\(folder)"
                collector = "sim"
                start = "2014-12-18T00:00Z"
                poll = "1s"

                [archive]
                directory = ""

                [store]
                url = "\(url)"
                vantage = "\(vp)"
                status_file = ""

                [detect]
                watch = ["AS131279"]

                [metrics]
                listen = "127.0.0.1:0"
                """.write(toFile: config, atomically: true, encoding: .utf8)
            serves.append(try SharedPostgresTests.start(["serve", "--config", config]))
        }
        // Each has stored its last bin: the end of its files.
        let store = try BlockingStore.open(url)
        let deadline = Date().addingTimeInterval(300)
        for (vp, end) in ends {
            while Date() < deadline, (try? store.series(entity: "AS131279", vantage: vp, from: end, until: nil).isEmpty) ?? true {
                Thread.sleep(forTimeInterval: 1)
            }
            XCTAssertFalse(try store.series(entity: "AS131279", vantage: vp, from: end, until: nil).isEmpty, "\(vp) followed its files to the end")
        }
        for p in serves { kill(p.processIdentifier, SIGTERM) }
        for p in serves { p.waitUntilExit() }
        XCTAssertEqual(serves.map(\.terminationStatus), [0, 0])

        func events(_ args: [String]) throws -> [[String: Any]] {
            try SharedPostgresTests.output(["events", "--db", url, "--format", "json"] + args).split(separator: "\n").map {
                try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
        let ams = try events(["AS131279", "--vantage", "ams"]), sjc = try events(["AS131279", "--vantage", "sjc"])
        XCTAssertEqual(ams.filter { $0["kind"] as? String == "outage" }.count, 4, "the reconstruction's four outages: \(ams)")
        XCTAssertTrue(ams.allSatisfy { $0["vantage"] as? String == "ams" })
        XCTAssertTrue(sjc.allSatisfy { ($0["start"] as? String ?? "") < "2014-12-23" }, "sjc saw nothing after its files ended")
        XCTAssertGreaterThan(sjc.count, 0)
        XCTAssertLessThan(sjc.count, ams.count)
        // Stopping is a gap: every event sjc left open ended as "observation stopped", none as a recovery at the stop.
        for e in sjc where e["end"] is NSNull { XCTFail("sjc left an event open: \(e)") }

        let all = try events(["AS131279"])
        XCTAssertEqual(all.count, ams.count + sjc.count, "both vantage points' events, neither replacing the other")
        let agreed = try events(["AS131279", "--agree", "2"])
        XCTAssertEqual(agreed.count, sjc.filter { e in ams.contains { $0["kind"] as? String == e["kind"] as? String && $0["start"] as? String == e["start"] as? String } }.count,
                       "what both saw: \(agreed)")
        XCTAssertTrue(agreed.allSatisfy { $0["seen_by"] as? [String] == ["ams", "sjc"] }, "\(agreed)")
        XCTAssertTrue(agreed.allSatisfy { $0["vantage"] == nil })

        // Feed health, per vantage point: each one's follower, recorded as stopped when its observatory stopped.
        let health = try store.sourceHealth(vantage: nil)
        XCTAssertEqual(health.map { "\($0.vantage) \($0.source) \($0.state.rawValue)" }, ["ams follow sim down", "sjc follow sim down"])
        XCTAssertTrue(health.allSatisfy { $0.detail == "observatory stopped" && $0.lastData != nil })
    }
}

/// `kill -9` in the middle of a replay into PostgreSQL (as StoreCrashTests does for SQLite): what
/// was committed reads back as whole bins, and the same replay again completes it.
final class PostgresCrashTests: XCTestCase {
    func testAReplayKilledMidWriteReadsBackAndARerunCompletesIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-pg-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sim = dir.appendingPathComponent("sim").path, updates = dir.appendingPathComponent("updates").path
        let s = try SharedPostgresTests.start(["simulate", "north-korea-2014", "--out", sim])
        s.waitUntilExit()
        try FileManager.default.createDirectory(atPath: updates, withIntermediateDirectories: true)
        var rib = ""
        for f in try FileManager.default.contentsOfDirectory(atPath: sim) {
            if f.hasPrefix("bview") { rib = "\(sim)/\(f)" } else { try FileManager.default.moveItem(atPath: "\(sim)/\(f)", toPath: "\(updates)/\(f)") }
        }
        let replay = { (db: String) in ["replay", "--rib", rib, "--updates", updates, "--db", db] }
        let reference = dir.appendingPathComponent("reference.db").path, url = try PostgresLab.database()
        let r = try SharedPostgresTests.start(replay(reference))
        r.waitUntilExit()
        XCTAssertEqual(r.terminationStatus, 0)
        func series(_ entity: String, _ db: String) throws -> [String] {
            Array(try SharedPostgresTests.output(["series", entity, "--db", db, "--format", "csv"]).split(separator: "\n").dropFirst().map(String.init))
        }
        let whole = try series("AS131279", reference)
        XCTAssertGreaterThan(whole.count, 2000)

        let p = try SharedPostgresTests.start(replay(url))
        let store = try BlockingStore.open(url)
        let deadline = Date().addingTimeInterval(120)
        var seen = 0
        while p.isRunning, Date() < deadline {
            seen = (try? store.series(entity: "AS131279", from: nil, until: nil).count) ?? 0
            if seen >= 100 { break }
            usleep(20_000)
        }
        XCTAssertTrue(p.isRunning, "the replay ended before it could be killed (\(seen) bins seen)")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)

        let partial = try series("AS131279", url)
        XCTAssertGreaterThanOrEqual(partial.count, 100)
        XCTAssertLessThan(partial.count, whole.count)
        XCTAssertEqual(partial, Array(whole.prefix(partial.count)), "what was committed before the kill reads back as written")

        let again = try SharedPostgresTests.start(replay(url))
        again.waitUntilExit()
        XCTAssertEqual(again.terminationStatus, 0)
        for entity in ["AS131279", "AS10000", "AS10107"] {
            XCTAssertEqual(try series(entity, url), try series(entity, reference), "\(entity): the re-run completes the series")
        }
    }
}
