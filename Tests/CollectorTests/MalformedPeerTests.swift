import Foundation
import XCTest
import BGPWire
import MRT
@testable import Collector
#if canImport(Glibc)
import Glibc
#endif

/// A hand-made BGP speaker over a plain TCP socket does the OPEN/KEEPALIVE
/// exchange with a `BGPListener` on loopback, then sends hand-crafted bad
/// messages. Each test checks the collector's reaction against RFC 4271 §6
/// and RFC 7606: the NOTIFICATION it sends (or not), whether the session
/// survives, what `onUpdate`, `onDown` and the log report, and that what came
/// before the error is archived and readable.
///
/// Each raw peer binds its own loopback source address (127.0.0.x), so the
/// collector tells the peers apart by address as it would on a real network.
final class MalformedPeerTests: XCTestCase {
    // MARK: (a) header: marker

    func testBadMarkerGetsHeaderError1_1AndClose() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let peer = try lab.connect("127.0.0.2", asn: 65001)
        defer { peer.close() }
        try peer.send(Raw.update(nlri: Raw.prefix4(10, 1, 1)))
        lab.waitAccepted("127.0.0.2", "10.1.1.0/24")
        var bad = Raw.keepalive
        bad[5] = 0xFE
        try peer.send(bad)
        let n = peer.expectNotification()
        XCTAssertEqual(n.map { [$0.code, $0.subcode] }, [1, 1], "Message Header Error / Connection Not Synchronized")
        XCTAssertTrue(peer.expectClosed(), "the collector closes the connection after the NOTIFICATION")
        lab.wait("the session down") { lab.rec.with { $0.downs["127.0.0.2"]?.count } == 1 }
        lab.assertLogged("127.0.0.2", "marker")
    }

    // MARK: (b) header: length

    func testBadLengthGetsHeaderError1_2AndClose() throws {
        let lab = try Lab()
        defer { lab.stop() }
        // 18 (< 19), and 5000 (> 4096: extended messages were not negotiated by this peer).
        for (i, length) in [18, 5000, 65535].enumerated() {
            let addr = "127.0.0.\(3 + i)"
            let peer = try lab.connect(addr, asn: 65001)
            defer { peer.close() }
            var bad = Raw.keepalive
            bad[16] = UInt8(length >> 8)
            bad[17] = UInt8(length & 0xFF)
            try peer.send(bad)
            let n = peer.expectNotification()
            XCTAssertEqual(n.map { [$0.code, $0.subcode] }, [1, 2], "length \(length): Message Header Error / Bad Message Length")
            XCTAssertTrue(peer.expectClosed(), "length \(length)")
            lab.wait("the session down") { lab.rec.with { $0.downs[addr]?.count } == 1 }
            lab.assertLogged(addr, "length \(length)")
        }
    }

    /// RFC 4271 §6.1: "the Data field MUST contain the erroneous Length field".
    func testBadLengthNotificationCarriesTheErroneousLength() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let peer = try lab.connect("127.0.0.6", asn: 65001)
        defer { peer.close() }
        var bad = Raw.keepalive
        bad[16] = 0x13
        bad[17] = 0x88  // 5000
        try peer.send(bad)
        let n = peer.expectNotification()
        XCTAssertEqual(n.map { [$0.code, $0.subcode] }, [1, 2])
        XCTAssertEqual(n?.data, [0x13, 0x88], "RFC 4271 §6.1: Bad Message Length carries the erroneous Length field")
    }

    /// RFC 4271 §6.1: a KEEPALIVE whose Length is not 19 is Bad Message Length (1/2),
    /// the Data field holding the Length, not an UPDATE Message Error.
    func testKeepaliveWithABodyGetsBadMessageLength() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let peer = try lab.connect("127.0.0.15", asn: 65001)
        defer { peer.close() }
        try peer.send(Raw.message(type: 4, [0]))
        let n = peer.expectNotification()
        XCTAssertEqual(n.map { [$0.code, $0.subcode] }, [1, 2], "RFC 4271 §6.1, got \(String(describing: n))")
        XCTAssertEqual(n?.data, [0, 20])
        XCTAssertTrue(peer.expectClosed())
    }

    /// RFC 4271 §6.2: an OPEN that does not parse is an OPEN Message Error (code 2),
    /// never an UPDATE Message Error.
    func testMalformedOpenGetsOpenMessageError() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let addr = "127.0.0.16"
        let peer = try RawPeer(source: addr, port: lab.port)
        defer { peer.close() }
        XCTAssertEqual(peer.readMessage(timeout: 10).type, 1)
        // Optional parameters length 10, but only 6 bytes of them.
        let body: [UInt8] = [4] + Raw.be16(65001) + Raw.be16(30) + Raw.be32(0x7F00_0010) + [10] + [2, 4, 65, 4, 0, 0]
        try peer.send(Raw.message(type: 1, body))
        let n = peer.expectNotification()
        XCTAssertEqual(n?.code, 2, "OPEN Message Error, got \(String(describing: n))")
        XCTAssertTrue(peer.expectClosed())
        lab.assertLogged(addr, "optional parameters")
        XCTAssertNil(lab.rec.with { $0.established[addr] })
    }

    /// RFC 4271 §6.1: an unrecognized message type is Message Header Error / Bad
    /// Message Type (1/3), the Data field holding the type.
    func testUnknownMessageTypeGetsHeaderError1_3() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let peer = try lab.connect("127.0.0.7", asn: 65001)
        defer { peer.close() }
        try peer.send(Raw.message(type: 9, []))
        let n = peer.expectNotification()
        XCTAssertEqual(n.map { [$0.code, $0.subcode] }, [1, 3], "RFC 4271 §6.1: Bad Message Type, got \(String(describing: n))")
        XCTAssertEqual(n?.data, [9], "the Data field holds the bad type")
        XCTAssertTrue(peer.expectClosed())
    }

    // MARK: (c) ORIGIN: treat-as-withdraw

    func testOriginBadLengthIsTreatAsWithdrawAndTheSessionStaysUp() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let addr = "127.0.0.8"
        let peer = try lab.connect(addr, asn: 65001)
        defer { peer.close() }
        // ORIGIN with length 2.
        try peer.send(Raw.update(attributes: [0x40, 1, 2, 0, 0] + Raw.asPath([65001]) + Raw.nextHop(addr), nlri: Raw.prefix4(10, 8, 1)))
        try checkTreatAsWithdraw(lab, peer, addr, "10.8.1.0/24", then: Raw.prefix4(10, 8, 2))
    }

    /// RFC 7606 §7.1: an ORIGIN with an undefined value (not 0, 1 or 2) is malformed: treat-as-withdraw.
    func testOriginBadValueIsTreatAsWithdrawAndTheSessionStaysUp() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let addr = "127.0.0.9"
        let peer = try lab.connect(addr, asn: 65001)
        defer { peer.close() }
        try peer.send(Raw.update(attributes: [0x40, 1, 1, 5] + Raw.asPath([65001]) + Raw.nextHop(addr), nlri: Raw.prefix4(10, 9, 1)))
        try checkTreatAsWithdraw(lab, peer, addr, "10.9.1.0/24", then: Raw.prefix4(10, 9, 2))
    }

    func checkTreatAsWithdraw(_ lab: Lab, _ peer: RawPeer, _ addr: String, _ prefix: String, then next: [UInt8],
                              file: StaticString = #filePath, line: UInt = #line) throws {
        lab.wait("the decision", file: file, line: line) { lab.rec.with { $0.decisions[addr]?.count ?? 0 } >= 1 }
        let first = lab.rec.with { $0.decisions[addr]?.first }
        guard case let .treatAsWithdraw(withdrawn, reason) = first else {
            return XCTFail("RFC 7606: treat-as-withdraw expected, got \(String(describing: first))", file: file, line: line)
        }
        XCTAssertEqual(withdrawn.map { $0.prefix.description }, [prefix], file: file, line: line)
        // The session stays up: a following good UPDATE is still accepted.
        try peer.send(Raw.update(nlri: next))
        lab.wait("the good UPDATE after it", file: file, line: line) { lab.rec.with { $0.decisions[addr]?.count ?? 0 } >= 2 }
        if case let .accept(u) = lab.rec.with({ $0.decisions[addr]?.last }) {
            XCTAssertEqual(u.nlri.count, 1, file: file, line: line)
        } else {
            XCTFail("the good UPDATE was not accepted", file: file, line: line)
        }
        XCTAssertNil(peer.readMessage(timeout: 0.3).notification, "no NOTIFICATION", file: file, line: line)
        XCTAssertEqual(lab.rec.with { $0.downs[addr] }, nil, "the session stays up", file: file, line: line)
        lab.assertLogged(addr, reason, file: file, line: line)
    }

    // MARK: (d) AGGREGATOR: attribute discard

    func testMalformedAggregatorIsDiscardedAndTheSessionStaysUp() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let addr = "127.0.0.10"
        let peer = try lab.connect(addr, asn: 65001)
        defer { peer.close() }
        // AGGREGATOR of 6 bytes on a 4-octet-AS session (8 expected); optional transitive.
        let agg: [UInt8] = [0xC0, 7, 6, 0xFD, 0xE9, 10, 0, 0, 1]
        try peer.send(Raw.update(attributes: Raw.origin() + Raw.asPath([65001]) + Raw.nextHop(addr) + agg, nlri: Raw.prefix4(10, 10, 1)))
        lab.wait("the decision") { lab.rec.with { $0.decisions[addr]?.count ?? 0 } >= 1 }
        let d = lab.rec.with { $0.decisions[addr]?.first }
        guard case let .attributeDiscard(u, discarded) = d else { return XCTFail("RFC 7606 §7.7: attribute discard expected, got \(String(describing: d))") }
        XCTAssertEqual(discarded, [.aggregator])
        XCTAssertEqual(u.nlri.map { $0.prefix.description }, ["10.10.1.0/24"], "the route itself is kept")
        XCTAssertFalse(u.attributes.contains { $0.type == .aggregator }, "the bad AGGREGATOR is gone")
        XCTAssertEqual(u.attributes.origin, .igp)
        try peer.send(Raw.update(nlri: Raw.prefix4(10, 10, 2)))
        lab.waitAccepted(addr, "10.10.2.0/24")
        XCTAssertNil(peer.readMessage(timeout: 0.3).notification)
        XCTAssertNil(lab.rec.with { $0.downs[addr] }, "the session stays up")
        lab.assertLogged(addr, "discard")
    }

    // MARK: (e) MP_REACH_NLRI: session reset

    func testUnparseableMPReachResetsTheSession() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let addr = "127.0.0.11"
        let peer = try lab.connect(addr, asn: 65001)
        defer { peer.close() }
        // IPv6 unicast, a 16-byte next hop, no SNPA, then an NLRI of 129 bits.
        let value: [UInt8] = [0, 2, 1, 16] + [0xFD] + [UInt8](repeating: 0, count: 14) + [1] + [0] + [129] + [UInt8](repeating: 0x20, count: 17)
        let mp: [UInt8] = [0x80, 14, UInt8(value.count)] + value
        try peer.send(Raw.update(attributes: Raw.origin() + Raw.asPath([65001]) + mp, nlri: []))
        let n = peer.expectNotification()
        XCTAssertEqual(n?.code, 3, "UPDATE Message Error")
        XCTAssertTrue([1, 9].contains(n?.subcode ?? 0), "Malformed Attribute List or Optional Attribute Error, got \(String(describing: n))")
        XCTAssertTrue(peer.expectClosed())
        lab.wait("the session down") { lab.rec.with { $0.downs[addr]?.count } == 1 }
        XCTAssertEqual(lab.rec.with { $0.decisions[addr] }, nil, "nothing of that UPDATE reaches onUpdate")
        XCTAssertTrue(lab.rec.with { $0.downs[addr]?.first ?? "" }.contains("MP_REACH"), "\(lab.rec.with { $0.downs })")
        lab.assertLogged(addr, "MP_REACH")
        // A reset session can come back.
        let again = try lab.connect(addr, asn: 65001)
        defer { again.close() }
        try again.send(Raw.update(nlri: Raw.prefix4(10, 11, 1)))
        lab.waitAccepted(addr, "10.11.1.0/24")
    }

    /// The collector archives the UPDATE that made it reset the session. An IPv6
    /// NLRI of 129 bits in MP_REACH_NLRI: Debian's bgpdump copies its 17 bytes into
    /// a 16-byte address, the 17th landing on the prefix length it then prints
    /// (`struct prefix` in bgpdump_lib.h); Vigil's `-m` output should say the same.
    func testArchivedOverlongIPv6PrefixReadsLikeBgpdump() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let addr = "127.0.0.14"
        let peer = try lab.connect(addr, asn: 65001)
        defer { peer.close() }
        try peer.send(Raw.update(nlri: Raw.prefix4(10, 14, 1)))
        lab.waitAccepted(addr, "10.14.1.0/24")
        let value: [UInt8] = [0, 2, 1, 16] + [0xFD] + [UInt8](repeating: 0, count: 14) + [1] + [0] + [129] + [UInt8](repeating: 0x20, count: 17)
        try peer.send(Raw.update(attributes: Raw.origin() + Raw.asPath([65001]) + [0x80, 14, UInt8(value.count)] + value, nlri: []))
        XCTAssertEqual(peer.expectNotification()?.code, 3)
        lab.wait("the session down") { lab.rec.with { $0.downs[addr]?.count } == 1 }
        lab.listener.stop()
        let lines = try lab.archiveLines()
        XCTAssertEqual(lines.filter { $0[2] == "A" }.map { $0[5] }, ["10.14.1.0/24", "2020:2020:2020:2020:2020:2020:2020:2020/32"],
                       "bgpdump prints the 17th byte (0x20) as the length")
    }

    // MARK: NLRI: Invalid Network Field

    /// RFC 4271 §6.3: a syntactically incorrect NLRI field is UPDATE Message Error /
    /// Invalid Network Field (3/10); RFC 7606 §5.3 keeps the session reset for it.
    func testInvalidNLRIGetsUpdateError3_10() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let addr = "127.0.0.12"
        let peer = try lab.connect(addr, asn: 65001)
        defer { peer.close() }
        try peer.send(Raw.update(nlri: [33, 10, 12, 1, 0, 0]))  // a /33 in IPv4
        let n = peer.expectNotification()
        XCTAssertEqual(n.map { [$0.code, $0.subcode] }, [3, 10], "RFC 4271 §6.3 Invalid Network Field, got \(String(describing: n))")
        XCTAssertTrue(peer.expectClosed())
        lab.wait("the session down") { lab.rec.with { $0.downs[addr]?.count } == 1 }
        lab.assertLogged(addr, "prefix length 33")
    }

    // MARK: (f) garbage mid-stream

    func testGarbageMidStreamGetsHeaderErrorAfterTheGoodMessagesBeforeIt() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let addr = "127.0.0.13"
        let peer = try lab.connect(addr, asn: 65001)
        defer { peer.close() }
        // Two good UPDATEs and then text, in one write: the UPDATEs count, the text does not.
        let garbage = Array("GET / HTTP/1.1\r\nHost: vigil\r\n\r\n".utf8)
        try peer.send(Raw.update(nlri: Raw.prefix4(10, 13, 1)) + Raw.update(nlri: Raw.prefix4(10, 13, 2)) + garbage)
        let n = peer.expectNotification()
        XCTAssertEqual(n.map { [$0.code, $0.subcode] }, [1, 1])
        XCTAssertTrue(peer.expectClosed())
        lab.wait("the session down") { lab.rec.with { $0.downs[addr]?.count } == 1 }
        XCTAssertEqual(lab.rec.with { $0.accepted[addr] }, ["10.13.1.0/24", "10.13.2.0/24"])
        lab.assertLogged(addr, "marker")
        lab.listener.stop()
        let lines = try lab.archiveLines()
        XCTAssertEqual(lines.filter { $0[2] == "A" && $0[3] == addr }.map { $0[5] }, ["10.13.1.0/24", "10.13.2.0/24"])
        XCTAssertEqual(lines.filter { $0[2] == "STATE" && $0[3] == addr }.map { "\($0[5])>\($0[6])" }, ["5>6", "6>1"])
    }

    // MARK: (g) + (h) one misbehaving peer never disturbs another; the archive keeps what came before each error

    func testMisbehavingPeerNeverDisturbsAWellBehavedOne() throws {
        let lab = try Lab()
        defer { lab.stop() }
        let good = "127.0.0.20", bad = "127.0.0.21"
        let g = try lab.connect(good, asn: 65020)
        defer { g.close() }
        var goodPrefixes: [String] = []
        func goodUpdate(_ i: Int) throws {
            try g.send(Raw.update(nlri: Raw.prefix4(10, 20, UInt8(i))))
            goodPrefixes.append("10.20.\(i).0/24")
            lab.waitAccepted(good, goodPrefixes.last!)
        }
        try goodUpdate(1)

        var bmpLike = Raw.keepalive
        bmpLike[0] = 3  // a BMP header where BGP is expected
        // IPv6 unicast MP_REACH_NLRI whose only prefix, a /64, is cut short after 3 bytes.
        let value: [UInt8] = [0, 2, 1, 16] + [UInt8](repeating: 0xFD, count: 16) + [0] + [64, 0x20, 0x01, 0x0D]
        let misdeeds: [(String, [UInt8], [UInt8]?)] = [
            ("bad marker", bmpLike, [1, 1]),
            ("length 18", Array(Raw.keepalive[0..<16]) + [0, 18, 4], [1, 2]),
            ("length 5000", Array(Raw.keepalive[0..<16]) + [0x13, 0x88, 2], [1, 2]),
            ("garbage", Array(repeating: 0x41, count: 64), [1, 1]),
            ("bad MP_REACH", Raw.update(attributes: Raw.origin() + Raw.asPath([65021]) + [0x80, 14, UInt8(value.count)] + value, nlri: []), [3]),
            ("bad ORIGIN", Raw.update(attributes: [0x40, 1, 2, 0, 0] + Raw.asPath([65021]) + Raw.nextHop(bad), nlri: Raw.prefix4(10, 21, 9)), nil),
            ("bad AGGREGATOR", Raw.update(attributes: Raw.origin() + Raw.asPath([65021]) + Raw.nextHop(bad) + [0xC0, 7, 3, 1, 2, 3],
                                          nlri: Raw.prefix4(10, 21, 8)), nil),
            ("half a message, then gone", Array(Raw.update(nlri: Raw.prefix4(10, 21, 7)).prefix(25)), nil),
        ]
        var badSessions = 0
        for (i, (what, bytes, expect)) in misdeeds.enumerated() {
            let b = try lab.connect(bad, asn: 65021)
            badSessions += 1
            // Something good first, to find in the archive afterwards.
            try b.send(Raw.update(nlri: Raw.prefix4(10, 21, UInt8(100 + i))))
            lab.waitAccepted(bad, "10.21.\(100 + i).0/24")
            try b.send(bytes)
            if let expect {
                let n = b.expectNotification()
                XCTAssertEqual(n.map { Array([$0.code, $0.subcode].prefix(expect.count)) }, expect, what)
                XCTAssertTrue(b.expectClosed(), what)
            } else {
                XCTAssertNil(b.readMessage(timeout: 0.3).notification, what)
            }
            b.close()
            lab.wait("\(what): the bad peer's session down") { lab.rec.with { $0.downs[bad]?.count } == badSessions }
            // Meanwhile the good peer's session carries on.
            try goodUpdate(2 + i)
        }
        XCTAssertEqual(g.readMessage(timeout: 0.2).notification, nil)
        XCTAssertEqual(lab.rec.with { $0.established[good] }, 1)
        XCTAssertNil(lab.rec.with { $0.downs[good] }, "the good peer never went down")
        XCTAssertEqual(lab.rec.with { $0.accepted[good] }, goodPrefixes)
        XCTAssertEqual(lab.rec.with { $0.established[bad] }, misdeeds.count)
        XCTAssertFalse(lab.rec.with { $0.logs }.contains { Lab.mentions($0, good) }, "nothing logged against the good peer")
        g.close()
        lab.wait("the good peer's session down") { lab.rec.with { $0.downs[good]?.count } == 1 }
        lab.listener.stop()

        // (h) The archive: every message received before each error, read identically by
        // Vigil and by bgpdump, with no issue.
        let lines = try lab.archiveLines()
        XCTAssertEqual(lines.filter { $0[2] == "A" && $0[3] == good }.map { $0[5] }, goodPrefixes)
        let badAnnounced = lines.filter { $0[2] == "A" && $0[3] == bad }.map { $0[5] }
        for i in misdeeds.indices { XCTAssertTrue(badAnnounced.contains("10.21.\(100 + i).0/24"), "\(misdeeds[i].0): \(badAnnounced)") }
        XCTAssertEqual(lines.filter { $0[2] == "STATE" && $0[3] == bad }.count, 2 * misdeeds.count)
        XCTAssertEqual(lines.filter { $0[2] == "STATE" && $0[3] == good }.map { "\($0[5])>\($0[6])" }, ["5>6", "6>1"])
    }
}

