import Foundation
import XCTest

/// `[process] user`: Vigil opens its listening socket and raw ICMP sockets as root, then runs
/// as the user — no capability left — while the BGP session, probing and the archive go on.
final class CollectPrivilegeTests: XCTestCase {
    func testRunsAsTheConfiguredUserAfterOpeningSockets() throws {
        guard getuid() == 0 else { return XCTFail("needs root for namespaces, raw sockets and a user to become (run scripts/test.sh as root)") }
        guard CLI.which("bird") != nil else { return XCTFail("bird2 is needed: scripts/test.sh installs it") }
        let user = "vigil-test"
        if try CLI.run("/usr/bin/id", ["-u", user]).status != 0 {
            XCTAssertEqual(try CLI.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user]).status, 0)
        }
        let uid = try XCTUnwrap(Int(try CLI.run("/usr/bin/id", ["-u", user]).text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let gid = try XCTUnwrap(Int(try CLI.run("/usr/bin/id", ["-g", user]).text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let lab = try BIRDLab("collect-user", tag: "pu", subnet: "10.214", port: 17905)
        defer { lab.remove() }
        // The operator's part: the folder Vigil writes belongs to the user it runs as.
        XCTAssertEqual(try CLI.run("/bin/chown", [user, lab.dir.path]).status, 0)
        let target = "10.94.\((Int(getpid()) % 60) * 4).0/24"
        try lab.answer(target)
        try lab.writeBIRD(routes: [(target, 65040)])
        let archive = lab.path("archive")
        let config = lab.path("vigil.toml")
        try (lab.collectorTOML(name: "user") + """

            [archive]
            directory = "\(archive)"

            [store]
            database = "\(lab.path("vigil.sqlite"))"
            status_file = "\(lab.path("status.json"))"

            [probe]
            rate = 1000
            round = "1s"
            timeout = 0.5

            [[probe.target]]
            prefix = "\(target)"
            entity = "AS65040"

            [process]
            user = "\(user)"
            """).write(toFile: config, atomically: true, encoding: .utf8)
        lab.vigil = try Background(["collect", "--config", config], in: lab.dir)
        try lab.startBIRD()
        let vigil = lab.vigil
        waitFor("the drop to \(user)", seconds: 20) { vigil!.stderr.contains("running as \(user)") }

        // The kernel's word: every uid is the user's, every gid its group's, no capability left.
        let status = try String(contentsOfFile: "/proc/\(vigil!.process.processIdentifier)/status", encoding: .utf8)
        func field(_ name: String) -> [String] {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map { $0.split(separator: "\t").dropFirst().map(String.init) } ?? []
        }
        XCTAssertEqual(field("Uid"), Array(repeating: "\(uid)", count: 4), status)
        XCTAssertEqual(field("Gid"), Array(repeating: "\(gid)", count: 4), status)
        XCTAssertEqual(field("Groups").map { $0.trimmingCharacters(in: .whitespaces) }, ["\(gid)"], status)
        XCTAssertEqual(field("CapEff"), ["0000000000000000"], status)
        XCTAssertEqual(field("CapPrm"), ["0000000000000000"], status)

        // What needed root keeps working: the session on the socket opened before, probing on the raw sockets.
        waitFor("the session established as \(user)") { lab.established(config: config) }
        let rounds = vigil!.stderr.components(separatedBy: "probe round").count
        waitFor("probe rounds answered as \(user)", seconds: 20) {
            vigil!.stderr.components(separatedBy: "probe round").count >= rounds + 3 && vigil!.stderr.contains("1/1 answered")
        }
        vigil!.stop()
        XCTAssertEqual(vigil!.process.terminationStatus, 0, vigil!.stderr)
        // The archive it wrote is the user's and whole.
        let files = try FileManager.default.contentsOfDirectory(atPath: archive + "/user").filter { $0.hasPrefix("updates.") }
        XCTAssertFalse(files.isEmpty)
        for f in files {
            let attrs = try FileManager.default.attributesOfItem(atPath: archive + "/user/" + f)
            XCTAssertEqual((attrs[.ownerAccountID] as? NSNumber)?.intValue, uid, f)
            XCTAssertEqual(try CLI.vigil("dump", "--count", archive + "/user/" + f).status, 0, f)
        }
    }
}
