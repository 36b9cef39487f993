import Foundation
import XCTest

/// TCP MD5 signatures (RFC 2385) and GTSM (RFC 5082) against a real BIRD in a namespace: the
/// right password establishes; a wrong or missing one never does (the kernel drops the
/// segments); TTL security lets through only a peer that sends at TTL 255.
final class CollectSignatureTests: XCTestCase {
    func testMD5AndTTLSecurityWithBIRD() throws {
        guard getuid() == 0 else { return XCTFail("needs root for network namespaces (run scripts/test.sh as root)") }
        guard CLI.which("bird") != nil else { return XCTFail("bird2 is needed: scripts/test.sh installs it") }
        let lab = try BIRDLab("collect-md5", tag: "md", subnet: "10.213", port: 17904)
        defer { lab.remove() }
        func birdWith(_ session: String) throws { try lab.writeBIRD(routes: [("198.51.100.0/24", 65020)], session: session) }
        let config = lab.path("vigil.toml")
        try (lab.collectorTOML(name: "md5", extra: "hold_time = 30\nopen_timeout = \"5s\"",
                               peer: "password = \"s3cret-Vigil\"\nttl_security = true") + """

            [archive]
            directory = ""

            [store]
            database = ""
            status_file = "\(lab.path("status.json"))"
            """).write(toFile: config, atomically: true, encoding: .utf8)
        lab.vigil = try Background(["collect", "--config", config], in: lab.dir)
        func established() -> Bool { lab.established(config: config) }
        func reconfigure(_ session: String) throws {
            try birdWith(session)
            XCTAssertEqual(try lab.ns.exec(["birdc", "-s", lab.sock, "configure"]), 0)
        }
        func staysDown(_ what: String) {
            // Long enough for BIRD's connect retry (1 s) and Vigil's open timeout (5 s) to come round twice.
            let until = Date().addingTimeInterval(12)
            while Date() < until {
                if established() { return XCTFail("\(what): the session came up") }
                usleep(500_000)
            }
        }

        // The right password, and BIRD sending at TTL 255.
        try birdWith("password \"s3cret-Vigil\";\n  ttl security yes;")
        try lab.startBIRD()
        waitFor("the session with the right password", seconds: 30) { established() }

        try reconfigure("password \"wrong\";\n  ttl security yes;")
        waitFor("the session down after the password changed", seconds: 30) { !established() }
        staysDown("a wrong password")

        try reconfigure("ttl security yes;")
        staysDown("no password")

        // The right password again, but BIRD sends at TTL 1 (no TTL security): more than one hop away for GTSM.
        try reconfigure("password \"s3cret-Vigil\";")
        staysDown("TTL 1 with GTSM on")

        try reconfigure("password \"s3cret-Vigil\";\n  ttl security yes;")
        waitFor("the session back with the right password and TTL 255", seconds: 40) { established() }
        lab.vigil?.stop()
        XCTAssertFalse(lab.vigil!.stderr.contains("GTSM"), lab.vigil!.stderr)
    }
}