// MARK: - A listener, what it reported, its archive

extension MalformedPeerTests {
    final class Recorder: @unchecked Sendable {
        let lock = NSLock()
        var established: [String: Int] = [:], downs: [String: [String]] = [:]
        var decisions: [String: [UpdateDecision]] = [:]
        var accepted: [String: [String]] = [:]
        var logs: [String] = []
        func with<T>(_ f: (Recorder) -> T) -> T { lock.lock(); defer { lock.unlock() }; return f(self) }
    }

    final class Lab {
        let rec = Recorder()
        let dir: URL
        let archiveDir: String
        let listener: BGPListener
        let port: Int

        init(maxPrefixes: Int? = nil) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-malformed-\(UUID().uuidString)")
            archiveDir = dir.appendingPathComponent("archive").path
            try FileManager.default.createDirectory(atPath: archiveDir, withIntermediateDirectories: true)
            let rec = self.rec
            var events = BGPListener.Events()
            events.onEstablished = { p, _ in rec.with { $0.established["\(p.address)", default: 0] += 1 } }
            events.onDown = { p, reason in rec.with { $0.downs["\(p.address)", default: []].append(reason) } }
            events.onUpdate = { p, d, _, _, _ in
                rec.with { r in
                    r.decisions["\(p.address)", default: []].append(d)
                    if case let .accept(u) = d { r.accepted["\(p.address)", default: []] += u.nlri.map { $0.prefix.description } }
                    if case let .attributeDiscard(u, _) = d { r.accepted["\(p.address)", default: []] += u.nlri.map { $0.prefix.description } }
                }
            }
            events.logger = .recording { _, line in rec.with { $0.logs.append(line) } }
            var config = SessionMachine.Config(localAS: 12654, routerID: 0x0A00_00FE)
            config.holdTime = 30
            config.maxPrefixes = maxPrefixes
            listener = BGPListener(config: config, archive: SharedArchive(try ArchiveWriter(directory: archiveDir, gzip: false)), events: events)
            port = try listener.start(host: "127.0.0.1", port: 0)
        }

