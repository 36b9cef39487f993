import Config
import Foundation
import Logging
import Service
import XCTest
import BGPWire
@testable import Collector
import Glibc

/// A collector someone can expose: sessions only from the configured peers (their AS checked,
/// their route limit kept), BMP only from the listed routers — unless the configuration says
/// `accept_any`, for labs. Hand-made speakers on their own loopback addresses.
final class ClosedByDefaultTests: XCTestCase {
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    func testOnlyConfiguredPeersAndRoutersUnlessAcceptAny() async throws {
        for acceptAny in [false, true] {
            let bgp = Self.freePort(), bmp = Self.freePort()
            let cfg = try CollectConfig(toml: """
                [collector]
                local_as = 65000
                listen = "127.0.0.1:\(bgp)"
                accept_any = \(acceptAny)

                [[peer]]
                address = "127.0.0.2"
                as = 65001
                max_prefixes = 2

                [bmp]
                listen = "127.0.0.1:\(bmp)"
                routers = ["127.0.0.5"]
                accept_any = \(acceptAny)

                [archive]
                directory = ""

                [store]
                database = ""
                status_file = ""
                """, file: "closed.toml")
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let observatory = try await Observatory(cfg, mode: .collect, logger: logger)
            let run = Task { try await observatory.run(seconds: nil, handleSignals: false) }
            var listening = false
            for _ in 0..<100 where !listening {
                try await Task.sleep(for: .milliseconds(50))
                listening = (try? RawPeer(source: "127.0.0.9", port: bmp)) != nil && (try? RawPeer(source: "127.0.0.9", port: bgp)) != nil
            }
            XCTAssertTrue(listening)

            // A stranger: refused with Cease / Connection Rejected, or (accept_any) offered a session.
            let stranger = try RawPeer(source: "127.0.0.3", port: bgp)
            if acceptAny {
                XCTAssertEqual(stranger.readMessage(timeout: 5).type, 1, "accept_any: an OPEN for anyone")
            } else {
                XCTAssertEqual(stranger.readMessage(timeout: 5).notification.map { [$0.code, $0.subcode] }, [6, 5])
                XCTAssertTrue(stranger.expectClosed())
            }
            // The configured peer from another AS: Bad Peer AS.
            let wrongAS = try RawPeer(source: "127.0.0.2", port: bgp)
            XCTAssertEqual(wrongAS.readMessage(timeout: 5).type, 1)
            try wrongAS.send(Raw.open(asn: 65002, id: 0x7F00_0002, hold: 30))
            XCTAssertEqual(wrongAS.expectNotification().map { [$0.code, $0.subcode] }, [2, 2])
            wrongAS.close()
            // The configured peer: its session, until it holds more routes than its max_prefixes.
            let peer = try RawPeer(source: "127.0.0.2", port: bgp)
            XCTAssertEqual(peer.readMessage(timeout: 5).type, 1)
            try peer.send(Raw.open(asn: 65001, id: 0x7F00_0002, hold: 30) + Raw.keepalive)
            XCTAssertEqual(peer.readMessage(timeout: 5).type, 4)
            try peer.send(Raw.update(nlri: Raw.prefix4(10, 1, 1) + Raw.prefix4(10, 1, 2)))
            try peer.send(Raw.update(nlri: Raw.prefix4(10, 1, 2)))  // again: still two routes
            try peer.send(Raw.update(withdrawn: Raw.prefix4(10, 1, 1), nlri: Raw.prefix4(10, 1, 3)))  // still two
            try peer.send(Raw.update(nlri: Raw.prefix4(10, 1, 4)))  // three
            let n = peer.expectNotification()
            XCTAssertEqual(n.map { [$0.code, $0.subcode] }, [6, 1], "Cease / Maximum Number of Prefixes Reached")
            XCTAssertEqual(n?.data, [0, 1, 1, 0, 0, 0, 2], "RFC 4486 §4: AFI, SAFI and the limit")
            XCTAssertTrue(peer.expectClosed())

            // BMP: a router not listed is disconnected at once; a listed one is not.
            let unlisted = try RawPeer(source: "127.0.0.6", port: bmp)
            XCTAssertEqual(unlisted.readMessage(timeout: acceptAny ? 1 : 5), acceptAny ? .timeout : .closed)
            let listed = try RawPeer(source: "127.0.0.5", port: bmp)
            XCTAssertEqual(listed.readMessage(timeout: 1), .timeout)
            await observatory.stop()
            try await run.value
        }
    }
}
