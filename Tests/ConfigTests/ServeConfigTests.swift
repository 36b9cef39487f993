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

    func testRISLiveFeedsAreSomethingToCollectFrom() throws {
        let c = try parse("""
            [[ris_live]]
            collectors = ["rrc00", "rrc21"]

            [[ris_live]]
            url = "ws://127.0.0.1:8765/v1/ws/?client=test"
            prefixes = ["175.45.176.0/22", "2001:db8::/32"]
            more_specific = false
            ping = "10s"
            stale = "40s"
            lag = "1m"
            """)
        XCTAssertEqual(c.risLive.count, 2)
        XCTAssertEqual(c.risLive[0].url, RISLiveConfig.defaultURL)
        XCTAssertEqual(c.risLive[0].name, "ris-live rrc00,rrc21")
        XCTAssertEqual(c.risLive[0].silentAfter, 120, "the whole stream of two collectors is never quiet for two minutes")
        XCTAssertEqual(c.risLive[1].prefixes, ["175.45.176.0/22", "2001:db8::/32"])
        XCTAssertFalse(c.risLive[1].moreSpecific)
        XCTAssertEqual([c.risLive[1].ping, c.risLive[1].stale, c.risLive[1].lag], [10, 40, 60])
        XCTAssertEqual(c.risLive[1].silentAfter, CollectConfig.maxDuration, "a filtered stream may be quiet for hours: not silence")
        XCTAssertEqual(try parse("[[ris_live]]\nprefixes = [\"10.0.0.0/8\"]\nsilent = \"2h\"\n").risLive[0].silentAfter, 7200)

        XCTAssertEqual(problem("[[ris_live]]\nurl = \"https://ris-live.ripe.net\"\n"),
                       "s.toml:2: ris_live.1.url: 'https://ris-live.ripe.net' is not a ws:// or wss:// URL")
        XCTAssertEqual(problem("[[ris_live]]\ncollectors = [\"route-views2\"]\n"),
                       "s.toml:2: ris_live.1.collectors: 'route-views2' is not a RIS collector (rrc00 … rrc26)")
        XCTAssertEqual(problem("[[ris_live]]\nprefixes = [\"175.45.176/22\"]\n"),
                       "s.toml:2: ris_live.1.prefixes: '175.45.176/22' is not a prefix like 175.45.176.0/22")
        XCTAssertEqual(problem("[[ris_live]]\nping = \"60s\"\nstale = \"30s\"\n"),
                       "s.toml:3: ris_live.1.stale: must be longer than ping (60 s): pongs are what keeps a quiet stream alive")
        XCTAssertEqual(problem("[[ris_live]]\n[[ris_live]]\nprefixes = [\"10.0.0.0/8\"]\n"),
                       "s.toml:2: ris_live.2.collectors: a second feed of every collector: merge it into the first [[ris_live]]")
        XCTAssertEqual(try parse("[[ris_live]]\ncollectors = [\"rrc00\"]\nseed_mirror = \"https://data.ris.ripe.net\"\n").risLive[0].seedMirror,
                       "https://data.ris.ripe.net")
        XCTAssertEqual(problem("[[ris_live]]\nseed_folder = \"/srv/ris\"\n"),
                       "s.toml:1: ris_live.1.collectors: seeding needs the collectors named (each one's RIB is fed): collectors = [\"rrc00\", …]")
        XCTAssertEqual(problem("[[ris_live]]\ncollectors = [\"rrc00\"]\nseed_mirror = \"data.ris.ripe.net\"\n"),
                       "s.toml:3: ris_live.1.seed_mirror: 'data.ris.ripe.net' is not an http(s) URL (RIS's archive: https://data.ris.ripe.net)")
        XCTAssertTrue(problem("[[ris_live]]\nhost = \"rrc00\"\n").hasPrefix("s.toml:2: ris_live.1.host: unknown key (expected one of: archive, beacon_grace,"))
        XCTAssertEqual(problem("[archive]\ndirectory = \"\"\n[[ris_live]]\narchive = true\n"),
                       "s.toml:4: ris_live.1.archive: needs [archive] directory (where each collector's folder goes)")
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
        XCTAssertEqual(problem("[[follow]]\nfolder = \"a\"\n[detect]\nclock = \"sundial\"\n"), "s.toml:4: detect.clock: must be \"wall\" or \"data\"")
        XCTAssertEqual(try CollectConfig(toml: "[[follow]]\nfolder = \"a\"\n[detect]\nclock = \"data\"\n", file: "s.toml").clock, "data")
        XCTAssertEqual(problem("[metrics]\nlisten = \"127.0.0.1:1\"\n"),
                       "s.toml: nothing to collect from: set collector.listen, bmp.listen, an active [[peer]], a [[follow]], a [[ris_live]] or [probe] targets")
    }
}
