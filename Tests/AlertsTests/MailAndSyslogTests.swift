import Foundation
import XCTest
import Config
import Signals
import Store
import Logging
@testable import Alerts

/// Email through a real SMTP server (aiosmtpd: STARTTLS required, then AUTH), and syslog lines
/// in RFC 5424 over UDP, TCP (octet-counted) and a Unix datagram socket, read by the test.
final class MailAndSyslogTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    let notice = Notice(Event(entity: "AS131279", kind: .outage, cause: .bgpWithdrawal, start: 1_419_264_900, end: nil, scope: 1, severity: 0,
                              level: "critical", precededByInstability: false,
                              evidence: Event.Evidence(signal: "routed_space", prefixes: ["175.45.176.0/24"], commonUpstream: 4837)),
                        state: .opened, revision: 0, vantage: "", link: "http://127.0.0.1:9473")

    func item() -> OutboxItem { OutboxItem(channel: "x", notice: notice.id, key: notice.key, payload: notice.json, created: 0) }

    func run(_ exe: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "\(exe) \(args)")
    }

    func testMailOverStartTLSWithAuthentication() throws {
        guard (try? run("/usr/bin/env", ["python3", "-c", "import aiosmtpd"])) != nil else { return XCTFail("aiosmtpd: scripts/test.sh installs it") }
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                                     "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert])
        let port = 19587, file = dir.appendingPathComponent("mail.jsonl").path, smtpLog = dir.appendingPathComponent("smtp.log").path
        let server = try Child("/usr/bin/env", ["python3", Receivers.fixtures.appendingPathComponent("smtp_receiver.py").path, "\(port)", file, cert, key,
                                                    "vigil", "s3cret"], log: smtpLog)
        defer { server.stop() }
        try Receivers.waitFor("the SMTP server", seconds: 15) {
            ((try? String(contentsOfFile: smtpLog, encoding: .utf8)) ?? "").contains("ready")
        }
        var ch = AlertsConfig.Channel(name: "mail", kind: .email, url: "smtp://localhost:\(port)")
        ch.from = "vigil@example.org"
        ch.to = ["noc@example.org", "oncall@example.org"]
        ch.username = "vigil"
        ch.password = "s3cret"
        ch.caFile = cert
        let d = Deliverer(store: MemoryStore(), config: AlertsConfig(), logger: Logger(label: "test"))
        defer { _ = try? blockingWait { try await d.close() } }
        let (ok, detail) = try blockingWait { [ch, item = item()] in await d.send(item, ch) }
        XCTAssertTrue(ok, detail)
        XCTAssertTrue(detail.hasPrefix("250"), detail)
        let mail = try XCTUnwrap(Receivers.received(file).first)
        XCTAssertEqual(mail["from"] as? String, "vigil@example.org")
        XCTAssertEqual(mail["to"] as? [String], ["noc@example.org", "oncall@example.org"])
        XCTAssertEqual(mail["user"] as? String, "vigil", "authenticated")
        XCTAssertEqual(mail["tls"] as? Bool, true, "after STARTTLS")
        let text = try XCTUnwrap(mail["text"] as? String)
        XCTAssertTrue(text.contains("Subject: [CRITICAL] AS131279: outage"), text)
        XCTAssertTrue(text.contains("X-Vigil-Notice: \(notice.id)"), text)
        XCTAssertTrue(text.contains("last path via AS4837"), text)
        XCTAssertTrue(text.contains("Details: http://127.0.0.1:9473/event.html?id="), text)

        // A wrong password is refused and said, and so is a server not trusted.
        ch.password = "wrong"
        let (refused, why) = try blockingWait { [ch, item = item()] in await d.send(item, ch) }
        XCTAssertFalse(refused)
        XCTAssertTrue(why.contains("AUTH"), why)
        ch.password = "s3cret"
        ch.caFile = nil
        let (untrusted, because) = try blockingWait { [ch, item = item()] in await d.send(item, ch) }
        XCTAssertFalse(untrusted, "a self-signed certificate is not trusted unless ca_file names it: \(because)")
        XCTAssertEqual(Receivers.received(file).count, 1)
    }

    /// An RFC 5424 line: PRI, version 1, time, host, app, procid, msgid, structured data, BOM and the sentence.
    func check5424(_ line: String, file: StaticString = #filePath, lineNo: UInt = #line) {
        let pattern = #"^<26>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ vigil \d+ opened \[vigil@32473 key="AS131279\|outage\|1419264900" id="[^"]+" state="opened" entity="AS131279" kind="outage" cause="bgp-withdrawal" level="critical" url="[^"]+"\] \x{FEFF}AS131279: its only prefix withdrawn"#
        XCTAssertNotNil(line.range(of: pattern, options: .regularExpression), line, file: file, line: lineNo)
    }

    func testSyslogOverUDPTCPAndUnixSockets() throws {
        // UDP
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(udp) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(19514).bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        XCTAssertEqual(withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(udp, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }, 0)
        let d = Deliverer(store: MemoryStore(), config: AlertsConfig(), logger: Logger(label: "test"))
        defer { _ = try? blockingWait { try await d.close() } }
        var ch = AlertsConfig.Channel(name: "syslog", kind: .syslog, url: "udp://127.0.0.1:19514")
        var (ok, detail) = try blockingWait { [ch, item = item()] in await d.send(item, ch) }
        XCTAssertTrue(ok, detail)
        var buf = [UInt8](repeating: 0, count: 8192)
        let n = recv(udp, &buf, buf.count, 0)
        check5424(String(decoding: buf[0..<max(0, n)], as: UTF8.self))

        // TCP, octet-counted
        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(tcp) }
        var one: Int32 = 1
        setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        a.sin_port = UInt16(19515).bigEndian
        XCTAssertEqual(withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(tcp, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }, 0)
        listen(tcp, 1)
        ch.url = "tcp://127.0.0.1:19515"
        (ok, detail) = try blockingWait { [ch, item = item()] in await d.send(item, ch) }
        XCTAssertTrue(ok, detail)
        let conn = accept(tcp, nil, nil)
        defer { close(conn) }
        var got: [UInt8] = []
        while true {
            let k = recv(conn, &buf, buf.count, 0)
            if k <= 0 { break }
            got += buf[0..<k]
        }
        let framed = String(decoding: got, as: UTF8.self)
        let space = try XCTUnwrap(framed.firstIndex(of: " "))
        XCTAssertEqual(Int(framed[..<space]), framed.utf8.count - framed[...space].utf8.count, "the frame's length is its message's")
        check5424(String(framed[framed.index(after: space)...]))

        // Unix datagram socket, as /dev/log is
        let path = dir.appendingPathComponent("log.sock").path
        let ux = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(ux) }
        var u = sockaddr_un()
        u.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &u.sun_path) { for (i, b) in path.utf8.enumerated() { $0[i] = b } }
        XCTAssertEqual(withUnsafePointer(to: &u) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(ux, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }, 0)
        ch.url = "unix://" + path
        (ok, detail) = try blockingWait { [ch, item = item()] in await d.send(item, ch) }
        XCTAssertTrue(ok, detail)
        let m = recv(ux, &buf, buf.count, 0)
        check5424(String(decoding: buf[0..<max(0, m)], as: UTF8.self))

        // Nobody listening on TCP: an error, not a hang.
        ch.url = "tcp://127.0.0.1:19516"
        (ok, detail) = try blockingWait { [ch, item = item()] in await d.send(item, ch) }
        XCTAssertFalse(ok)
        XCTAssertTrue(detail.contains("refused"), detail)
    }
}
