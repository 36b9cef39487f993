import XCTest
import BGPWire
@testable import Config

/// What an exposed collector accepts, as the configuration says it: closed unless opened.
final class ExposureConfigTests: XCTestCase {
    func parse(_ text: String) throws -> CollectConfig { try parseConfig(text, file: "x.toml") }
    func problem(_ text: String) -> String { configProblem(text, file: "x.toml") }

    func testClosedByDefaultAndTheLimits() throws {
        let plain = try parse("[collector]\nlisten = \"127.0.0.1:179\"\n[bmp]\nlisten = \"127.0.0.1:11019\"\n")
        XCTAssertFalse(plain.acceptAny)
        XCTAssertFalse(plain.bmpAcceptAny)
        XCTAssertEqual(plain.bmpRouters, [])
        XCTAssertEqual(plain.openTimeout, 30)
        XCTAssertEqual(plain.maxConnections, 256)
        XCTAssertNil(plain.maxPrefixes)
        XCTAssertEqual(plain.queueLimit, 100_000)
        XCTAssertNil(plain.topEntities)

        let c = try parse("""
            [collector]
            listen = "127.0.0.1:179"
            accept_any = true
            open_timeout = "1m"
            max_connections = 10
            max_prefixes = 2000000
            max_prefixes_warning = 75
            queue_limit = 5000
            [[peer]]
            address = "192.0.2.2"
            as = 65001
            max_prefixes = 1000
            [bmp]
            listen = "127.0.0.1:11019"
            routers = ["192.0.2.9", "2001:db8::9"]
            """)
        XCTAssertTrue(c.acceptAny)
        XCTAssertEqual(c.openTimeout, 60)
        XCTAssertEqual(c.maxConnections, 10)
        XCTAssertEqual(c.maxPrefixes, 2_000_000)
        XCTAssertEqual(c.maxPrefixesWarning, 0.75)
        XCTAssertEqual(c.queueLimit, 5000)
        XCTAssertEqual(try parse("[collector]\nlisten = \"127.0.0.1:179\"\n[detect]\ntop_entities = 20000\n").topEntities, 20000)
        XCTAssertTrue(problem("[collector]\nqueue_limit = 10\n").contains("collector.queue_limit"), problem("[collector]\nqueue_limit = 10\n"))
        XCTAssertEqual(c.peers.first?.maxPrefixes, 1000)
        XCTAssertEqual(c.bmpRouters, [IPAddress("192.0.2.9")!, IPAddress("2001:db8::9")!])

        XCTAssertEqual(problem("[collector]\nlisten = \":179\"\naccept_any = \"yes\"\n"), "x.toml:3: collector.accept_any: must be true or false")
        XCTAssertEqual(problem("[collector]\nlisten = \":179\"\nopen_timeout = \"5m\"\n"),
                       "x.toml:3: collector.open_timeout: must be at most 240 seconds (RFC 4271's large value)")
        XCTAssertEqual(problem("[collector]\nlisten = \":179\"\n[[peer]]\naddress = \"192.0.2.2\"\nmax_prefixes = 0\n"),
                       "x.toml:5: peer.1.max_prefixes: 0 is out of range 1...100000000")
        XCTAssertEqual(problem("[bmp]\nlisten = \":11019\"\nrouters = [\"router1\"]\n"), "x.toml:3: bmp.routers: 'router1' is not an IP address")
        let kept = try parse("[archive]\nretention = \"90d\"\nmax_size = \"50G\"\n[[follow]]\nfolder = \"x\"\n")
        XCTAssertEqual(kept.archiveRetention, 90 * 86_400)
        XCTAssertEqual(kept.archiveMaxBytes, 50_000_000_000)
        XCTAssertEqual(problem("[archive]\nmax_size = \"lots\"\n[[follow]]\nfolder = \"x\"\n"),
                       "x.toml:2: archive.max_size: must be bytes or a size like \"500M\", \"50G\", \"2T\" (at least 1M)")
        XCTAssertEqual(CollectConfig.parseSize("500m"), 500_000_000)
        XCTAssertNil(CollectConfig.parseSize("99999999999T"))
        let signed = try parse("[collector]\nlisten = \":179\"\n[[peer]]\naddress = \"192.0.2.2\"\npassword = \"s3cret\"\nttl_security = true\n")
        XCTAssertEqual(signed.peers.first?.password, "s3cret")
        XCTAssertEqual(signed.peers.first?.ttlSecurity, true)
        XCTAssertEqual(problem("[collector]\nlisten = \":179\"\n[[peer]]\naddress = \"192.0.2.2\"\npassword = \"\(String(repeating: "k", count: 81))\"\n"),
                       "x.toml:5: peer.1.password: must be 1 to 80 bytes (TCP_MD5SIG_MAXKEYLEN)")
    }
}
