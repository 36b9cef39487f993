import Foundation
import XCTest
import BGPWire
@testable import Entities
import Signals

/// The MaxMind DB reader against the real GeoLite2-City database that PyPI's
/// maxminddb-geolite2 ships, cross-checked with MaxMind's own Python reader.
final class MMDBTests: XCTestCase {
    func run(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: d, as: UTF8.self)
    }

    func geoLite2() throws -> String {
        let dir = try run(["python3", "-c", "import _maxminddb_geolite2, os; print(os.path.dirname(_maxminddb_geolite2.__file__))"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let path = dir + "/GeoLite2-City.mmdb"
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "GeoLite2 not installed (scripts/test.sh installs maxminddb-geolite2 from PyPI)")
        return path
    }

    func testAgainstMaxMindsReader() throws {
        let path = try geoLite2()
        let db = try MMDB(path: path)
        XCTAssertEqual(db.ipVersion, 6)
        XCTAssertEqual(db.databaseType, "GeoLite2-City")
        XCTAssertEqual(db.country(IPAddress("175.45.176.1")!), "KP")
        XCTAssertNil(db.country(IPAddress("10.0.0.1")!))
        // 2000 addresses spread over the IPv4 space plus some IPv6, answered by both readers.
        var ips: [String] = []
        var x: UInt32 = 2_463_534_242
        for _ in 0..<2000 {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5
            ips.append(IPAddress.v4(x).description)
        }
        ips += ["2001:4860:4860::8888", "2a00:1450:4001:80b::200e", "2001:67c:2e8:22::c100:68b", "2400:cb00:2048:1::6810:1"]
        let script = """
            import maxminddb, sys
            r = maxminddb.open_database(sys.argv[1])
            for ip in sys.argv[2:]:
                d = r.get(ip) or {}
                c = (d.get('country') or d.get('registered_country') or {}).get('iso_code')
                print(ip, c or '-')
            """
        let want = try run(["python3", "-c", script, path] + ips).split(separator: "\n")
        XCTAssertEqual(want.count, ips.count, "python maxminddb failed (scripts/test.sh installs it)")
        var found = 0
        for line in want {
            let f = line.split(separator: " ")
            let got = db.country(IPAddress(f[0])!) ?? "-"
            XCTAssertEqual(got, String(f[1]), String(f[0]))
            if got != "-" { found += 1 }
        }
        XCTAssertGreaterThan(found, 1000)
    }

    /// A country only the MMDB names (no delegation file lists it) is a country
    /// like any other: it used to trap in the signal engine.
    func testCountryOnlyInTheMMDB() throws {
        let db = try MMDB(path: try geoLite2())
        var map = EntityMap()
        map.addDelegated("apnic|KP|ipv4|175.45.176.0|1024|20091019|allocated\n", file: "test")
        let engine = SignalEngine(binSeconds: 300, lookup: CountryLookup(map, mmdb: db))
        let path = ASPath(sequence: [65001, 15169])
        for (t, p) in [(UInt32(1_000_000_000), "8.8.8.0/24"), (1_000_000_001, "175.45.176.0/24")] {
            _ = engine.apply(BGPElement(kind: .announcement, timestamp: t, peerAddress: IPAddress("10.0.0.1")!, peerAS: 65001,
                                        prefix: Prefix(p)!, asPath: path))
        }
        let rows = engine.finish()
        XCTAssertEqual(db.country(IPAddress("8.8.8.0")!), "US")
        XCTAssertEqual(rows.first { $0.entity == "US" }?.announcements, 1)
        XCTAssertEqual(rows.first { $0.entity == "KP" }?.announcements, 1)
    }

    func testNotAnMMDB() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-mmdb-\(UUID().uuidString)").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 5000)))
        defer { unlink(path) }
        XCTAssertThrowsError(try MMDB(path: path)) { e in
            XCTAssertTrue("\(e)".contains("not a MaxMind DB file"), "\(e)")
        }
    }
}
