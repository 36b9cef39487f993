import Foundation
import XCTest

/// The real receivers the delivery tests talk to, on loopback: the recording HTTP receiver
/// (Fixtures/alert_receiver.py) and Debian's Prometheus Alertmanager, each a child process
/// stopped by `stop()`.
final class Child {
    let process = Process()
    init(_ path: String, _ args: [String], log: String) throws {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
    }
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

enum Receivers {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The recording receiver: each request a JSON line in `file`.
    static func http(port: Int, file: String, dir: URL) throws -> Child {
        let c = try Child("/usr/bin/env", ["python3", fixtures.appendingPathComponent("alert_receiver.py").path, "\(port)", file],
                          log: dir.appendingPathComponent("receiver-\(port).log").path)
        try waitFor("the receiver on port \(port)", seconds: 10) { get("http://127.0.0.1:\(port)/") != nil }
        return c
    }

    /// Prometheus Alertmanager (Debian's prometheus-alertmanager), alone: no cluster, a receiver that does nothing.
    static func alertmanager(port: Int, dir: URL) throws -> Child {
        let bin = "/usr/bin/prometheus-alertmanager"
        guard FileManager.default.isExecutableFile(atPath: bin) else {
            XCTFail("\(bin) is missing: scripts/test.sh installs prometheus-alertmanager")
            throw CancellationError()
        }
        let conf = dir.appendingPathComponent("alertmanager.yml").path
        try "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let c = try Child(bin, ["--config.file=\(conf)", "--storage.path=\(dir.appendingPathComponent("am-data").path)",
                                "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address="],
                          log: dir.appendingPathComponent("alertmanager.log").path)
        try waitFor("Alertmanager on port \(port)", seconds: 20) { get("http://127.0.0.1:\(port)/api/v2/status") != nil }
        return c
    }

    /// The lines the recording receiver wrote.
    static func received(_ file: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// GET with curl (nil: no answer).
    static func get(_ url: String) -> String? {
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-f", "-m", "3", url]
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    static func waitFor(_ what: String, seconds: Double, _ ok: () throws -> Bool) throws {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try ok() { return }
            usleep(100_000)
        }
        XCTFail("timed out after \(seconds) s waiting for \(what)")
        throw CancellationError()
    }
}
