import Foundation
import XCTest

/// A real PostgreSQL 15 for the store tests: a cluster of its own (initdb) in a temporary directory,
/// listening on 127.0.0.1 at a private port, started once for the test run and stopped when the
/// test process exits. scripts/test.sh installs Debian's postgresql-15; without it the tests fail,
/// never skip. As root, the server runs as the `postgres` user (it refuses to run as root).
final class PostgresLab: @unchecked Sendable {
    static let shared: Result<PostgresLab, any Error> = Result { try PostgresLab() }

    let bin = "/usr/lib/postgresql/15/bin"
    let dir: String
    let port: Int

    /// A fresh, empty database's URL.
    static func database() throws -> String {
        let lab = try shared.get()
        let name = "vigil_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        try lab.run("\(lab.bin)/psql", ["-h", "127.0.0.1", "-p", "\(lab.port)", "-U", "vigil", "-d", "postgres", "-qc", "CREATE DATABASE \(name)"])
        return "postgres://vigil@127.0.0.1:\(lab.port)/\(name)"
    }

    private init() throws {
        guard FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") else {
            throw NSError(domain: "postgres-lab", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "PostgreSQL 15 is not installed (\(bin)/initdb): scripts/test.sh installs postgresql-15"])
        }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A port from the kernel: bind to 0, read it, close (the server takes it a moment later).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: a.sin_port))
        close(fd)
        if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", dir]) }
        try run("\(bin)/initdb", ["-D", "\(dir)/data", "-A", "trust", "-U", "vigil", "-E", "UTF8", "--no-sync"], asServer: true)
        try run("\(bin)/pg_ctl", ["-D", "\(dir)/data", "-l", "\(dir)/log", "-w", "-t", "60",
                                  "-o", "-p \(port) -k \(dir) -c listen_addresses=127.0.0.1 -c fsync=off", "start"], asServer: true)
        PostgresLab.stopAtExit = { [dir, bin] in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: getuid() == 0 ? "/usr/sbin/runuser" : "\(bin)/pg_ctl")
            p.arguments = (getuid() == 0 ? ["-u", "postgres", "--", "\(bin)/pg_ctl"] : []) + ["-D", "\(dir)/data", "-m", "immediate", "stop"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try? p.run()
            p.waitUntilExit()
            try? FileManager.default.removeItem(atPath: dir)
        }
        atexit { PostgresLab.stopAtExit?() }
    }

    nonisolated(unsafe) static var stopAtExit: (() -> Void)?

    /// Runs a program (as the `postgres` user when root and `asServer`), failing with its output. Spawned
    /// directly and waited for with waitpid: the server pg_ctl leaves running must not inherit anything
    /// Foundation's Process watches, or the wait would never end.
    func run(_ exe: String, _ args: [String], asServer: Bool = false) throws {
        let argv = asServer && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", exe] + args : [exe] + args
        let outPath = "\(dir)/run-\(UUID().uuidString).out"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cargs, environ)
        guard rc == 0 else { throw NSError(domain: "postgres-lab", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot run \(argv[0])"]) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw NSError(domain: "postgres-lab", code: Int(status), userInfo: [NSLocalizedDescriptionKey: "\(argv.joined(separator: " ")): \(text)"])
        }
    }
}
