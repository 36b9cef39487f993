import BGPWire
import Foundation
import MRT
import XCTest

/// `vigil collect` as an operator runs it: its configuration errors, a live
/// outage raised from a real BIRD's withdrawal, RIB snapshots, status, and a
/// kill -9 in the middle of heavy updates.
final class CollectCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-collect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let p = dir.appendingPathComponent(name).path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func testConfigErrorsNameTheLineAndKey() throws {
        let cases: [(String, String)] = [
            ("[collector]\nlocal_as = 65000\nlisten = \":1790\"\nhold_tme = 30\n", ":4: collector.hold_tme: unknown key"),
            ("[collector]\nlisten = \":1790\"\n\n[[peer]]\naddress = \"10.0.0.1\"\n\n[[peer]]\naddress = \"10.0.0.300\"\n", ":8: peer.2.address: '10.0.0.300' is not an IP address"),
            ("[collector]\nlisten = \"nowhere\"\n", ":2: collector.listen: 'nowhere' is not HOST:PORT"),
            ("[collector]\nlisten = \":1790\"\n[detect]\nwatch = [\"AS1\", \"Atlantis\"]\n", ":4: detect.watch: 'Atlantis' is not a country code"),
            ("[collector]\nlisten = \":1790\"\nhold_time = 2\n", ":3: collector.hold_time: must be 0 or at least 3"),
            ("[[peer]]\naddress = \"10.0.0.1\"\nmode = \"active\"\n", ":1: peer.1: an active peer needs 'as'"),
            ("[collector\n", ":1:"),
            ("[archive]\nupdates_interval = \"5 minutes\"\n", ":2: archive.updates_interval: must be seconds or a duration"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = try write("bad\(i).toml", text)
            let r = try CLI.vigil("collect", "--config", path, "--check")
            XCTAssertEqual(r.status, 2, "case \(i): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(path + expected), "case \(i): expected '\(expected)' in: \(r.stderr)")
        }
        let good = try write("good.toml", """
            [collector]
            name = "rrc-test"
            local_as = 65000
            router_id = "192.0.2.1"
            listen = ["127.0.0.1:1790", "[::1]:1790"]

            [[peer]]
            address = "192.0.2.2"
            as = 65001
            mode = "active"

            [archive]
            updates_interval = "5m"
            rib_interval = "8h"

            [detect]
            watch = ["KP", "AS131279", "175.45.176.0/22"]
            """)
        let r = try CLI.vigil("collect", "--config", good, "--check")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.text.contains("OK: 1 peers, listening on 2 addresses"), r.text)
    }
}
