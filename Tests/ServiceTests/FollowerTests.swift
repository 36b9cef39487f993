import BGPWire
import Foundation
import NIOConcurrencyHelpers
import Logging
import Replay
import Simulator
import XCTest

/// The archive follower on a folder the test writes into, as a mirror would.
final class FollowerTests: XCTestCase {
    /// A small world's RIB and updates files (real MRT, RIS names), written aside.
    func world() throws -> (dir: URL, rib: String, updates: [String]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-follow-src-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var g = Generator(try Scenario(toml: BundledScenarios.northKorea2014, file: "north-korea-2014"))
        let out = try g.write(to: dir.path)
        return (dir, out.rib, out.updates)
    }

    func testFeedsTheRIBThenNewFilesInOrderAndSkipsLateOnes() throws {
        let w = try world()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-follow-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(at: w.dir)
            try? FileManager.default.removeItem(at: folder)
        }
        func put(_ path: String) throws {
            try FileManager.default.copyItem(atPath: path, toPath: folder.appendingPathComponent((path as NSString).lastPathComponent).path)
        }
        // The folder holds the RIB and the first two updates files; a half-written file hides as a dot-file.
        try put(w.rib)
        try put(w.updates[0])
        try put(w.updates[1])
        try Data([1, 2, 3]).write(to: folder.appendingPathComponent(".updates.20141218.0010.gz.tmp"))

        var options = ArchiveFollower.Options()
        options.poll = 0.2
        options.settle = 0
        options.start = ArchiveName(path: w.rib).time
        let follower = ArchiveFollower(origin: .folder(folder.path), options: options)
        let logs = NIOLockedValueBox([String]())
        follower.logger = Logger(label: "test") { _ in RecordingLogHandler { m in logs.withLockedValue { $0.append(m) } } }
        let got = NIOLockedValueBox([(kind: ElementKind, time: UInt32)]())
        follower.start { batch in got.withLockedValue { $0 += batch.map { ($0.kind, $0.timestamp) } } }
        defer { follower.stop() }

        func waitFiles(_ n: Int) {
            let until = Date().addingTimeInterval(20)
            while follower.snapshot().files < n && Date() < until { usleep(50_000) }
        }
        waitFiles(3)
        var s = follower.snapshot()
        XCTAssertEqual(s.files, 3, "the RIB and two updates files: \(logs.withLockedValue { $0 })")
        let ribCount = got.withLockedValue { $0.filter { $0.kind == .rib }.count }
        XCTAssertGreaterThan(ribCount, 1000, "the RIB's routes first")
        XCTAssertEqual(got.withLockedValue { $0.first?.kind }, .rib)

        // A mirror publishes the next files: they are fed, in order.
        try put(w.updates[3])
        try put(w.updates[2])
        waitFiles(5)
        s = follower.snapshot()
        XCTAssertEqual(s.files, 5)
        XCTAssertEqual(s.lastFile.map { ($0 as NSString).lastPathComponent }, (w.updates[3] as NSString).lastPathComponent)
        let times = got.withLockedValue { $0.filter { $0.kind != .rib }.map(\.time) }
        XCTAssertEqual(times, times.sorted(), "updates in time order")
        XCTAssertEqual(s.dataTime, ArchiveName(path: w.updates[3]).time.map { $0 + 300 }, "data as of the end of the newest file's period")

        // A file older than what was fed appears late: reported and skipped, never fed out of order.
        let before = got.withLockedValue { $0.count }
        try FileManager.default.moveItem(at: folder.appendingPathComponent((w.updates[1] as NSString).lastPathComponent),
                                         to: folder.appendingPathComponent("old").appendingPathExtension("x"))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("late"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: w.updates[1], toPath: folder.appendingPathComponent("late/" + (w.updates[1] as NSString).lastPathComponent).path)
        let until = Date().addingTimeInterval(10)
        while !logs.withLockedValue({ $0.contains { $0.contains("appeared after newer files were fed: skipped") } }) && Date() < until { usleep(50_000) }
        XCTAssertTrue(logs.withLockedValue { $0.contains { $0.contains("late/") && $0.contains("skipped") } }, "\(logs.withLockedValue { $0 })")
        XCTAssertEqual(got.withLockedValue { $0.count }, before)
        XCTAssertEqual(follower.snapshot().files, 5)
    }

    func testAMissingFolderIsReportedAndUnreachableNotEmpty() throws {
        var options = ArchiveFollower.Options()
        options.poll = 0.1
        let follower = ArchiveFollower(origin: .folder("/nonexistent/vigil-follow"), options: options)
        let logs = NIOLockedValueBox([String]())
        follower.logger = Logger(label: "test") { _ in RecordingLogHandler { m in logs.withLockedValue { $0.append(m) } } }
        follower.start { _ in XCTFail("nothing to feed") }
        let until = Date().addingTimeInterval(5)
        while follower.snapshot().reachable && Date() < until { usleep(20_000) }
        follower.stop()
        XCTAssertFalse(follower.snapshot().reachable)
        XCTAssertEqual(logs.withLockedValue { $0.filter { $0.contains("no such directory") }.count }, 1, "said once, not every poll")
    }

    /// A mirror over HTTP in the RIS layout (a local server the test starts): the RIB at the
    /// start, the updates files the mirror has, and the next one once it is published.
    func testFollowsAMirrorInTheRISLayout() throws {
        let w = try world()
        let mirror = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-mirror-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let cache = mirror.appendingPathExtension("cache")
        let month = mirror.appendingPathComponent("rrc00/2014.12")
        try FileManager.default.createDirectory(at: month, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(at: w.dir)
            try? FileManager.default.removeItem(at: mirror)
            try? FileManager.default.removeItem(at: cache)
        }
        func publish(_ path: String) throws {
            try FileManager.default.copyItem(atPath: path, toPath: month.appendingPathComponent((path as NSString).lastPathComponent).path)
        }
        try publish(w.rib)
        for u in w.updates.prefix(3) { try publish(u) }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("VigilTests/Fixtures/range_server.py").path
        server.arguments = ["python3", script, mirror.path]
        let out = Pipe()
        server.standardOutput = out
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        var line = Data()
        while !line.contains(10) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        let port = try XCTUnwrap(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))

        var options = ArchiveFollower.Options()
        options.poll = 0.3
        options.start = ArchiveName(path: w.rib).time
        let layout = try XCTUnwrap(ArchiveLayout(collector: "rrc00", mirror: "http://127.0.0.1:\(port)"))
        let follower = ArchiveFollower(origin: .mirror(layout, cache: cache.path), options: options)
        let got = NIOLockedValueBox(0)
        follower.start { batch in got.withLockedValue { $0 += batch.count } }
        defer { follower.stop() }
        func waitFiles(_ n: Int) {
            let until = Date().addingTimeInterval(20)
            while follower.snapshot().files < n && Date() < until { usleep(50_000) }
        }
        waitFiles(4)
        XCTAssertEqual(follower.snapshot().files, 4, "the RIB and the three published updates files")
        XCTAssertTrue(follower.snapshot().reachable)
        XCTAssertGreaterThan(got.withLockedValue { $0 }, 1000)
        try publish(w.updates[3])
        waitFiles(5)
        XCTAssertEqual(follower.snapshot().lastFile.map { ($0 as NSString).lastPathComponent }, (w.updates[3] as NSString).lastPathComponent)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache.appendingPathComponent("rrc00/2014.12/\((w.updates[3] as NSString).lastPathComponent)").path),
                      "kept in the cache, as vigil fetch keeps it")
    }
}