        func stop() {
            listener.stop()
            try? FileManager.default.removeItem(at: dir)
        }

        func wait(_ what: String, seconds: Double = 10, file: StaticString = #filePath, line: UInt = #line, _ ok: () -> Bool) {
            let until = Date().addingTimeInterval(min(seconds, 60))
            while !ok() && Date() < until { usleep(20_000) }
            XCTAssertTrue(ok(), "timed out waiting for \(what)", file: file, line: line)
        }

        func waitAccepted(_ addr: String, _ prefix: String, file: StaticString = #filePath, line: UInt = #line) {
            wait("\(prefix) from \(addr)", file: file, line: line) { rec.with { $0.accepted[addr]?.contains(prefix) ?? false } }
        }

        /// Some log line names the peer's address and says `reason`.
        func assertLogged(_ addr: String, _ reason: String, file: StaticString = #filePath, line: UInt = #line) {
            let logs = rec.with { $0.logs }
            XCTAssertTrue(logs.contains { Lab.mentions($0, addr) && $0.localizedCaseInsensitiveContains(reason) },
                          "no log line with \(addr) and \"\(reason)\" in \(logs)", file: file, line: line)
        }

        /// True when `line` names `addr` (not merely a longer address starting with it).
        static func mentions(_ line: String, _ addr: String) -> Bool {
            var rest = Substring(line)
            while let r = rest.range(of: addr) {
                if r.upperBound == rest.endIndex || !rest[r.upperBound].isNumber { return true }
                rest = rest[r.upperBound...]
            }
            return false
        }

        /// Connects from `source`, does OPEN/KEEPALIVE, waits for the collector's onEstablished.
        func connect(_ source: String, asn: UInt32, file: StaticString = #filePath, line: UInt = #line) throws -> RawPeer {
            let before = rec.with { $0.established[source] ?? 0 }
            let p = try RawPeer(source: source, port: port)
            let open = p.readMessage(timeout: 10)
            XCTAssertEqual(open.type, 1, "the collector speaks first with an OPEN", file: file, line: line)
            try p.send(Raw.open(asn: asn, id: UInt32(bigEndian: inet_addr(source)), hold: 30) + Raw.keepalive)
            XCTAssertEqual(p.readMessage(timeout: 10).type, 4, "KEEPALIVE", file: file, line: line)
            wait("\(source) established", file: file, line: line) { rec.with { $0.established[source] ?? 0 } == before + 1 }
            return p
        }

        /// The archive read by Vigil and by bgpdump: the same bytes, no issue; bgpdump's lines split on "|".
        func archiveLines(file: StaticString = #filePath, line: UInt = #line) throws -> [[String]] {
            try PeerLab.readArchive(archiveDir, file: file, line: line)
        }
    }
}
