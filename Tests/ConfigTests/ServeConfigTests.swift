import XCTest
@testable import Config

/// The sections `vigil serve` adds: followers, the metrics endpoint, the log level.
final class ServeConfigTests: XCTestCase {
    func parse(_ text: String) throws -> CollectConfig { try parseConfig(text, file: "s.toml") }
    func problem(_ text: String) -> String { configProblem(text, file: "s.toml") }

    func testFollowersAloneAreSomethingToCollectFrom() throws {
        let c = try parse("""
            [[follow]]
            folder = "/srv/rrc00"
            collector = "rrc00"
            start = "2026-12-01T16:00Z"
            poll = "10s"
            lag = "45m"

            [[follow]]
            mirror = "https://data.ris.ripe.net"
            collector = "rrc21"

            [metrics]
            listen = "[::1]:9999"

            [log]
            level = "debug"
            """)
        XCTAssertEqual(c.follows.count, 2)
        XCTAssertEqual(c.follows[0].folder, "/srv/rrc00")
        XCTAssertEqual(c.follows[0].start, 1_796_140_800)
        XCTAssertEqual(c.follows[0].poll, 10)
        XCTAssertEqual(c.follows[0].lag, 2700)
        XCTAssertEqual(c.follows[1].name, "rrc21")
        XCTAssertEqual(c.follows[1].poll, 30)
        XCTAssertEqual(c.metricsListen, CollectConfig.Listen(host: "::1", port: 9999))
        XCTAssertEqual(c.logLevel, "debug")
        XCTAssertFalse(try parse("[metrics]\nlisten = \"\"\n[[follow]]\nfolder = \"x\"\n").metricsListen != nil)
        XCTAssertTrue(try parse("[metrics]\nlisten = \"\"\n[[follow]]\nfolder = \"x\"\n").metricsOff)
    }

    func testErrorsNameTheLineAndKey() {
        XCTAssertEqual(problem("[[follow]]\ncollector = \"rrc00\"\n"),
                       "s.toml:1: follow.1: needs either 'folder' (a local directory) or 'mirror' (an http(s) URL)")
        XCTAssertEqual(problem("[[follow]]\nfolder = \"a\"\nmirror = \"https://x\"\ncollector = \"rrc00\"\n"),
                       "s.toml:1: follow.1: needs either 'folder' (a local directory) or 'mirror' (an http(s) URL)")
        XCTAssertEqual(problem("[[follow]]\nmirror = \"ftp://x\"\ncollector = \"rrc00\"\n"), "s.toml:2: follow.1.mirror: 'ftp://x' is not an http(s) URL")
        XCTAssertEqual(problem("[[follow]]\nmirror = \"https://x\"\n"),
                       "s.toml:1: follow.1: a mirror needs 'collector' (rrc00 … rrc26, route-views2, route-views.linx …)")
        XCTAssertEqual(problem("[[follow]]\nmirror = \"https://x\"\ncollector = \"pch\"\n"),
                       "s.toml:3: follow.1.collector: 'pch' is neither a RIS (rrcNN) nor a RouteViews (route-views…) collector")
        XCTAssertEqual(problem("[[follow]]\nfolder = \"a\"\nstart = \"yesterday\"\n"), "s.toml:3: follow.1.start: 'yesterday' is not a time like 2026-12-01T16:00Z")
        XCTAssertEqual(problem("[[follow]]\nfolder = \"a\"\nlag = \"10s\"\n"), "s.toml:3: follow.1.lag: must be at least 60 seconds")
        XCTAssertTrue(problem("[[follow]]\nfolder = \"a\"\nfolders = \"b\"\n").hasPrefix("s.toml:3: follow.1.folders: unknown key (expected one of: cache, collector, folder"))
        XCTAssertEqual(problem("[[follow]]\nfolder = \"a\"\n[metrics]\nlisten = \"localhost\"\n"),
                       "s.toml:4: metrics.listen: 'localhost' is not HOST:PORT (IPv6 as [ADDR]:PORT)")
        XCTAssertEqual(problem("[[follow]]\nfolder = \"a\"\n[log]\nlevel = \"loud\"\n"),
                       "s.toml:4: log.level: 'loud' is not one of trace, debug, info, notice, warning, error, critical")
        XCTAssertEqual(problem("[metrics]\nlisten = \"127.0.0.1:1\"\n"),
                       "s.toml: nothing to collect from: set collector.listen, bmp.listen, an active [[peer]], a [[follow]] or [probe] targets")
    }
}
