import Foundation
import XCTest

/// Runs the built `vigil` (and other programs) as a user would.
enum CLI {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The `vigil` binary beside the test bundle (scripts/test.sh builds it first),
    /// or $VIGIL_BIN (to run the tests against another build, e.g. to see a test fail before a fix).
    static var vigil: String {
        if let bin = ProcessInfo.processInfo.environment["VIGIL_BIN"] { return bin }
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("vigil"), dir.deletingLastPathComponent().appendingPathComponent("vigil")] {
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
        }
        return dir.appendingPathComponent("vigil").path
    }

    static func fixture(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/MRTTests/Fixtures/\(name)").path
    }

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    @discardableResult
    static func run(_ exe: String, _ args: [String], stdin: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        // Standard output goes to a file, so a large output can never block the child.
        let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-out-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        defer { unlink(outPath) }
        let out = try XCTUnwrap(FileHandle(forWritingAtPath: outPath))
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        if let s = stdin { p.standardInput = FileHandle(forReadingAtPath: s) }
        try p.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try out.close()
        let outData = FileManager.default.contents(atPath: outPath) ?? Data()
        return Result(status: p.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }

    static func vigil(_ args: String...) throws -> Result { try run(vigil, args) }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func gunzip(_ path: String) throws -> Data {
        try run("/bin/gzip", ["-dc", path]).stdout
    }

    static func tempDir(_ name: String) throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }
}
