import BGPWire
import Foundation
import MRT
import XCTest

/// kill -9 in the middle of heavy updates: every archive file stays readable to
/// its last complete record, and a restart carries on without losing or
/// repeating what was archived.
final class CollectCrashTests: XCTestCase {
    func testKill9DuringHeavyUpdatesLosesNothingArchived() throws {
        guard let bgpdump = CLI.which("bgpdump") else { return XCTFail("bgpdump is needed: scripts/test.sh installs it") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = 18000 + Int(getpid() % 1000)
        let archive = dir.appendingPathComponent("archive").path
        let config = dir.appendingPathComponent("vigil.toml").path
        try """
            [collector]
            name = "crash"
            local_as = 12654
            listen = "127.0.0.1:\(port)"
            accept_any = true

            [archive]
            directory = "\(archive)"

            [store]
            database = ""
            status_file = "\(dir.appendingPathComponent("status.json").path)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let collectorDir = archive + "/crash"
        func names() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: collectorDir)) ?? []).sorted() }

        // First run: a speaker floods updates; the collector dies mid-stream.
        let first = try Background(["collect", "--config", config], in: dir)
        let speaker = try TestSpeaker(port: port, asn: 65001, address: "127.0.0.1")
        var sent = 0
        let until = Date().addingTimeInterval(4)
        while Date() < until {
            sent += try speaker.flood(round: sent)
        }
        // A few seconds of updates on disk (the collector flushes every second), then the crash.
        first.stop(signal: SIGKILL)
        speaker.close()
        let leftover = names().filter { $0.hasPrefix(".") && $0.hasSuffix(".tmp") }
        XCTAssertFalse(leftover.isEmpty, "expected a half-written file after kill -9: \(names())")
        // What the crash left, record by record (the reader stops at a torn tail).
        var survived: [[UInt8]] = []
        for f in leftover { survived += try rawRecords(collectorDir + "/" + f) }
        XCTAssertGreaterThan(survived.count, 100, "the flood reached the disk")

        // Second run: recovery, then more updates in the same period.
        let second = try Background(["collect", "--config", config], in: dir)
        waitFor("the restart", seconds: 20) { second.stderr.contains("running") }
        XCTAssertTrue(second.stderr.contains("recovered"), second.stderr)
        let speaker2 = try TestSpeaker(port: port, asn: 65002, address: "127.0.0.1")
        for r in 0..<20 { _ = try speaker2.flood(round: 1_000_000 + r) }
        sleep(2)
        speaker2.close()
        second.stop()
        XCTAssertEqual(second.process.terminationStatus, 0, second.stderr)

        XCTAssertTrue(names().allSatisfy { !$0.hasPrefix(".") }, "temporary files left: \(names())")
        var all: [[UInt8]] = []
        for f in names() where f.hasPrefix("updates.") {
            let path = collectorDir + "/" + f
            all += try rawRecords(path)
            // Readable by Vigil without a single issue, and by bgpdump identically.
            let mine = try CLI.vigil("dump", "-m", path)
            XCTAssertEqual(mine.status, 0, mine.stderr)
            XCTAssertEqual(mine.text, try CLI.run(bgpdump, ["-q", "-m", path]).text, f)
        }
        // Nothing that survived the crash is lost, and nothing is there twice.
        let allSet = Set(all)
        XCTAssertEqual(allSet.count, all.count, "duplicate records after the restart")
        XCTAssertTrue(survived.allSatisfy { allSet.contains($0) }, "records archived before the crash are missing")
        // The second run's records are there too (AS65002's session).
        let text = try names().filter { $0.hasPrefix("updates.") }.map { try CLI.vigil("dump", "-m", collectorDir + "/" + $0).text }.joined()
        XCTAssertTrue(text.contains("|127.0.0.1|65002|"), "the second run archived nothing")
        print("crash test: \(sent) updates sent, \(survived.count) records survived kill -9, \(all.count) archived in all")
    }

    /// Every complete record of an archive file, as bytes (timestamps in µs make each unique).
    func rawRecords(_ path: String) throws -> [[UInt8]] {
        let r = try MRTReader(path: path)
        var out: [[UInt8]] = []
        while let raw = try r.next() {
            var w = ByteWriter(capacity: raw.body.count + 16)
            w.u32(raw.header.timestamp); w.u16(raw.header.type.rawValue); w.u16(raw.header.subtype)
            w.u32(raw.header.length); w.u32(raw.header.microseconds ?? 0)
            w.append(raw.body)
            out.append(w.bytes)
        }
        return out
    }
}

/// A minimal BGP speaker on a raw TCP socket: OPEN, KEEPALIVE, then UPDATEs as fast as the socket takes them.
final class TestSpeaker {
    let fd: Int32
    let options = SessionOptions(fourOctetAS: true, extendedMessages: false)

    /// Connects to a collector on `address` (IPv4 or IPv6) and does the OPEN exchange.
    convenience init(port: Int, asn: UInt32, address: String) throws {
        var lastError = ""
        for _ in 0..<100 {
            if let fd = TestSpeaker.connect(address, port) {
                try self.init(connected: fd, asn: asn)
                return
            }
            lastError = String(cString: strerror(errno))
            usleep(100_000)
        }
        throw NSError(domain: "speaker", code: 2, userInfo: [NSLocalizedDescriptionKey: "cannot connect: \(lastError)"])
    }

    /// Takes over a connected socket (either side dialled) and does the OPEN exchange.
    init(connected: Int32, asn: UInt32) throws {
        signal(SIGPIPE, SIG_IGN)
        fd = connected
        let open = Open(myAS: UInt16(asn), holdTime: 90, bgpIdentifier: 0x0A00_0001 + asn,
                        capabilities: [.multiprotocol(.ipv4Unicast), .fourOctetAS(asn)])
        try send(BGPMessage.open(open).encode(options: options))
        try send(BGPMessage.keepalive.encode(options: options))
        // Wait for the collector's OPEN and KEEPALIVE before anything else.
        var buf = [UInt8](repeating: 0, count: 4096)
        var got = 0
        while got < 19 + 29 + 19 {
            let n = recv(fd, &buf, buf.count, 0)
            guard n > 0 else { throw NSError(domain: "speaker", code: 1, userInfo: [NSLocalizedDescriptionKey: "collector closed the session"]) }
            got += n
        }
    }

    /// A connected socket with no BGP on it (a BMP router, say).
    init(raw: Int32) throws {
        signal(SIGPIPE, SIG_IGN)
        fd = raw
    }

    static func connect(_ address: String, _ port: Int) -> Int32? {
        let v6 = address.contains(":")
        let s = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var rc: Int32
        if v6 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, address, &sa.sin6_addr)
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(s, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, address, &sa.sin_addr)
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        if rc == 0 { return s }
        Glibc.close(s)
        return nil
    }

    /// Announces prefixes with a path.
    func announce(_ prefixes: [String], path: [UInt32]) throws {
        let u = Update(attributes: [.origin(.igp), .asPath(ASPath(sequence: path)), .nextHop(0x7F00_0001)],
                       nlri: prefixes.map { NLRI(Prefix($0)!) })
        try send(BGPMessage.update(u).encode(options: options))
    }

    func send(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw NSError(domain: "speaker", code: 3, userInfo: [NSLocalizedDescriptionKey: "send: \(String(cString: strerror(errno)))"]) }
            done += n
        }
    }

    /// One burst: 200 prefixes announced with a path that changes each round, half of them withdrawn. Returns the updates sent.
    func flood(round: Int) throws -> Int {
        var out: [UInt8] = []
        var n = 0
        for i in 0..<100 {
            let a = UInt32(0x0B00_0000) | UInt32((round % 200) << 16) | UInt32(i << 8)
            let u = Update(attributes: [.origin(.igp), .asPath(ASPath(sequence: [65001, UInt32(64512 + round % 1000), 65100 + UInt32(i)])), .nextHop(0x7F00_0001)],
                           nlri: [NLRI(Prefix(address: .v4(a), length: 24)), NLRI(Prefix(address: .v4(a | 0x80), length: 25))])
            out += BGPMessage.update(u).encode(options: options)
            if i % 2 == 0 { out += BGPMessage.update(Update(withdrawn: [NLRI(Prefix(address: .v4(a | 0x80), length: 25))])).encode(options: options) ; n += 1 }
            n += 1
        }
        try send(out)
        return n
    }

    func close() { Glibc.close(fd) }
}
